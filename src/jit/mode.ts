/**
 * The CPU mode a block is translated for, packed in a small integer (the code cache key holds it
 * next to the physical address, DESIGN.md "JIT"), and the non-faulting translation of the code
 * address used to look blocks up.
 *
 * Mode bits: everything the generated code bakes in as a constant. Instructions that can change any
 * of them end a block (see block-end.ts), so a bit cannot change in the middle of a block.
 */
import type { Cpu } from '../cpu/cpu.js';
import { Seg } from '../frontend/insn.js';
import { CR0, EF } from '../cpu/state.js';

export const ModeBit = {
  CODE32: 1,
  STACK32: 2,
  /** CPL in bits 2-3. */
  CPL_SHIFT: 2,
  PE: 16,
  PG: 32,
  /** ES, SS and DS are flat (base 0, limit 4 GiB, expand-up, writable data) and CS has base 0 and
   *  limit 4 GiB: offsets are linear addresses, no limit check needed (SDM Vol. 3 §5.3). */
  FLAT: 64,
  VM86: 128,
  /** FS / GS have limit 4 GiB, expand-up, writable data: FS:off = base + off with no limit check
   *  (the base is read when the access runs). */
  FS_FLAT_LIMIT: 256,
  GS_FLAT_LIMIT: 512,
} as const;

function flatLimit(cpu: Cpu, s: number): boolean {
  return cpu.segLimit[s] === -1 && (cpu.segAttr[s] & 0x9e) === 0x92;
}

function flatData(cpu: Cpu, s: number): boolean {
  // Attribute byte: present, S=1, data (bit 3 = 0), expand-up (bit 2 = 0), writable (bit 1).
  return cpu.segBase[s] === 0 && cpu.segLimit[s] === -1 && (cpu.segAttr[s] & 0x9e) === 0x92;
}

/** The current mode key. */
export function modeKey(cpu: Cpu): number {
  let m = (cpu.code32 ? ModeBit.CODE32 : 0) | (cpu.stack32 ? ModeBit.STACK32 : 0) | (cpu.cpl << ModeBit.CPL_SHIFT);
  if ((cpu.cr0 & CR0.PE) !== 0) m |= ModeBit.PE;
  if ((cpu.cr0 & CR0.PG) !== 0) m |= ModeBit.PG;
  if ((cpu.eflags & EF.VM) !== 0) m |= ModeBit.VM86;
    if (
    cpu.segBase[Seg.CS] === 0 && cpu.segLimit[Seg.CS] === -1 &&
    flatData(cpu, Seg.DS) && flatData(cpu, Seg.SS) && flatData(cpu, Seg.ES)
  ) m |= ModeBit.FLAT;
  if (flatLimit(cpu, Seg.FS)) m |= ModeBit.FS_FLAT_LIMIT;
  if (flatLimit(cpu, Seg.GS)) m |= ModeBit.GS_FLAT_LIMIT;
  return m;
}

/**
 * Guest-physical address of the instruction byte at linear address `lin`, without faulting and
 * without touching accessed bits: identity when paging is off, else the MMU's TLB entry for the
 * current privilege (valid only if the page was already translated for a read at this CPL, which
 * the interpreter's fetches do). Returns -1 when unknown: the caller interprets instead.
 */
export function codePhys(cpu: Cpu, lin: number): number {
  if ((cpu.cr0 & CR0.PG) === 0) return lin >>> 0;
  const mmu = cpu.mmu;
  const vpn = lin >>> 12;
  const h = (cpu.cpl === 3 ? mmu.tlbReadU : mmu.tlbReadS)[vpn];
  if (h < 0) return -1;
  return ((mmu.tlbPhys[vpn] << 12) | (lin & 0xfff)) >>> 0;
}
