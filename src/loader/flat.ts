/**
 * Raw images: a flat binary copied to an address, and a BIOS-style ROM mapped where a PC's
 * firmware is, so the CPU starts in it from the reset state.
 *
 * ROM: a PC fetches its first instruction at 0xFFFFFFF0 (CS base 0xFFFF0000, IP 0xFFF0; SDM Vol. 3
 * §9.1.4) and real-mode code then runs in the same bytes at 0xF0000-0xFFFFF. A ROM of S bytes
 * (64 KiB: test386-e9.bin; 128 KiB: test386-e9-128k.bin) is copied into the RAM pages below 1 MiB
 * and the nested page table maps [4 GiB - S, 4 GiB) onto the very same host pages, so both aliases
 * are one memory (as the chipset's BIOS shadowing makes them). Note the pages stay writable: the
 * nested page table has no read-only RAM entries.
 */
import type { CpuState } from '../cpu/state.js';
import type { PhysMemory } from '../mem/phys.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../mem/phys.js';
import { Seg } from '../frontend/insn.js';
import { enterFlatProtectedMode, writeBootGdt } from './cpu-entry.js';
import { LoaderError, formatSize, hex } from './errors.js';
import { copyToGuest } from './files.js';
import { Layout } from './layout.js';

export interface FlatConfig {
  data: Uint8Array;
  name: string;
  /** Guest-physical load address. */
  addr: number;
  /**
   * Where the CPU starts: 'protected' = flat 32-bit protected mode at `entry` (default `addr`);
   * 'real' = real mode at CS:IP = (entry >> 4):(entry & 15); 'none' = leave the CPU alone.
   */
  start?: 'protected' | 'real' | 'none';
  entry?: number;
}

/** Copy a flat binary to `addr` and set the CPU up to run it. */
export function loadFlat(phys: PhysMemory, cpu: CpuState, cfg: FlatConfig): void {
  const { data, name, addr } = cfg;
  if (data.length === 0) throw new LoaderError(`${name}: empty file`);
  checkRam(phys, addr, data.length, name);
  copyToGuest(phys, addr, data, name);
  const entry = cfg.entry ?? addr;
  switch (cfg.start ?? 'protected') {
    case 'protected': {
      const gdtBase = addr <= Layout.BOOT_GDT + 32 && Layout.BOOT_GDT < addr + data.length ? (addr + data.length + 15) & ~15 : Layout.BOOT_GDT;
      checkRam(phys, gdtBase, 32, `${name} (boot GDT)`);
      enterFlatProtectedMode(cpu, writeBootGdt(phys, gdtBase), entry);
      break;
    }
    case 'real':
      if (entry >= 0x100000) throw new LoaderError(`${name}: real-mode entry ${hex(entry)} is above 1 MiB`);
      cpu.segSel[Seg.CS] = entry >>> 4;
      cpu.segBase[Seg.CS] = entry & ~15;
      cpu.eip = entry & 15;
      cpu.insnEip = cpu.eip;
      break;
    case 'none':
      break;
  }
}

function checkRam(phys: PhysMemory, addr: number, len: number, name: string): void {
  for (let a = addr; a < addr + len; a += PAGE_SIZE - (a & (PAGE_SIZE - 1))) {
    if (phys.hostOffset(a) < 0) throw new LoaderError(`${name}: ${formatSize(len)} at ${hex(addr)} does not fit in guest RAM (${hex(a)} is not RAM; raise --mem)`);
  }
}

/**
 * Map a BIOS-style ROM image at the top of the first megabyte and alias it just below 4 GiB; the
 * CPU is left in its reset state (it starts at 0xFFFFFFF0, inside the high alias).
 */
export function loadRom(phys: PhysMemory, rom: Uint8Array, name: string): { low: number; high: number } {
  const size = rom.length;
  if (size === 0 || size % PAGE_SIZE !== 0 || size > 0x20000) {
    throw new LoaderError(`${name}: a ROM image must be a multiple of 4 KiB up to 128 KiB (this one is ${formatSize(size)})`);
  }
  const low = Layout.BIOS_AREA_END - size;
  const high = Layout.ROM_HIGH_END - size;
  checkRam(phys, low, size, `${name} (needs guest RAM below 1 MiB)`);
  copyToGuest(phys, low, rom, name);
  const lowPage = low >>> PAGE_SHIFT;
  const highPage = high >>> PAGE_SHIFT;
  for (let i = 0; i < size >>> PAGE_SHIFT; i++) phys.npt[highPage + i] = phys.npt[lowPage + i];
  return { low, high };
}
