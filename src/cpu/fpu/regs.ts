/**
 * x87 register stack helpers shared by the handlers: ST(i) access with tags and raw 80-bit copies,
 * push/pop, exception signalling (SDM Vol. 1 §8.4-8.7), and the instruction prologue with the
 * #NM / #MF checks (SDM Vol. 1 §8.7, Vol. 3 §2.5 CR0.EM/TS/MP/NE) and FPU pointer updates (§8.1.8).
 */
import type { Insn } from '../../frontend/insn.js';
import { OpKind, Seg } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { raise, Vec } from '../fault.js';
import { CR0 } from '../state.js';
import { classifyF80, Cls, doubleToF80, F80, f80ToDouble, rf } from './float80.js';
import type { FpuState } from './state.js';

/** Status word bits (SDM Vol. 1 §8.1.3, Figure 8-4). */
export const SW = {
  IE: 0x1, DE: 0x2, ZE: 0x4, OE: 0x8, UE: 0x10, PE: 0x20, SF: 0x40, ES: 0x80,
  C0: 0x100, C1: 0x200, C2: 0x400, TOP: 0x3800, C3: 0x4000, B: 0x8000,
  /** All condition-code bits. */
  CC: 0x4700,
} as const;

/** Tag values (SDM Vol. 1 §8.1.7). */
export const Tag = { VALID: 0, ZERO: 1, SPECIAL: 2, EMPTY: 3 } as const;

/** Real indefinite: the default QNaN (SDM Vol. 1 §4.8.3.7, Table 4-3). */
export const INDEF_SE = 0xffff;
export const INDEF_HI = 0xc0000000;

export function phys(f: FpuState, i: number): number {
  return (f.top + i) & 7;
}

export function isEmpty(f: FpuState, i: number): boolean {
  return ((f.tag >> (((f.top + i) & 7) << 1)) & 3) === Tag.EMPTY;
}

function setTag(f: FpuState, p: number, t: number): void {
  f.tag = (f.tag & ~(3 << (p << 1))) | (t << (p << 1));
}

/** Tag of a register value held as a plain double (doubles are never float80 denormals). */
function tagOfDouble(v: number): number {
  return v === 0 ? Tag.ZERO : v - v !== 0 ? Tag.SPECIAL : Tag.VALID;
}

function tagOfClass(cls: number): number {
  return cls === Cls.ZERO ? Tag.ZERO : cls === Cls.NORMAL ? Tag.VALID : Tag.SPECIAL;
}

/** ST(i) as a double. */
export function st(f: FpuState, i: number): number {
  return f.st[(f.top + i) & 7];
}

/** Write ST(i) = v (a plain double; a NaN becomes the real indefinite). */
export function setSt(f: FpuState, i: number, v: number): void {
  const p = (f.top + i) & 7;
  if (v !== v) {
    setRawPhys(f, p, INDEF_SE, INDEF_HI, 0);
    return;
  }
  f.st[p] = v;
  f.rawValid[p] = 0;
  setTag(f, p, tagOfDouble(v));
}

/** Write ST(i) from an exact float80 pattern (raw copy kept when the double is not exact). */
export function setStF80(f: FpuState, i: number, se: number, hi: number, lo: number): void {
  setRawPhys(f, (f.top + i) & 7, se, hi, lo);
}

function setRawPhys(f: FpuState, p: number, se: number, hi: number, lo: number): void {
  const d = f80ToDouble(se, hi, lo);
  f.st[p] = d;
  if (rf.inexact) {
    f.rawValid[p] = 1;
    f.rawSe[p] = se;
    f.rawHi[p] = hi | 0;
    f.rawLo[p] = lo | 0;
  } else f.rawValid[p] = 0;
  setTag(f, p, tagOfClass(classifyF80(se, hi, lo)));
}

/** Copy physical register `from` into ST(i) (value, raw copy, tag). */
export function copyToSt(f: FpuState, i: number, from: number): void {
  const p = (f.top + i) & 7;
  f.st[p] = f.st[from];
  f.rawValid[p] = f.rawValid[from];
  f.rawSe[p] = f.rawSe[from];
  f.rawHi[p] = f.rawHi[from];
  f.rawLo[p] = f.rawLo[from];
  setTag(f, p, (f.tag >> (from << 1)) & 3);
}

/** The exact float80 pattern of ST(i) into `out`. */
export function stToF80(f: FpuState, i: number, out: F80): void {
  readPhysF80(f, (f.top + i) & 7, out);
}

export function readPhysF80(f: FpuState, p: number, out: F80): void {
  if (f.rawValid[p]) {
    out.se = f.rawSe[p];
    out.hi = f.rawHi[p] >>> 0;
    out.lo = f.rawLo[p] >>> 0;
  } else doubleToF80(f.st[p], out);
}

/** Exact class (Cls.*) of ST(i). */
export function stClass(f: FpuState, i: number): number {
  const p = (f.top + i) & 7;
  if (f.rawValid[p]) return classifyF80(f.rawSe[p], f.rawHi[p] >>> 0, f.rawLo[p] >>> 0);
  const v = f.st[p];
  return v === 0 ? Cls.ZERO : v - v === 0 ? Cls.NORMAL : Cls.INF;
}

export function freeTag(f: FpuState, i: number): void {
  setTag(f, (f.top + i) & 7, Tag.EMPTY);
}

/** Decrement TOP (the new ST(0) is written by the caller). */
export function push(f: FpuState): void {
  f.top = (f.top - 1) & 7;
}

/** Mark ST(0) empty and increment TOP. */
export function pop(f: FpuState): void {
  setTag(f, f.top, Tag.EMPTY);
  f.top = (f.top + 1) & 7;
}

// ---------------------------------------------------------------- exceptions

/**
 * Record exception flags `bits` (IE..PE, SF) in the status word. Returns true when one of them is
 * unmasked: ES and B are set, FERR# asserted (CR0.NE = 0) and the caller must leave the
 * destination unchanged for pre-computation exceptions (SDM Vol. 1 §8.7).
 */
export function signal(cpu: Cpu, bits: number): boolean {
  const f = cpu.fpu;
  f.sw |= bits;
  if ((bits & ~f.cw & 0x3f) === 0) return false;
  f.sw |= SW.ES | SW.B;
  updateFerr(cpu);
  return true;
}

/** Recompute ES/B from the flags and masks (after FLDCW, FLDENV, FRSTOR, FNCLEX). */
export function recomputeEs(cpu: Cpu): void {
  const f = cpu.fpu;
  if ((f.sw & ~f.cw & 0x3f) !== 0) f.sw |= SW.ES | SW.B;
  else f.sw &= ~(SW.ES | SW.B);
  updateFerr(cpu);
}

/**
 * FERR# follows ES when CR0.NE = 0 (the PC/AT wiring to IRQ 13, SDM Vol. 1 §8.7 and Appendix D).
 * With NE = 1 errors are reported as #MF and FERR# stays deasserted.
 */
function updateFerr(cpu: Cpu): void {
  const f = cpu.fpu;
  const level = (f.sw & SW.ES) !== 0 && (cpu.cr0 & CR0.NE) === 0;
  if (level !== f.ferrAsserted) {
    f.ferrAsserted = level;
    f.ferr(level);
  }
}

/** Stack underflow (an operand register is empty): IE + SF, C1 = 0. Returns true if unmasked. */
export function underflow(cpu: Cpu): boolean {
  cpu.fpu.sw &= ~SW.C1;
  return signal(cpu, SW.IE | SW.SF);
}

/** Stack overflow (push onto a non-empty register): IE + SF, C1 = 1. Returns true if unmasked. */
export function overflow(cpu: Cpu): boolean {
  cpu.fpu.sw |= SW.C1;
  return signal(cpu, SW.IE | SW.SF);
}

/** Set C1 (cleared otherwise). */
export function setC1(f: FpuState, on: boolean): void {
  f.sw = on ? f.sw | SW.C1 : f.sw & ~SW.C1;
}

/**
 * Push for a load: on stack overflow, the masked response pushes the real indefinite and returns
 * false (the caller stores nothing); unmasked, nothing changes and it returns false.
 * Otherwise pushes and returns true (the caller writes ST(0)). C1 is cleared.
 */
export function pushForLoad(cpu: Cpu): boolean {
  const f = cpu.fpu;
  if (!isEmpty(f, 7)) {
    if (!overflow(cpu)) {
      push(f);
      setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    }
    return false;
  }
  f.sw &= ~SW.C1;
  push(f);
  return true;
}

// ---------------------------------------------------------------- instruction prologue

/**
 * Common prologue. #NM when CR0.EM or CR0.TS (SDM Vol. 3 §2.5, Table 2-2). For waiting
 * instructions, a pending unmasked exception (ES) raises #MF when CR0.NE = 1 (SDM Vol. 1 §8.7.2);
 * with NE = 0 the error was already signalled on FERR# and execution goes on (IGNNE# behaviour).
 * Non-control instructions record the FPU instruction and data pointers (§8.1.8).
 */
export function enter(cpu: Cpu, i: Insn, waiting: boolean, control: boolean): FpuState {
  if ((cpu.cr0 & (CR0.EM | CR0.TS)) !== 0) raise(cpu, Vec.NM);
  const f = cpu.fpu;
  if (waiting && (f.sw & SW.ES) !== 0 && (cpu.cr0 & CR0.NE) !== 0) raise(cpu, Vec.MF);
  if (!control) {
    f.fip = cpu.insnEip;
    f.fcs = cpu.segSel[Seg.CS] & 0xffff;
    f.fop = opcodeOf(cpu, i);
    if (i.k0 === OpKind.Mem || i.k1 === OpKind.Mem) {
      f.fdp = cpu.ea(i);
      f.fds = cpu.segSel[i.seg] & 0xffff;
    }
  }
  return f;
}

/** The 11-bit x87 opcode (SDM Vol. 1 §8.1.9): re-read the escape byte after any prefixes. */
function opcodeOf(cpu: Cpu, i: Insn): number {
  let a = (cpu.segBase[Seg.CS] + cpu.insnEip) | 0;
  for (let n = 0; n < 15; n++, a = (a + 1) | 0) {
    const b = cpu.mmu.fetch8(a);
    if ((b & 0xf8) === 0xd8) return ((b & 7) << 8) | (i.modrm >= 0 ? i.modrm : cpu.mmu.fetch8((a + 1) | 0));
    if (b === 0x9b) return 0; // a decoded FWAIT before a no-wait form: not an x87 escape
  }
  return 0;
}

/**
 * The index i of the explicit ST(i) operand of a one-register form (FLD/FST/FXCH/FCOM/FUCOMI/
 * FCMOVcc/FFREE...): slot 1 if it is a register, else slot 0, else ST(1) (implicit forms).
 */
export function stOperand(i: Insn): number {
  if (i.k1 === OpKind.St) return i.v1;
  if (i.k0 === OpKind.St) return i.v0;
  return 1;
}

/** Is the instruction's operand in memory? */
export function hasMem(i: Insn): boolean {
  return i.k0 === OpKind.Mem || i.k1 === OpKind.Mem;
}

/** Size of the memory operand. */
export function memSize(i: Insn): number {
  return i.k0 === OpKind.Mem ? i.s0 : i.s1;
}
