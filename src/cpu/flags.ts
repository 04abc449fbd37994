/**
 * Lazy arithmetic flags (DESIGN.md "CPU state and flags").
 *
 * A flag-setting instruction stores its result and operands plus an operation kind in `cpu.lf`
 * (four int32 field writes, no allocation); CF/PF/AF/ZF/SF/OF are computed only when something
 * reads them (Jcc, ADC, PUSHF, ...).
 *
 * Size independence: handlers store `res`, `a` and `b` SIGN-EXTENDED from the operand size to
 * int32 (`(x << sh) >> sh` with sh = 24/16/0). Then ZF = (res == 0), SF = (res < 0), PF from the low
 * byte, AF from bit 4 of a^b^res, OF from the sign bits, and CF from an unsigned compare (sign
 * extension is monotonic as an unsigned map, so `a <u b` on the extended values equals `a <u b` on
 * the n-bit values) - the operand size is never needed.
 *
 * Kinds (`LfOp`):
 *   NONE   all six flags are materialised in cpu.eflags.
 *   ADD    res = a + b.          SUB  res = a - b (also CMP, NEG with a = 0, CMPXCHG, CMPS, SCAS).
 *   ADC    res = a + b + cin.    SBB  res = a - b - cin.    cin is kept in cpu.eflags bit 0 (CF).
 *   INC    as ADD with b = 1;    DEC  as SUB with b = 1;    CF is unchanged, kept in eflags bit 0.
 *   LOGIC  CF = OF = AF = 0; SF/ZF/PF from res.
 *   RES    CF, OF and AF are in cpu.eflags (computed eagerly by shifts, MUL, BCD...); SF/ZF/PF
 *          from res.
 * While a kind other than NONE is pending, the six arithmetic bits of cpu.eflags are stale except
 * the ones a kind keeps there (listed above); every other EFLAGS bit is always live in cpu.eflags.
 * So never write arithmetic bits of cpu.eflags directly: read with getEflags/testCC/getXF, change
 * with setEflags, setArithFlags, setCF, setCfOf, foldCF or setResultFlags.
 */
import type { CpuState } from './state.js';

export const LfOp = { NONE: 0, ADD: 1, ADC: 2, SUB: 3, SBB: 4, INC: 5, DEC: 6, LOGIC: 7, RES: 8 } as const;

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const OF = 0x800;
/** The six arithmetic flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** EFLAGS bits that exist on an i686 (SDM Vol. 1 §3.4.3); bit 1 reads as 1, bits 3/5/15/22+ as 0. */
export const EFLAGS_DEFINED = 0x3f7fd5;

export class LazyFlags {
  /** Operation kind (LfOp) of the last flag-setting instruction. */
  op = 0;
  /** Result, sign-extended from the operand size to int32. */
  res = 0;
  /** First operand, sign-extended. */
  a = 0;
  /** Second operand, sign-extended. */
  b = 0;
}

/** PF value (0 or 4) for each low byte: set when the byte has an even number of one bits. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let n = 0;
  for (let v = i; v !== 0; v >>= 1) n += v & 1;
  PARITY[i] = (n & 1) === 0 ? PF : 0;
}

/** Shift that sign-extends an operand of `size` bytes from bit 8*size-1: `(x << sh) >> sh`. */
export function signShift(size: number): number {
  return (4 - size) << 3;
}

// ------------------------------------------------------------------ single flags (0 or 1)

export function getCF(cpu: CpuState): number {
  const lf = cpu.lf;
  switch (lf.op) {
    case LfOp.ADD:
      return (lf.res >>> 0) < (lf.a >>> 0) ? 1 : 0;
    case LfOp.SUB:
      return (lf.a >>> 0) < (lf.b >>> 0) ? 1 : 0;
    case LfOp.ADC:
      // a + b + 1 carries out exactly when the result wrapped to <= a.
      return (cpu.eflags & 1) !== 0 ? ((lf.res >>> 0) <= (lf.a >>> 0) ? 1 : 0) : (lf.res >>> 0) < (lf.a >>> 0) ? 1 : 0;
    case LfOp.SBB:
      return (cpu.eflags & 1) !== 0 ? ((lf.a >>> 0) <= (lf.b >>> 0) ? 1 : 0) : (lf.a >>> 0) < (lf.b >>> 0) ? 1 : 0;
    case LfOp.LOGIC:
      return 0;
    default: // NONE, INC, DEC, RES keep CF in eflags
      return cpu.eflags & 1;
  }
}

export function getOF(cpu: CpuState): number {
  const lf = cpu.lf;
  switch (lf.op) {
    case LfOp.ADD:
    case LfOp.ADC:
    case LfOp.INC:
      return ((lf.a ^ lf.res) & (lf.b ^ lf.res)) >>> 31;
    case LfOp.SUB:
    case LfOp.SBB:
    case LfOp.DEC:
      return ((lf.a ^ lf.b) & (lf.a ^ lf.res)) >>> 31;
    case LfOp.LOGIC:
      return 0;
    default:
      return (cpu.eflags >>> 11) & 1;
  }
}

export function getAF(cpu: CpuState): number {
  const lf = cpu.lf;
  switch (lf.op) {
    case LfOp.NONE:
    case LfOp.RES:
      return (cpu.eflags >>> 4) & 1;
    case LfOp.LOGIC:
      return 0;
    default:
      return ((lf.a ^ lf.b ^ lf.res) >>> 4) & 1;
  }
}

export function getZF(cpu: CpuState): number {
  if (cpu.lf.op === LfOp.NONE) return (cpu.eflags >>> 6) & 1;
  return cpu.lf.res === 0 ? 1 : 0;
}

export function getSF(cpu: CpuState): number {
  if (cpu.lf.op === LfOp.NONE) return (cpu.eflags >>> 7) & 1;
  return cpu.lf.res >>> 31;
}

export function getPF(cpu: CpuState): number {
  if (cpu.lf.op === LfOp.NONE) return (cpu.eflags >>> 2) & 1;
  return PARITY[cpu.lf.res & 0xff] >>> 2;
}

// ------------------------------------------------------------------ whole EFLAGS

/**
 * Fold the pending lazy result into cpu.eflags (kind becomes NONE). Architecturally invisible;
 * used before instructions that change only some arithmetic flags (CLC, BT, rotates, ...).
 */
export function materialize(cpu: CpuState): void {
  const lf = cpu.lf;
  if (lf.op === LfOp.NONE) return;
  const f =
    getCF(cpu) |
    (PARITY[lf.res & 0xff]) |
    (getAF(cpu) << 4) |
    (lf.res === 0 ? ZF : 0) |
    ((lf.res >>> 31) << 7) |
    (getOF(cpu) << 11);
  cpu.eflags = (cpu.eflags & ~ARITH) | f;
  lf.op = LfOp.NONE;
}

/** The architectural EFLAGS value (bit 1 set). */
export function getEflags(cpu: CpuState): number {
  materialize(cpu);
  return cpu.eflags | 2;
}

/** Replace EFLAGS with `v` (the caller has already applied the writable-bit rules). */
export function setEflags(cpu: CpuState, v: number): void {
  cpu.lf.op = LfOp.NONE;
  cpu.eflags = (v & EFLAGS_DEFINED) | 2;
}

/**
 * Set the arithmetic flags in `mask` to the bits of `v` (same positions), leaving the others
 * as they are (materialises first).
 */
export function setArithFlags(cpu: CpuState, mask: number, v: number): void {
  materialize(cpu);
  cpu.eflags = (cpu.eflags & ~mask) | (v & mask);
}

/**
 * Set CF and OF (0/1 each), keeping the other four arithmetic flags, without materialising them:
 * a pending result becomes kind RES (SF/ZF/PF still from `res`, AF folded into eflags). Rotates.
 */
export function setCfOf(cpu: CpuState, cf: number, of: number): void {
  const op = cpu.lf.op;
  if (op === LfOp.NONE || op === LfOp.RES) {
    cpu.eflags = (cpu.eflags & ~(CF | OF)) | cf | (of << 11);
    return;
  }
  cpu.eflags = (cpu.eflags & ~(CF | OF | AF)) | cf | (of << 11) | (getAF(cpu) << 4);
  cpu.lf.op = LfOp.RES;
}

/** Set CF (0/1), keeping the other five arithmetic flags (BT family, CLC/STC/CMC). */
export function setCF(cpu: CpuState, cf: number): void {
  const op = cpu.lf.op;
  if (op === LfOp.NONE || op === LfOp.RES || op === LfOp.INC || op === LfOp.DEC) {
    cpu.eflags = (cpu.eflags & ~CF) | cf;
    return;
  }
  setCfOf(cpu, cf, getOF(cpu));
}

/**
 * Make eflags bit 0 hold the architectural CF, every flag keeping its value: the pending kind is
 * adjusted where bit 0 means something else (ADC/SBB keep their carry-in there). Safe to call before
 * an instruction that may still fault (INC/DEC park CF this way).
 */
export function foldCF(cpu: CpuState): void {
  setCF(cpu, getCF(cpu));
}

/**
 * Record a result whose CF/OF/AF are given now (bits in `cfofaf`, EFLAGS positions) and whose
 * SF/ZF/PF follow from `res` (sign-extended to int32): shifts, multiplies, BCD adjusts.
 */
export function setResultFlags(cpu: CpuState, res: number, cfofaf: number): void {
  cpu.eflags = (cpu.eflags & ~(CF | OF | AF)) | cfofaf;
  const lf = cpu.lf;
  lf.op = LfOp.RES;
  lf.res = res;
}

/** Condition code cc (0-15: O NO B AE E NE BE A S NS P NP L GE LE G), SDM Vol. 1 Appendix B. */
export function testCC(cpu: CpuState, cc: number): boolean {
  const lf = cpu.lf;
  let r: boolean;
  const op = lf.op;
  if (op === LfOp.SUB) {
    // CMP/SUB: compare the operands directly (the common cmp+jcc pair).
    switch (cc >> 1) {
      case 0: r = ((lf.a ^ lf.b) & (lf.a ^ lf.res)) < 0; break;
      case 1: r = (lf.a >>> 0) < (lf.b >>> 0); break;
      case 2: r = lf.res === 0; break;
      case 3: r = (lf.a >>> 0) <= (lf.b >>> 0); break;
      case 4: r = lf.res < 0; break;
      case 5: r = PARITY[lf.res & 0xff] !== 0; break;
      case 6: r = lf.a < lf.b; break;
      default: r = lf.a <= lf.b; break;
    }
  } else if (op === LfOp.LOGIC) {
    switch (cc >> 1) {
      case 0: r = false; break;
      case 1: r = false; break;
      case 2: r = lf.res === 0; break;
      case 3: r = lf.res === 0; break;
      case 4: r = lf.res < 0; break;
      case 5: r = PARITY[lf.res & 0xff] !== 0; break;
      case 6: r = lf.res < 0; break;
      default: r = lf.res <= 0; break;
    }
  } else {
    switch (cc >> 1) {
      case 0: r = getOF(cpu) !== 0; break;
      case 1: r = getCF(cpu) !== 0; break;
      case 2: r = getZF(cpu) !== 0; break;
      case 3: r = (getCF(cpu) | getZF(cpu)) !== 0; break;
      case 4: r = getSF(cpu) !== 0; break;
      case 5: r = getPF(cpu) !== 0; break;
      case 6: r = getSF(cpu) !== getOF(cpu); break;
      default: r = getZF(cpu) !== 0 || getSF(cpu) !== getOF(cpu); break;
    }
  }
  return (cc & 1) === 0 ? r : !r;
}
