/**
 * Entry states the loaders leave the CPU in.
 *
 * Flat 32-bit protected mode, as both the Linux 32-bit boot protocol (boot.rst "32-bit Boot
 * Protocol": CS = __BOOT_CS 0x10 and DS/ES/SS = __BOOT_DS 0x18, 4 GiB flat, interrupts off, paging
 * off) and multiboot v1 (spec §3.2 "Machine state") ask for. The loader writes a GDT holding those
 * descriptors into guest memory and loads the hidden segment caches to match it (SDM Vol. 3
 * §3.4.3), exactly as if the code had executed LGDT and far-jumped.
 */
import { Seg } from '../frontend/insn.js';
import type { PhysMemory } from '../mem/phys.js';
import { setEflags } from '../cpu/flags.js';
import { CR0, type CpuState } from '../cpu/state.js';
import { BootSelectors, Layout } from './layout.js';

/** Descriptor bits 40-55 >> 8 (state.ts segAttr): G=1, D=1, limit 19:16 = 0xF, P=1, DPL 0, S=1. */
export const FLAT_CODE_ATTR = 0xcf9b; // type 0xB: execute/read, accessed
export const FLAT_DATA_ATTR = 0xcf93; // type 0x3: read/write, accessed

/** Write an 8-byte flat descriptor (base 0, limit 0xFFFFF pages) with the given attribute word. */
function writeFlatDescriptor(phys: PhysMemory, addr: number, attr: number): void {
  phys.write32(addr, 0x0000ffff); // limit 15:0 = 0xFFFF, base 15:0 = 0
  phys.write32(addr + 4, (attr << 8) & 0x00ffff00); // base 23:16 = 0, attrs, base 31:24 = 0
}

export interface GdtInfo {
  base: number;
  limit: number;
}

/** The boot GDT: null, null, flat code at 0x10, flat data at 0x18 (Layout.BOOT_GDT). */
export function writeBootGdt(phys: PhysMemory, base: number = Layout.BOOT_GDT): GdtInfo {
  phys.write32(base, 0);
  phys.write32(base + 4, 0);
  phys.write32(base + 8, 0);
  phys.write32(base + 12, 0);
  writeFlatDescriptor(phys, base + BootSelectors.CODE, FLAT_CODE_ATTR);
  writeFlatDescriptor(phys, base + BootSelectors.DATA, FLAT_DATA_ATTR);
  return { base, limit: Layout.BOOT_GDT_ENTRIES * 8 - 1 };
}

function loadFlatSegment(cpu: CpuState, seg: number, sel: number, attr: number): void {
  cpu.segSel[seg] = sel;
  cpu.segBase[seg] = 0;
  cpu.segLimit[seg] = -1; // 0xFFFFFFFF
  cpu.segAttr[seg] = attr;
}

/**
 * Put the CPU in flat 32-bit protected mode at `eip` with CPL 0, interrupts off, paging off, an
 * empty IDT (any exception before the guest loads its own escalates to a triple fault, which the
 * machine reports) and all general registers zero (callers then set ESI/EAX/EBX as their protocol
 * says).
 */
export function enterFlatProtectedMode(cpu: CpuState, gdt: GdtInfo, eip: number): void {
  cpu.regs.fill(0);
  loadFlatSegment(cpu, Seg.CS, BootSelectors.CODE, FLAT_CODE_ATTR);
  for (const s of [Seg.ES, Seg.SS, Seg.DS, Seg.FS, Seg.GS]) loadFlatSegment(cpu, s, BootSelectors.DATA, FLAT_DATA_ATTR);
  cpu.gdtBase = gdt.base;
  cpu.gdtLimit = gdt.limit;
  cpu.idtBase = 0;
  cpu.idtLimit = 0;
  cpu.cr0 = (cpu.cr0 | CR0.PE) & ~CR0.PG;
  cpu.cpl = 0;
  cpu.code32 = true;
  cpu.stack32 = true;
  setEflags(cpu, 2); // IF = 0, VM = 0, DF = 0 (multiboot §3.2; boot.rst)
  cpu.halted = false;
  cpu.intShadow = false;
  cpu.eip = eip | 0;
  cpu.insnEip = eip | 0;
}
