/**
 * x87 basic arithmetic: FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR with their P (pop) and I (integer memory)
 * forms, and FSQRT (SDM Vol. 2 instruction pages; exceptions per Vol. 1 §8.5 and Table 4-7).
 *
 * Operand forms (Insn contract): memory `op m32fp/m64fp/m16int/m32int` operate on ST(0);
 * register forms carry ST(dst), ST(src) in slots 0 and 1. Reversed forms compute src - dst.
 */
import { Mn } from '../../frontend/mnemonics.js';
import type { Insn } from '../../frontend/insn.js';
import { OpKind } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { def } from '../handlers.js';
import {
  addE, ddAdd, ddDiv, ddMul, ddSqrt, divE, errSign, xs, expOf, foldError, mulE, roundDD64, roundResult, rr, sqrtE,
} from './exact.js';
import { Cls, classifyF80, denormalizeF80, doubleToF80, F80, f80out, f80ToDouble, RC, rf, scale2 } from './float80.js';
import { mem, readFloat, readInt } from './memfmt.js';
import { nanA, nanB, nanOut, propagateNaN } from './nan.js';
import {
  enter, INDEF_HI, INDEF_SE, isEmpty, phys, pop, readPhysF80, setC1, setSt, setStF80, signal, stClass, SW, underflow,
} from './regs.js';
import type { FpuState } from './state.js';

export const Op = { ADD: 0, SUB: 1, SUBR: 2, MUL: 3, DIV: 4, DIVR: 5 } as const;

/** Is any operand register an 80-bit denormal (DE) / unsupported encoding (IE)? 0, DE or IE bits. */
function rawOperandExc(f: FpuState, p: number): number {
  if (!f.rawValid[p]) return 0;
  const c = classifyF80(f.rawSe[p], f.rawHi[p] >>> 0, f.rawLo[p] >>> 0);
  return c === Cls.DENORMAL ? SW.DE : c === Cls.UNSUPPORTED ? SW.IE : 0;
}

/**
 * For a register holding a raw 80-bit value (more than 53 significant bits), the difference
 * raw - double as a double; 0 for exact registers. Lets +, -, *, / and sqrt round the exact
 * 64-bit operands once (to PC = single/double) instead of their 53-bit approximations.
 */
function residual(f: FpuState, p: number): number {
  if (!f.rawValid[p]) return 0;
  const se = f.rawSe[p];
  const hi = f.rawHi[p] >>> 0;
  const lo = f.rawLo[p] >>> 0;
  const d = f.st[p];
  if (classifyF80(se, hi, lo) !== Cls.NORMAL || d - d !== 0) return 0;
  const e = (se & 0x7fff) - 16383;
  if (e < -1000) return 0;
  const top = scale2(hi * 2097152 + (lo >>> 11), e - 52); // the leading 53 bits, exact
  const r = top - Math.abs(d) + scale2(lo & 0x7ff, e - 63);
  return (se & 0x8000) !== 0 ? -r : r;
}

/**
 * Masked overflow response for a register result beyond the float80 range (SDM Vol. 1 §4.9.1.4):
 * infinity, or the largest finite value of the precision control (15-bit exponent in registers),
 * by rounding control. Written to ST(dstI).
 */
export function setOverflow(cpu: Cpu, dstI: number, negative: boolean): void {
  const f = cpu.fpu;
  const rc = (f.cw >> 10) & 3;
  signal(cpu, SW.OE | SW.PE);
  const toInf = rc === RC.NEAREST || (rc === RC.UP && !negative) || (rc === RC.DOWN && negative);
  setC1(f, toInf);
  const sign = negative ? 0x8000 : 0;
  if (toInf) {
    setStF80(f, dstI, sign | 0x7fff, 0x80000000, 0);
    return;
  }
  const pc = (f.cw >> 8) & 3;
  setStF80(f, dstI, sign | 0x7ffe, pc === 0 ? 0xffffff00 : 0xffffffff, pc === 0 ? 0 : pc === 2 ? 0xfffff800 : 0xffffffff);
}

/**
 * dst = dst op src, where dst is ST(dstI); the source is physical register `srcP`, or (srcP < 0)
 * the memory value `memVal` just read (see `mem`). Pops afterwards when `doPop`.
 */
function arith(cpu: Cpu, op: number, dstI: number, srcP: number, memVal: number, doPop: boolean): void {
  const f = cpu.fpu;
  const dstP = phys(f, dstI);
  if (((f.tag >> (dstP << 1)) & 3) === 3 || (srcP >= 0 && ((f.tag >> (srcP << 1)) & 3) === 3)) {
    if (!underflow(cpu)) {
      setStF80(f, dstI, INDEF_SE, INDEF_HI, 0);
      if (doPop) pop(f);
    }
    return;
  }
  const d = f.st[dstP];
  const s = srcP >= 0 ? f.st[srcP] : memVal;
  const reversed = op === Op.SUBR || op === Op.DIVR;
  let a = reversed ? s : d;
  let b = reversed ? d : s;
  let exc = rawOperandExc(f, dstP) | (srcP >= 0 ? rawOperandExc(f, srcP) : 0);
  if (a !== a || b !== b || (exc & SW.IE) !== 0) {
    readPhysF80(f, dstP, nanA);
    if (srcP >= 0) readPhysF80(f, srcP, nanB);
    else if (s !== s) {
      nanB.se = mem.f80.se;
      nanB.hi = mem.f80.hi;
      nanB.lo = mem.f80.lo;
    } else doubleToF80(s, nanB);
    const invalid = reversed ? propagateNaN(nanB, nanA) : propagateNaN(nanA, nanB);
    if (invalid && signal(cpu, SW.IE)) return;
    setC1(f, false);
    setStF80(f, dstI, nanOut.se, nanOut.hi, nanOut.lo);
    if (doPop) pop(f);
    return;
  }
  // raw operands beyond the double range take part in the special-case checks as +-1
  const dWide = outsideDoubles(f, dstP);
  const sWide = srcP >= 0 && outsideDoubles(f, srcP);
  const wide = dWide || sWide;
  if (wide) {
    if (reversed ? sWide : dWide) a = a < 0 ? -1 : 1;
    if (reversed ? dWide : sWide) b = b < 0 ? -1 : 1;
  }
  // invalid operations (SDM Vol. 1 §4.9.1.2)
  const aInf = a - a !== 0;
  const bInf = b - b !== 0;
  let invalid = false;
  switch (op) {
    case Op.ADD: invalid = aInf && bInf && a !== b; break;
    case Op.SUB: case Op.SUBR: invalid = aInf && bInf && a === b; break;
    case Op.MUL: invalid = (aInf && b === 0) || (bInf && a === 0); break;
    default: invalid = (a === 0 && b === 0) || (aInf && bInf);
  }
  if (invalid) {
    if (signal(cpu, SW.IE)) return;
    setC1(f, false);
    setStF80(f, dstI, INDEF_SE, INDEF_HI, 0);
    if (doPop) pop(f);
    return;
  }
  if (srcP < 0 && mem.denormal) exc |= SW.DE;
  const isDiv = op === Op.DIV || op === Op.DIVR;
  if (isDiv && b === 0 && !aInf) exc = 0; // x / 0 reports ZE only, even for a denormal x (observed)
  if (exc !== 0 && signal(cpu, exc)) return;
  if (isDiv && b === 0 && !aInf) {
    // division by zero (SDM Vol. 1 §4.9.1.3): signed infinity
    if (signal(cpu, SW.ZE)) return;
    setC1(f, false);
    const negA = a < 0 || Object.is(a, -0);
    setSt(f, dstI, negA !== Object.is(b, -0) ? -Infinity : Infinity);
    if (doPop) pop(f);
    return;
  }
  const cw = f.cw;
  const rc = (cw >> 10) & 3;
  let r: number;
  if (aInf || bInf) {
    r = op === Op.ADD ? a + b : op === Op.MUL ? a * b : isDiv ? a / b : a - b;
    setC1(f, false);
  } else {
    if (wide && ((a !== 0 && b !== 0) || op === Op.ADD || op === Op.SUB || op === Op.SUBR)) {
      wideArith(cpu, op, dstI, dstP, srcP, a, b, reversed);
      if (doPop) pop(f);
      return;
    }
    const pc = (cw >> 8) & 3;
    if ((pc & 1) !== 0 && extendedArith(cpu, op, dstI, dstP, srcP, a, b, reversed)) {
      if (doPop) pop(f);
      return;
    }
    switch (op) {
      case Op.ADD: r = addE(a, b, rc); break;
      case Op.SUB: case Op.SUBR: r = addE(a, -b, rc); break;
      case Op.MUL: r = mulE(a, b); break;
      default: r = divE(a, b);
    }
    const rd = residual(f, dstP);
    const rs = srcP >= 0 ? residual(f, srcP) : 0;
    if ((rd !== 0 || rs !== 0) && r - r === 0) {
      const ra = reversed ? rs : rd;
      const rb = reversed ? rd : rs;
      let extra: number;
      switch (op) {
        case Op.ADD: extra = ra + rb; break;
        case Op.SUB: case Op.SUBR: extra = ra - rb; break;
        case Op.MUL: extra = a * rb + b * ra; break;
        default: extra = (ra - r * rb) / b;
      }
      r = foldError(r, extra);
    }
    if (r - r !== 0 || ((op === Op.MUL || isDiv) && r !== 0 && !wide && Math.abs(r) < 2.2250738585072014e-308) ||
        ((op === Op.MUL || isDiv) && r === 0 && a !== 0 && b !== 0 && !bInf)) {
      // the exact result or an operand is outside the double exponent range: compute on scaled
      // significands and keep the float80 result (its exponent range is the x87's)
      wideArith(cpu, op, dstI, dstP, srcP, a, b, reversed);
      if (doPop) pop(f);
      return;
    }
    const rounded = roundResult(r, errSign, (cw >> 8) & 3, rc);
    if (rr.inexact) signal(cpu, SW.PE);
    setC1(f, rr.up);
    if (rounded - rounded !== 0) {
      // rounding carried to 2^1024: a valid register value beyond the double range
      setStF80(f, dstI, (r < 0 ? 0x8000 : 0) | (0x3fff + 1024), 0x80000000, 0);
      if (doPop) pop(f);
      return;
    }
    r = rounded;
  }
  setSt(f, dstI, r);
  if (doPop) pop(f);
}

/** Smallest |result| for the double-double path (its low part must stay normal). */
const DD_MIN = 2 ** -900;

/**
 * Precision control = extended (PC 11b, and the reserved 01b, which the host CPU also treats as
 * 64 bits): the exact result of the 64-bit operands as a double-double, rounded once to a 64-bit
 * significand with RC, as the x87 does. Returns false (caller uses the double path) when the
 * result is zero or outside the normal double range.
 */
function extendedArith(cpu: Cpu, op: number, dstI: number, dstP: number, srcP: number, a: number, b: number, reversed: boolean): boolean {
  const f = cpu.fpu;
  const rd = residual(f, dstP);
  const rs = srcP >= 0 ? residual(f, srcP) : 0;
  const al = reversed ? rs : rd;
  const bl = reversed ? rd : rs;
  switch (op) {
    case Op.ADD: ddAdd(a, al, b, bl); break;
    case Op.SUB: case Op.SUBR: ddAdd(a, al, -b, -bl); break;
    case Op.MUL: ddMul(a, al, b, bl); break;
    default: ddDiv(a, al, b, bl);
  }
  const h = xs.h;
  if (!(Math.abs(h) >= DD_MIN && h - h === 0)) return false;
  roundDD64((f.cw >> 10) & 3);
  if (rr.inexact) signal(cpu, SW.PE);
  setC1(f, rr.up);
  setStF80(f, dstI, f80out.se, f80out.hi, f80out.lo);
  return true;
}

/** Is physical register p a raw value whose exponent is outside the double range? */
export function outsideDoubles(f: FpuState, p: number): boolean {
  if (!f.rawValid[p]) return false;
  const ef = f.rawSe[p] & 0x7fff;
  if (ef === 0) return (f.rawHi[p] | f.rawLo[p]) !== 0; // float80 denormal / pseudo-denormal
  if ((f.rawHi[p] & 0x80000000) === 0 || ef === 0x7fff) return false; // unsupported, NaN
  const e = ef - 16383;
  return e > 1023 || e < -1022;
}

const wa = new F80();
/** Results of splitOperand (read them right after the call; an object so that storing doubles
 *  does not allocate): significand m + l in [1, 2], exponent e. */
class WideSplit {
  m = 0.5;
  l = 0.5;
  e = 0;
}
export const wide = new WideSplit();
/**
 * Split an operand into a significand in [1, 2] as a double (nearest of the exact one) plus its
 * residual `wide.l` (exact 64-bit significand = wide.m + wide.l), and an exponent `wide.e`.
 */
export function splitOperand(f: FpuState, p: number, v: number): void {
  wide.l = 0;
  if (p >= 0 && f.rawValid[p]) {
    const se = f.rawSe[p];
    let hi = f.rawHi[p] >>> 0;
    let lo = f.rawLo[p] >>> 0;
    wide.e = Math.max(se & 0x7fff, 1) - 16383; // (pseudo-)denormals have the exponent of field 1
    if (hi < 0x80000000) {
      // denormal: normalise the significand
      const sh = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
      if (sh >= 32) {
        hi = (lo << (sh - 32)) >>> 0;
        lo = 0;
      } else {
        hi = ((hi << sh) | (lo >>> (32 - sh))) >>> 0;
        lo = (lo << sh) >>> 0;
      }
      wide.e -= sh;
    }
    wide.m = f80ToDouble((se & 0x8000) | 0x3fff, hi, lo);
    const r = scale2(hi * 2097152 + (lo >>> 11), -52) - Math.abs(wide.m) + scale2(lo & 0x7ff, -63);
    wide.l = (se & 0x8000) !== 0 ? -r : r;
    return;
  }
  if (v === 0) {
    wide.e = -100000;
    wide.m = v; // keeps the sign of zero
    return;
  }
  wide.e = expOf(v);
  wide.m = scale2(v, -wide.e);
}

/**
 * a op b for finite nonzero operands whose result or operands leave the double range: the
 * operation runs on significands scaled into [1, 2], is rounded by PC/RC there, and the exponent
 * is re-applied in float80 (raw register value). Significands are rounded to 53 bits first, so
 * this path is exact under PC = double/single only for operands that are doubles or in range.
 */
export function wideArith(cpu: Cpu, op: number, dstI: number, dstP: number, srcP: number, a: number, b: number, reversed: boolean): void {
  const f = cpu.fpu;
  const cw = f.cw;
  const rc = (cw >> 10) & 3;
  splitOperand(f, reversed ? srcP : dstP, a);
  const ma = wide.m;
  const mal = wide.l;
  const ea = wide.e;
  splitOperand(f, reversed ? dstP : srcP, b);
  const mb = wide.m;
  const mbl = wide.l;
  const eb = wide.e;
  const isAdd = op === Op.ADD || op === Op.SUB || op === Op.SUBR;
  let addTop = 0;
  if (isAdd && ma !== 0 && mb !== 0) {
    // align on the larger exponent; an operand 200 binades below only matters as a sticky bit
    addTop = Math.max(ea, eb);
    const sgnB = op === Op.ADD ? 1 : -1;
    if (ea - addTop < -200) ddAdd(Math.sign(ma) * 2 ** -200, 0, sgnB * mb, sgnB * mbl);
    else if (eb - addTop < -200) ddAdd(ma, mal, sgnB * Math.sign(mb) * 2 ** -200, 0);
    else ddAdd(scale2(ma, ea - addTop), scale2(mal, ea - addTop), sgnB * scale2(mb, eb - addTop), sgnB * scale2(mbl, eb - addTop));
  }
  if ((((cw >> 8) & 3) & 1) !== 0 && ma !== 0 && mb !== 0 && (!isAdd || xs.h !== 0)) {
    // PC = extended: 64-bit rounding of the double-double result, exponent re-applied
    if (op === Op.MUL) ddMul(ma, mal, mb, mbl);
    else if (!isAdd) ddDiv(ma, mal, mb, mbl);
    roundDD64(rc);
    const inexact64 = rr.inexact;
    const up64 = rr.up;
    const exp64 = (f80out.se & 0x7fff) + (isAdd ? addTop : op === Op.MUL ? ea + eb : ea - eb);
    if (exp64 >= 0x7fff) {
      setOverflow(cpu, dstI, (f80out.se & 0x8000) !== 0);
      return;
    }
    if (exp64 <= 0) {
      denormalizeF80(f80out.se >>> 15, exp64, f80out.hi, f80out.lo, rc, wa);
      if (rf.inexact || inexact64) signal(cpu, SW.UE | SW.PE);
      setC1(f, rf.up);
      setStF80(f, dstI, wa.se, wa.hi, wa.lo);
      return;
    }
    if (inexact64) signal(cpu, SW.PE);
    setC1(f, up64);
    setStF80(f, dstI, (f80out.se & 0x8000) | exp64, f80out.hi, f80out.lo);
    return;
  }
  let rs: number;
  let k: number;
  switch (op) {
    case Op.MUL: rs = mulE(ma, mb); k = ea + eb; break;
    case Op.DIV: case Op.DIVR: rs = divE(ma, mb); k = ea - eb; break;
    default: {
      if (ma === 0 && mb === 0) {
        rs = addE(a, op === Op.ADD ? b : -b, rc); // signed zeros
        k = 0;
        break;
      }
      const top = Math.max(ea, eb);
      const sb = op === Op.ADD ? mb : -mb;
      // an operand more than 200 binades below the other only matters as a sticky bit
      const xa = ea - top < -200 ? (ma === 0 ? 0 : Math.sign(ma) * 2 ** -200) : scale2(ma, ea - top);
      const xb = eb - top < -200 ? (sb === 0 ? 0 : Math.sign(sb) * 2 ** -200) : scale2(sb, eb - top);
      rs = addE(xa, xb, rc);
      k = top;
    }
  }
  if (rs === 0) {
    setC1(f, false);
    setSt(f, dstI, rs);
    return;
  }
  rs = roundResult(rs, errSign, (cw >> 8) & 3, rc);
  const inexact = rr.inexact;
  const up = rr.up;
  doubleToF80(rs, wa);
  const exp = (wa.se & 0x7fff) + k;
  if (exp >= 0x7fff) {
    setOverflow(cpu, dstI, rs < 0);
    return;
  }
  if (exp <= 0) {
    // below the float80 normal range: denormalised (after a first rounding to PC bits)
    denormalizeF80(wa.se >>> 15, exp, wa.hi, wa.lo, rc, wa);
    if (rf.inexact || inexact) signal(cpu, SW.UE | SW.PE);
    setC1(f, rf.up);
    setStF80(f, dstI, wa.se, wa.hi, wa.lo);
    return;
  }
  if (inexact) signal(cpu, SW.PE);
  setC1(f, up);
  setStF80(f, dstI, (wa.se & 0x8000) | exp, wa.hi, wa.lo);
}

/** Decode the operand form of an arithmetic instruction and run it. */
function arithInsn(cpu: Cpu, i: Insn, op: number, popForm: boolean, intForm: boolean): void {
  const f = enter(cpu, i, true, false);
  if (i.k0 === OpKind.Mem || i.k1 === OpKind.Mem) {
    const size = i.k0 === OpKind.Mem ? i.s0 : i.s1;
    const off = cpu.ea(i);
    const v = intForm ? readInt(cpu, i.seg, off, size) : readFloat(cpu, i.seg, off, size);
    arith(cpu, op, 0, -1, v, false);
    return;
  }
  let dst: number;
  let src: number;
  if (i.k0 === OpKind.St && i.k1 === OpKind.St) {
    dst = i.v0;
    src = i.v1;
  } else if (i.k0 === OpKind.St) {
    dst = popForm ? i.v0 : 0;
    src = popForm ? 0 : i.v0;
  } else {
    dst = 1; // FADDP etc. without operands: ST(1) = ST(1) op ST(0), pop
    src = 0;
  }
  arith(cpu, op, dst, phys(f, src), 0, popForm);
}

def(Mn.FADD, (cpu, i) => arithInsn(cpu, i, Op.ADD, false, false));
def(Mn.FADDP, (cpu, i) => arithInsn(cpu, i, Op.ADD, true, false));
def(Mn.FIADD, (cpu, i) => arithInsn(cpu, i, Op.ADD, false, true));
def(Mn.FSUB, (cpu, i) => arithInsn(cpu, i, Op.SUB, false, false));
def(Mn.FSUBP, (cpu, i) => arithInsn(cpu, i, Op.SUB, true, false));
def(Mn.FISUB, (cpu, i) => arithInsn(cpu, i, Op.SUB, false, true));
def(Mn.FSUBR, (cpu, i) => arithInsn(cpu, i, Op.SUBR, false, false));
def(Mn.FSUBRP, (cpu, i) => arithInsn(cpu, i, Op.SUBR, true, false));
def(Mn.FISUBR, (cpu, i) => arithInsn(cpu, i, Op.SUBR, false, true));
def(Mn.FMUL, (cpu, i) => arithInsn(cpu, i, Op.MUL, false, false));
def(Mn.FMULP, (cpu, i) => arithInsn(cpu, i, Op.MUL, true, false));
def(Mn.FIMUL, (cpu, i) => arithInsn(cpu, i, Op.MUL, false, true));
def(Mn.FDIV, (cpu, i) => arithInsn(cpu, i, Op.DIV, false, false));
def(Mn.FDIVP, (cpu, i) => arithInsn(cpu, i, Op.DIV, true, false));
def(Mn.FIDIV, (cpu, i) => arithInsn(cpu, i, Op.DIV, false, true));
def(Mn.FDIVR, (cpu, i) => arithInsn(cpu, i, Op.DIVR, false, false));
def(Mn.FDIVRP, (cpu, i) => arithInsn(cpu, i, Op.DIVR, true, false));
def(Mn.FIDIVR, (cpu, i) => arithInsn(cpu, i, Op.DIVR, false, true));

// FSQRT (SDM Vol. 2): ST(0) = sqrt(ST(0)); -0 -> -0; negative nonzero -> IE.
def(Mn.FSQRT, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (isEmpty(f, 0)) {
    if (!underflow(cpu)) setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    return;
  }
  const p = phys(f, 0);
  const x = f.st[p];
  const exc = rawOperandExc(f, p);
  if (x !== x || (exc & SW.IE) !== 0) {
    readPhysF80(f, p, nanA);
    if (propagateNaN(nanA, null) && signal(cpu, SW.IE)) return;
    setC1(f, false);
    setStF80(f, 0, nanOut.se, nanOut.hi, nanOut.lo);
    return;
  }
  if (f.rawValid[p] ? (f.rawSe[p] & 0x8000) !== 0 && stClass(f, 0) !== Cls.ZERO : x < 0) {
    if (signal(cpu, SW.IE)) return;
    setC1(f, false);
    setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    return;
  }
  if (exc !== 0 && signal(cpu, exc)) return;
  if (outsideDoubles(f, p)) {
    // sqrt(m * 2^e) = sqrt(m * 2^(e & 1)) * 2^(e >> 1), rounded in the scaled domain
    splitOperand(f, p, x);
    const m = (wide.e & 1) !== 0 ? wide.m * 2 : wide.m;
    const half = wide.e >> 1;
    const cw0 = f.cw;
    const s = roundResult(sqrtE(m), errSign, (cw0 >> 8) & 3, (cw0 >> 10) & 3);
    if (rr.inexact) signal(cpu, SW.PE);
    setC1(f, rr.up);
    doubleToF80(s, wa);
    setStF80(f, 0, (wa.se & 0x7fff) + half, wa.hi, wa.lo);
    return;
  }
  if (x === 0 || x === Infinity) {
    setC1(f, false);
    return;
  }
  const cw = f.cw;
  if ((((cw >> 8) & 3) & 1) !== 0 && x >= DD_MIN && x - x === 0) {
    ddSqrt(x, residual(f, p));
    roundDD64((cw >> 10) & 3);
    if (rr.inexact) signal(cpu, SW.PE);
    setC1(f, rr.up);
    setStF80(f, 0, f80out.se, f80out.hi, f80out.lo);
    return;
  }
  let s = sqrtE(x);
  const rx = residual(f, p);
  if (rx !== 0) s = foldError(s, rx / (2 * s));
  const r = roundResult(s, errSign, (cw >> 8) & 3, (cw >> 10) & 3);
  if (rr.inexact) signal(cpu, SW.PE);
  setC1(f, rr.up);
  setSt(f, 0, r);
});
