/**
 * Stack instructions: PUSH/POP of a segment register, PUSHA POPA POPF ENTER (SDM Vol. 2); PUSH/POP
 * of registers, memory and immediates, PUSHF and LEAVE are templates (sem/stack.ts).
 *
 * The element size is the operand size; the stack pointer is ESP or SP per SS.B (cpu.stack32).
 * Precise faults: every stack access is made at an explicit offset first and ESP is committed last,
 * so a #SS/#PF leaves ESP and the other registers as they were.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind, Seg } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { raise, raiseCode, Vec } from './fault.js';
import { getEflags, setEflags } from './flags.js';
import { def } from './handlers.js';
import { CR0, EF } from './state.js';
import { spAdd, spOff } from './exec-ops.js';
import { loadSeg } from './system/segments.js';

/**
 * PUSH and POP of a segment register (the other forms are templates, sem/stack.ts).
 *
 * PUSH Sreg with a 32-bit operand size pushes the selector zero-extended: the SDM allows that or a
 * 16-bit write (Vol. 2 PUSH, "If the source operand is a segment register"); the machine the
 * differential test compares with (AMD) writes all 32 bits.
 */
def(Mn.PUSH, (cpu, i) => {
  if (i.k0 !== OpKind.Sreg) raise(cpu, Vec.UD);
  cpu.push(cpu.segSel[i.v0] & 0xffff, i.osize);
});

/** POP Sreg: POP CS is #UD; POP SS inhibits interrupts for one instruction. */
def(Mn.POP, (cpu, i) => {
  if (i.k0 !== OpKind.Sreg) raise(cpu, Vec.UD);
  const size = i.osize;
  const v = cpu.readMem(Seg.SS, spOff(cpu, 0), size);
  const seg = i.v0;
  if (seg === Seg.CS) raise(cpu, Vec.UD);
  const newEsp = spAdd(cpu, size); // by the OLD SS.B: POP SS may change the stack size
  loadSeg(cpu, seg, v & 0xffff);
  cpu.regs[4] = newEsp;
  if (seg === Seg.SS) cpu.intShadow = true;
});

/** PUSHA: EAX ECX EDX EBX (original) ESP EBP ESI EDI. */
def(Mn.PUSHA, (cpu, i) => {
  const size = i.osize;
  const r = cpu.regs;
  for (let n = 0; n < 8; n++) cpu.writeMem(Seg.SS, spOff(cpu, -(n + 1) * size), size, r[n]);
  r[4] = spAdd(cpu, -8 * size);
});

/** The `n`-th element of `size` bytes above the stack pointer. */
function stackAt(cpu: Cpu, n: number, size: number): number {
  return cpu.readMem(Seg.SS, spOff(cpu, n * size), size);
}

/** POPA: EDI ESI EBP (skipped) EBX EDX ECX EAX; all read before any register changes. */
def(Mn.POPA, (cpu, i) => {
  const size = i.osize;
  const di = stackAt(cpu, 0, size), si = stackAt(cpu, 1, size), bp = stackAt(cpu, 2, size);
  const bx = stackAt(cpu, 4, size), dx = stackAt(cpu, 5, size), cx = stackAt(cpu, 6, size), ax = stackAt(cpu, 7, size);
  cpu.regs[4] = spAdd(cpu, 8 * size);
  cpu.setReg(7, size, di);
  cpu.setReg(6, size, si);
  cpu.setReg(5, size, bp);
  cpu.setReg(3, size, bx);
  cpu.setReg(2, size, dx);
  cpu.setReg(1, size, cx);
  cpu.setReg(0, size, ax);
});

/** Virtual-8086 mode with IOPL < 3: PUSHF/POPF raise #GP(0) (SDM Vol. 3 §20.2.7; VME not modelled here). */
function vm86Sensitive(cpu: Cpu): void {
  if ((cpu.eflags & EF.VM) !== 0 && (cpu.eflags & EF.IOPL) !== EF.IOPL) raiseCode(cpu, Vec.GP, 0);
}

/** Bits a 32-bit POPF may write before the privilege rules: all defined bits but RF VM VIF VIP. */
const POPF_WRITABLE = 0x247fd5;

/**
 * POPF/POPFD writable bits (SDM Vol. 2 POPF pseudo-code): IOPL only at CPL 0 (real mode counts as
 * CPL 0; never in VM86); IF only when CPL <= IOPL; a 32-bit POPF clears RF and never changes VM,
 * VIF, VIP; a 16-bit one touches only bits 0-15.
 */
export function popfMask(cpu: Cpu, osize: number): number {
  let m = osize === 4 ? POPF_WRITABLE : POPF_WRITABLE & 0xffff;
  const pe = (cpu.cr0 & CR0.PE) !== 0;
  const vm = (cpu.eflags & EF.VM) !== 0;
  if (vm || (pe && cpu.cpl !== 0)) m &= ~EF.IOPL;
  if (pe && !vm && cpu.cpl > (cpu.eflags & EF.IOPL) >>> EF.IOPL_SHIFT) m &= ~EF.IF;
  return m;
}

def(Mn.POPF, (cpu, i) => {
  vm86Sensitive(cpu);
  const size = i.osize;
  const v = cpu.readMem(Seg.SS, spOff(cpu, 0), size);
  const m = popfMask(cpu, size);
  let f = (getEflags(cpu) & ~m) | (v & m);
  if (size === 4) f &= ~EF.RF;
  cpu.regs[4] = spAdd(cpu, size);
  setEflags(cpu, f);
});

/** A stack offset moved down by `n`, wrapping at 16 bits for a 16-bit stack. */
function stackSub(s32: boolean, off: number, n: number): number {
  return s32 ? (off - n) | 0 : (off - n) & 0xffff;
}

/**
 * ENTER imm16, imm8 (SDM Vol. 2 ENTER): push EBP, copy level-1 frame pointers from the old frame,
 * push the new frame pointer, then allocate. All writes happen before EBP/ESP are committed.
 */
def(Mn.ENTER, (cpu, i: Insn) => {
  const size = i.osize;
  const alloc = i.v0 & 0xffff;
  const level = i.v1 & 0x1f;
  const s32 = cpu.stack32;
  const r = cpu.regs;
  let sp = s32 ? r[4] : r[4] & 0xffff;
  sp = stackSub(s32, sp, size);
  cpu.writeMem(Seg.SS, sp, size, r[5]);
  // FrameTemp is the whole ESP register after the push: on a 16-bit stack its upper half is kept
  // (test386 records this on hardware for ENTER with a 32-bit operand size and a 16-bit stack).
  const frame = s32 ? sp : (r[4] & ~0xffff) | sp;
  if (level > 0) {
    let bp = s32 ? r[5] : r[5] & 0xffff;
    for (let n = 1; n < level; n++) {
      bp = stackSub(s32, bp, size);
      const v = cpu.readMem(Seg.SS, bp, size);
      sp = stackSub(s32, sp, size);
      cpu.writeMem(Seg.SS, sp, size, v);
    }
    sp = stackSub(s32, sp, size);
    cpu.writeMem(Seg.SS, sp, size, frame);
  }
  sp = stackSub(s32, sp, alloc);
  // ENTER faults (#SS / #PF) whenever a write at the final stack pointer would (test386 records
  // this on hardware), so probe it before committing EBP/ESP.
  cpu.mmu.probeWrite(cpu.lin(Seg.SS, sp, 1), 1);
  cpu.setReg(5, size, frame);
  if (s32) r[4] = sp;
  else r[4] = (r[4] & ~0xffff) | sp;
});
