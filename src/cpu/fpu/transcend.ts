/**
 * x87 numeric functions on ST(0)/ST(1): FSCALE, FPREM, FPREM1, FRNDINT, FXTRACT (exact) and the
 * transcendental instructions FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1 (JS Math on
 * doubles: see state.ts for the precision). Special cases follow the SDM Vol. 2 tables of each
 * instruction; arguments |x| >= 2^63 of FSIN/FCOS/FSINCOS/FPTAN set C2 and leave ST(0) unchanged.
 */
import { Mn } from '../../frontend/mnemonics.js';
import type { Insn } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { def } from '../handlers.js';
import { Op, outsideDoubles, setOverflow, splitOperand, wide, wideArith } from './arith.js';
import { expOf } from './exact.js';
import { Cls, classifyF80, denormalizeF80, doubleToF80, F80, f80ToDouble, int64ToF80, RC, rf, roundToInt64, scale2 } from './float80.js';
import { nanA, nanB, nanOut, propagateNaN } from './nan.js';
import {
  enter, INDEF_HI, INDEF_SE, isEmpty, phys, pop, push, readPhysF80, setC1, setSt, setStF80, signal, stClass, SW,
  underflow, overflow,
} from './regs.js';
import type { FpuState } from './state.js';

const TWO63 = 9223372036854775808;

/** Copy physical register `from` to `to` (value, raw copy, tag). */
function copyPhys(f: FpuState, from: number, to: number): void {
  readPhysF80(f, from, tmp);
  const i = (to - f.top) & 7;
  setStF80(f, i, tmp.se, tmp.hi, tmp.lo);
}
const tmp = new F80();

/** unaryCheck results. */
const COMPUTE = 0;
const NAN_WRITTEN = 1;
const SUPPRESSED = 2;

/**
 * Checks for a one-operand function of ST(0): empty -> underflow (masked: indefinite); NaN ->
 * propagated; unsupported -> IE. Returns COMPUTE when the caller should compute, NAN_WRITTEN when
 * ST(0) now holds the NaN result, SUPPRESSED after an unmasked exception.
 */
function unaryCheck(cpu: Cpu, f: FpuState): number {
  if (isEmpty(f, 0)) {
    if (underflow(cpu)) return SUPPRESSED;
    setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    return NAN_WRITTEN;
  }
  const c = stClass(f, 0);
  if (c >= Cls.QNAN) {
    readPhysF80(f, phys(f, 0), nanA);
    if (propagateNaN(nanA, null) && signal(cpu, SW.IE)) return SUPPRESSED;
    setC1(f, false);
    setStF80(f, 0, nanOut.se, nanOut.hi, nanOut.lo);
    return NAN_WRITTEN;
  }
  if (c === Cls.DENORMAL && signal(cpu, SW.DE)) return SUPPRESSED;
  return COMPUTE;
}

function unaryOk(cpu: Cpu, f: FpuState): boolean {
  return unaryCheck(cpu, f) === COMPUTE;
}

/** FPTAN/FSINCOS/FXTRACT with a NaN result: the NaN is pushed a second time (observed). */
function pushCopyOfSt0(f: FpuState): void {
  const p = phys(f, 0);
  readPhysF80(f, p, tmp);
  push(f);
  setStF80(f, 0, tmp.se, tmp.hi, tmp.lo);
}

/**
 * Checks for a two-operand function of ST(0), ST(1) whose result goes to `dst` (0 or 1, popping
 * when `doPop`). Returns true when the caller should compute.
 */
function binaryOk(cpu: Cpu, f: FpuState, dst: number, doPop: boolean, deLater = false): boolean {
  if (isEmpty(f, 0) || isEmpty(f, 1)) {
    if (!underflow(cpu)) {
      setStF80(f, dst, INDEF_SE, INDEF_HI, 0);
      if (doPop) pop(f);
    }
    return false;
  }
  const c0 = stClass(f, 0);
  const c1 = stClass(f, 1);
  if (c0 >= Cls.QNAN || c1 >= Cls.QNAN) {
    readPhysF80(f, phys(f, 0), nanA);
    readPhysF80(f, phys(f, 1), nanB);
    if (propagateNaN(nanA, nanB) && signal(cpu, SW.IE)) return false;
    setC1(f, false);
    setStF80(f, dst, nanOut.se, nanOut.hi, nanOut.lo);
    if (doPop) pop(f);
    return false;
  }
  if (!deLater && (c0 === Cls.DENORMAL || c1 === Cls.DENORMAL) && signal(cpu, SW.DE)) return false;
  return true;
}

/** Masked invalid operation: IE, result = real indefinite in ST(dst). Returns false if unmasked. */
function invalid(cpu: Cpu, f: FpuState, dst: number, doPop: boolean): void {
  if (signal(cpu, SW.IE)) return;
  setC1(f, false);
  setStF80(f, dst, INDEF_SE, INDEF_HI, 0);
  if (doPop) pop(f);
}

/** Store a transcendental result: PE unless exact, C1 = 0 (rounding direction not modelled). */
function setInexact(cpu: Cpu, f: FpuState, dst: number, v: number, exact: boolean): void {
  if (!exact) signal(cpu, SW.PE);
  setC1(f, false);
  if (v - v !== 0 && v === v) setOverflow(cpu, dst, v < 0);
  else setSt(f, dst, v);
}

// ---------------------------------------------------------------- trigonometric

function trig(cpu: Cpu, i: Insn, kind: number): void {
  const f = enter(cpu, i, true, false);
  const pushes = kind >= 2; // FPTAN (2) and FSINCOS (3) push a second result
  f.sw &= ~SW.C2;
  if (pushes && !isEmpty(f, 7) && !isEmpty(f, 0)) {
    if (!overflow(cpu)) {
      setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
      push(f);
      setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    }
    return;
  }
  const chk = unaryCheck(cpu, f);
  if (chk !== COMPUTE) {
    if (chk === NAN_WRITTEN && pushes) pushCopyOfSt0(f);
    return;
  }
  const x = f.st[phys(f, 0)];
  if (stClass(f, 0) === Cls.INF) {
    if (signal(cpu, SW.IE)) return;
    setC1(f, false);
    setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    if (pushes) pushCopyOfSt0(f);
    return;
  }
  if (Math.abs(x) >= TWO63) {
    f.sw |= SW.C2; // out of range: operand unchanged (SDM Vol. 2 FSIN)
    return;
  }
  if (x === 0 && (stClass(f, 0) === Cls.NORMAL || stClass(f, 0) === Cls.DENORMAL)) {
    // a raw value below the double range: sin x = tan x = x, cos x = 1 to far below one ulp
    signal(cpu, SW.PE);
    setC1(f, false);
    const p0 = phys(f, 0);
    if ((f.rawSe[p0] & 0x7fff) === 0 && (f.rawHi[p0] & 0x80000000) !== 0) {
      // results are never pseudo-denormals: x comes back with exponent field 1 (observed)
      setStF80(f, 0, f.rawSe[p0] | 1, f.rawHi[p0] >>> 0, f.rawLo[p0] >>> 0);
    }
    if (kind === 1) setSt(f, 0, 1);
    else if (kind >= 2) {
      push(f);
      setSt(f, 0, 1);
    }
    return;
  }
  // reduce like the x87 (its 66-bit pi), then evaluate on |r| <= pi/4 by quadrant
  let r = x;
  let quadrant = 0;
  if (Math.abs(x) > 0.7853981633974483) {
    reduceX87(f, phys(f, 0));
    r = red.r;
    quadrant = red.q;
  }
  const sin = quadrant === 0 ? Math.sin(r) : quadrant === 1 ? Math.cos(r) : quadrant === 2 ? -Math.sin(r) : -Math.cos(r);
  const cos = quadrant === 0 ? Math.cos(r) : quadrant === 1 ? -Math.sin(r) : quadrant === 2 ? -Math.cos(r) : Math.sin(r);
  switch (kind) {
    case 0: setInexact(cpu, f, 0, sin, x === 0); break;
    case 1: setInexact(cpu, f, 0, cos, x === 0); break;
    case 2:
      setInexact(cpu, f, 0, (quadrant & 1) !== 0 ? -1 / Math.tan(r) : Math.tan(r), x === 0);
      push(f);
      setSt(f, 0, 1);
      break;
    default: {
      setInexact(cpu, f, 0, sin, x === 0);
      push(f);
      setSt(f, 0, cos);
    }
  }
}

/**
 * The x87 reduces trigonometric arguments with a 66-bit approximation of pi,
 * 0xC90FDAA2_2168C234_C / 2^66 (documented by Intel as the cause of FSIN's large errors near
 * multiples of pi; checked against the development host's FSIN/FCOS/FPTAN for arguments up to 2^62). We
 * reproduce it exactly: r = x - k * pi66/2 with k the nearest integer, computed on the exact
 * (64-bit) significand with BigInt. This slow path allocates, only for |x| > pi/4.
 */
const PI66 = 0xc90fdaa22168c234cn;
const red = { r: 0.5, q: 0 };
function reduceX87(f: FpuState, p: number): void {
  readPhysF80(f, p, tmp);
  const neg = (tmp.se & 0x8000) !== 0;
  const e = (tmp.se & 0x7fff) - 16383; // x = M * 2^(e - 63), |x| < 2^63 here
  const m = (BigInt(tmp.hi) << 32n) | BigInt(tmp.lo);
  const sh = e - 63 + 67; // x * 2^67 = M * 2^sh
  const num = sh >= 0 ? m << BigInt(sh) : m >> BigInt(-sh); // |x| > pi/4: sh >= 3
  let k = num / PI66;
  let rem = num - k * PI66;
  if (2n * rem > PI66) {
    k += 1n;
    rem -= PI66;
  }
  const r = scale2(Number(rem), -67);
  red.r = neg ? -r : r;
  const q = Number(k & 3n);
  red.q = neg ? (4 - q) & 3 : q;
}

def(Mn.FSIN, (cpu, i) => trig(cpu, i, 0));
def(Mn.FCOS, (cpu, i) => trig(cpu, i, 1));
def(Mn.FPTAN, (cpu, i) => trig(cpu, i, 2));
def(Mn.FSINCOS, (cpu, i) => trig(cpu, i, 3));

// FPATAN: ST(1) = arctan(ST(1) / ST(0)), pop (quadrant from both signs, SDM Vol. 2 Table 3-29).
def(Mn.FPATAN, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (!binaryOk(cpu, f, 1, true)) return;
  const px = phys(f, 0);
  const py = phys(f, 1);
  const x0 = f.st[px];
  const y0 = f.st[py];
  let x = x0;
  let y = y0;
  let tiny: boolean;
  if (outsideDoubles(f, px) || outsideDoubles(f, py)) {
    // atan2 only depends on the ratio: scale both operands by the same power of two
    splitOperand(f, px, x0);
    const mx = wide.m;
    const ex = wide.e;
    splitOperand(f, py, y0);
    const k = Math.max(ex, wide.e);
    tiny = wide.e - ex < -1000;
    y = scale2(wide.m, wide.e - k);
    x = scale2(mx, ex - k);
  } else tiny = Math.abs(y0 / x0) < 2.2250738585072014e-308;
  const r = Math.atan2(y, x);
  const cx = stClass(f, 0);
  const cy = stClass(f, 1);
  const finite = (cx === Cls.NORMAL || cx === Cls.DENORMAL) && (cy === Cls.NORMAL || cy === Cls.DENORMAL);
  if (finite && x > 0 && tiny) {
    // atan(y/x) = y/x to far below one ulp: divide in float80 range
    wideArith(cpu, Op.DIV, 1, py, px, y0, x0, false);
    signal(cpu, SW.PE);
    pop(f);
    return;
  }
  setInexact(cpu, f, 1, r, y === 0 && !(x < 0 || Object.is(x, -0)));
  pop(f);
});

// F2XM1: ST(0) = 2^ST(0) - 1, defined for -1 <= x <= 1. Outside that range the hardware result is
// undefined; the host CPU mostly returns x itself (sometimes x / 2), which is what we return.
def(Mn.F2XM1, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (!unaryOk(cpu, f)) return;
  const x = f.st[phys(f, 0)];
  const cls = stClass(f, 0);
  setC1(f, false);
  if (cls === Cls.ZERO || cls === Cls.INF) {
    if (x === -Infinity) setSt(f, 0, -1);
    return;
  }
  if (x === 0) {
    // a raw value below the double range: 2^x - 1 = x * ln 2 to far below one ulp
    wideArith(cpu, Op.MUL, 0, phys(f, 0), -1, x, Math.LN2, false);
    signal(cpu, SW.PE);
    return;
  }
  if (Math.abs(x) > 1) {
    signal(cpu, SW.PE);
    setC1(f, false);
    return;
  }
  setInexact(cpu, f, 0, Math.expm1(x * Math.LN2), x === 1 || x === -1);
});

/** FYL2X (logp1 = false) and FYL2XP1: ST(1) = ST(1) * log2(ST(0) [+ 1]), pop. */
function fyl2x(cpu: Cpu, i: Insn, logp1: boolean): void {
  const f = enter(cpu, i, true, false);
  if (!binaryOk(cpu, f, 1, true, true)) return;
  const x = f.st[phys(f, 0)];
  const y = f.st[phys(f, 1)];
  let l = logp1 ? Math.log1p(x) * Math.LOG2E : Math.log2(x);
  const p0 = phys(f, 0);
  if (outsideDoubles(f, p0) && (logp1 ? x - x !== 0 : true) && (f.rawSe[p0] & 0x8000) === 0) {
    // a raw value beyond the double range: log2(m * 2^e) = e + log2(m) (log2(1 + x) = log2(x) there)
    splitOperand(f, p0, x);
    l = wide.e + Math.log2(wide.m);
  }
  if (logp1 && x <= -1 && stClass(f, 0) !== Cls.INF) {
    // undefined domain: the host CPU returns x itself (no IE), observed
    signal(cpu, SW.PE);
    setC1(f, false);
    if (stClass(f, 1) === Cls.INF) setSt(f, 1, -y); // observed: y = -inf gives +inf
    else copyPhys(f, phys(f, 0), phys(f, 1));
    pop(f);
    return;
  }
  const xNeg = f.rawValid[p0] ? (f.rawSe[p0] & 0x8000) !== 0 && stClass(f, 0) !== Cls.ZERO : x < 0;
  if (!logp1 && xNeg) {
    invalid(cpu, f, 1, true); // IE takes precedence over DE (observed)
    return;
  }
  const cy = stClass(f, 1);
  if (!logp1 && stClass(f, 0) === Cls.ZERO && cy !== Cls.ZERO && cy !== Cls.INF) {
    // log of zero: divide-by-zero (before DE, observed), -inf * y (SDM Vol. 2 FYL2X table)
    if (signal(cpu, SW.ZE)) return;
    const yNeg = f.rawValid[phys(f, 1)] ? (f.rawSe[phys(f, 1)] & 0x8000) !== 0 : y < 0;
    setSt(f, 1, yNeg ? Infinity : -Infinity);
    pop(f);
    return;
  }
  if ((stClass(f, 0) === Cls.DENORMAL || cy === Cls.DENORMAL) && signal(cpu, SW.DE)) return;
  const py = phys(f, 1);
  // a raw ST(1) beyond the double range takes part in the special cases with its sign only
  const yv = outsideDoubles(f, py) ? ((f.rawSe[py] & 0x8000) !== 0 ? -1 : 1) : y;
  const r = yv * l;
  if (r !== r) {
    invalid(cpu, f, 1, true);
    return;
  }
  if (stClass(f, 1) === Cls.INF || l - l !== 0) {
    setC1(f, false);
    setSt(f, 1, r); // infinite operand: exact infinite result
    pop(f);
    return;
  }
  if (logp1 && x === 0 && outsideDoubles(f, p0)) {
    // log2(1 + x) = x / ln 2 for a raw x below the double range: two float80-range products
    wideArith(cpu, Op.MUL, 0, p0, -1, x, Math.LOG2E, false);
    wideArith(cpu, Op.MUL, 1, py, p0, y, 0, false);
    signal(cpu, SW.PE);
    pop(f);
    return;
  }
  if (l !== 0 && (r - r !== 0 || Math.abs(r) < 2.2250738585072014e-308 || outsideDoubles(f, py))) {
    // the product leaves the double range: multiply in float80 range (ST(1) may be a raw value)
    wideArith(cpu, Op.MUL, 1, py, -1, y, l, false);
    signal(cpu, SW.PE);
    pop(f);
    return;
  }
  setInexact(cpu, f, 1, r, l === 0); // the host sets PE even for exact results such as log2(2)
  pop(f);
}

def(Mn.FYL2X, (cpu, i) => fyl2x(cpu, i, false));
def(Mn.FYL2XP1, (cpu, i) => fyl2x(cpu, i, true));

// ---------------------------------------------------------------- exact functions

// FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)).
def(Mn.FSCALE, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (!binaryOk(cpu, f, 0, false)) return;
  const c0 = stClass(f, 0);
  const c1 = stClass(f, 1);
  const x = f.st[phys(f, 0)];
  const s = Math.trunc(f.st[phys(f, 1)]);
  if (c1 === Cls.INF) {
    // 0 * 2^+inf and inf * 2^-inf are invalid
    if ((c0 === Cls.ZERO && s > 0) || (c0 === Cls.INF && s < 0)) {
      invalid(cpu, f, 0, false);
      return;
    }
    if (c0 === Cls.NORMAL) setSt(f, 0, s > 0 ? (x < 0 ? -Infinity : Infinity) : x < 0 ? -0 : 0);
    return;
  }
  setC1(f, false);
  if (c0 === Cls.ZERO || c0 === Cls.INF || c0 === Cls.DENORMAL) return;
  // exact: add the scale to the float80 exponent (SDM Vol. 2 FSCALE)
  const k = Math.max(-70000, Math.min(70000, s));
  readPhysF80(f, phys(f, 0), tmp);
  const exp = (tmp.se & 0x7fff) + k;
  if (exp >= 0x7fff) setOverflow(cpu, 0, (tmp.se & 0x8000) !== 0);
  else if (exp <= 0) {
    denormalizeF80(tmp.se >>> 15, exp, tmp.hi, tmp.lo, (f.cw >> 10) & 3, tmp);
    if (rf.inexact) signal(cpu, SW.UE | SW.PE);
    setC1(f, rf.up);
    setStF80(f, 0, tmp.se, tmp.hi, tmp.lo);
  } else setStF80(f, 0, (tmp.se & 0x8000) | exp, tmp.hi, tmp.lo);
});

/** Round a double to an integer with rounding control rc (exact). */
export function roundDouble(x: number, rc: number): number {
  if (!(Math.abs(x) < 4503599627370496)) return x; // >= 2^52: already an integer
  let r: number;
  switch (rc) {
    case RC.DOWN: r = Math.floor(x); break;
    case RC.UP: r = Math.ceil(x); break;
    case RC.CHOP: r = Math.trunc(x); break;
    default: {
      const fl = Math.floor(x);
      const d = x - fl;
      r = d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
    }
  }
  return r === 0 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : r;
}

// FRNDINT: round ST(0) to an integer with RC (exact, also for raw 80-bit values).
def(Mn.FRNDINT, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (!unaryOk(cpu, f)) return;
  const p = phys(f, 0);
  const rc = (f.cw >> 10) & 3;
  const x = f.st[p];
  if (f.rawValid[p]) {
    readPhysF80(f, p, tmp);
    const e = (tmp.se & 0x7fff) - 16383;
    if (e >= 63) return; // already an integer
    roundToInt64(tmp.se, tmp.hi, tmp.lo, rc);
    const inexact = rf.inexact;
    const up = rf.up;
    int64ToF80(rf.intHi, rf.intLo, tmp);
    if (tmp.hi === 0 && tmp.lo === 0 && (f.rawSe[p] & 0x8000) !== 0) tmp.se = 0x8000;
    if (inexact) signal(cpu, SW.PE);
    setC1(f, up);
    setStF80(f, 0, tmp.se, tmp.hi, tmp.lo);
    return;
  }
  const r = roundDouble(x, rc);
  if (r !== x) signal(cpu, SW.PE);
  setC1(f, Math.abs(r) > Math.abs(x));
  setSt(f, 0, r);
});

// FXTRACT: ST(0) = exponent, then push the significand (SDM Vol. 2 FXTRACT).
def(Mn.FXTRACT, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (!isEmpty(f, 7) && !isEmpty(f, 0)) {
    if (!overflow(cpu)) {
      setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
      push(f);
      setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    }
    return;
  }
  const chk = unaryCheck(cpu, f);
  if (chk !== COMPUTE) {
    if (chk === NAN_WRITTEN) pushCopyOfSt0(f); // a NaN result is duplicated into both registers
    return;
  }
  const p = phys(f, 0);
  const x = f.st[p];
  setC1(f, false);
  if (f.rawValid[p]) {
    readPhysF80(f, p, tmp);
    const cls = classifyF80(tmp.se, tmp.hi, tmp.lo);
    let e = (tmp.se & 0x7fff) - 16383;
    let hi = tmp.hi;
    let lo = tmp.lo;
    if (cls === Cls.DENORMAL) {
      // normalise the denormal significand
      e = -16382;
      while (hi < 0x80000000) {
        hi = ((hi << 1) | (lo >>> 31)) >>> 0;
        lo = (lo << 1) >>> 0;
        e--;
      }
    }
    const sign = tmp.se & 0x8000;
    setSt(f, 0, e);
    push(f);
    setStF80(f, 0, sign | 0x3fff, hi, lo);
    return;
  }
  if (x === 0) {
    if (signal(cpu, SW.ZE)) return;
    setSt(f, 0, -Infinity);
    push(f);
    setSt(f, 0, x);
    return;
  }
  if (x - x !== 0) {
    setSt(f, 0, Infinity);
    push(f);
    setSt(f, 0, x);
    return;
  }
  const e = expOf(x);
  setSt(f, 0, e);
  push(f);
  setSt(f, 0, scale2(x, -e));
});

/**
 * FPREM (truncating quotient, 8087 semantics) and FPREM1 (IEEE remainder, round-to-nearest
 * quotient): exact on doubles. When the exponent difference D is >= 64 only a partial remainder is
 * computed (C2 = 1), reducing by ST(1) * 2^(D - N) with N = 32 + (D mod 32) (the partial step
 * size is implementation dependent, SDM Vol. 2 FPREM); otherwise C2 = 0 and C0 C3 C1 = Q2 Q1 Q0.
 */
function fprem(cpu: Cpu, i: Insn, ieee: boolean): void {
  const f = enter(cpu, i, true, false);
  f.sw &= ~SW.C2;
  if (!binaryOk(cpu, f, 0, false, true)) return;
  const a = f.st[phys(f, 0)];
  const b = f.st[phys(f, 1)];
  const c0 = stClass(f, 0);
  const c1 = stClass(f, 1);
  if (c0 === Cls.INF || c1 === Cls.ZERO) {
    invalid(cpu, f, 0, false); // IE takes precedence over DE (observed)
    return;
  }
  if ((c0 === Cls.DENORMAL || c1 === Cls.DENORMAL) && signal(cpu, SW.DE)) return;
  f.sw &= ~(SW.C0 | SW.C1 | SW.C3);
  if (c0 === Cls.ZERO || c1 === Cls.INF) {
    // ST(0) unchanged, Q = 0; a pseudo-denormal comes back normalised (observed)
    const p0 = phys(f, 0);
    if (f.rawValid[p0] && (f.rawSe[p0] & 0x7fff) === 0 && (f.rawHi[p0] & 0x80000000) !== 0) {
      setStF80(f, 0, f.rawSe[p0] | 1, f.rawHi[p0] >>> 0, f.rawLo[p0] >>> 0);
    }
    return;
  }
  if (f.rawValid[phys(f, 0)] || f.rawValid[phys(f, 1)]) {
    fpremExact(f, ieee);
    return;
  }
  const d = expOf(a) - expOf(b);
  if (d < 0 && !(ieee && d === -1)) return; // |a| < |b|: remainder is a, Q = 0
  if (d >= 64) {
    const n = 32 + (d % 32);
    const r = a % scale2(Math.abs(b), d - n);
    f.sw |= SW.C2;
    setSt(f, 0, r);
    return;
  }
  // scale both down when 8 * b could overflow (exact: both are far from the denormal range)
  let sa = a;
  let sb = Math.abs(b);
  let back = 0;
  if (sb >= 2 ** 1000) {
    sa = scale2(a, -8);
    sb = scale2(sb, -8);
    back = 8;
  }
  let r = sa % sb;
  // quotient mod 8: (|a mod 8b| - |a mod b|) / b is a small integer up to rounding of the difference
  let q = Math.round((Math.abs(sa % (8 * sb)) - Math.abs(r)) / sb) & 7;
  if (ieee) {
    const ar = Math.abs(r);
    const half = sb / 2;
    if (ar > half || (ar === half && (q & 1) === 1)) {
      r = sa < 0 ? r + sb : r - sb; // r had the sign of the dividend
      q = (q + 1) & 7;
    }
  }
  if (r === 0) r = a < 0 ? -0 : 0;
  if (back !== 0) r = scale2(r, back);
  if (q & 4) f.sw |= SW.C0;
  if (q & 2) f.sw |= SW.C3;
  if (q & 1) f.sw |= SW.C1;
  setSt(f, 0, r);
}

/** Bit length of a positive BigInt below 2^130. */
function bitLength(v: bigint): number {
  let n = 0;
  while (v >= 4294967296n) {
    v >>= 32n;
    n += 32;
  }
  return n + 32 - Math.clz32(Number(v));
}

const remA = new F80();
const remB = new F80();
/**
 * FPREM/FPREM1 on exact 64-bit significands (BigInt; only when an operand holds a raw 80-bit
 * value, which doubles cannot carry exactly). Same partial-remainder rule as the double path.
 */
function fpremExact(f: FpuState, ieee: boolean): void {
  readPhysF80(f, phys(f, 0), remA);
  readPhysF80(f, phys(f, 1), remB);
  const ma = (BigInt(remA.hi) << 32n) | BigInt(remA.lo);
  const mb = (BigInt(remB.hi) << 32n) | BigInt(remB.lo);
  // value = M * 2^(E - 63), E from the exponent field (denormals: -16382)
  const ea = Math.max(remA.se & 0x7fff, 1) - 16383;
  let eb = Math.max(remB.se & 0x7fff, 1) - 16383;
  const la = bitLength(ma);
  const lb = bitLength(mb);
  const d = (ea + la) - (eb + lb); // difference of the true exponents
  if (d < 0 && !(ieee && d === -1)) {
    // remainder = ST(0); a pseudo-denormal comes back normalised (observed)
    if ((remA.se & 0x7fff) === 0 && remA.hi >= 0x80000000) setStF80(f, 0, (remA.se & 0x8000) | 1, remA.hi, remA.lo);
    return;
  }
  let partial = false;
  if (d >= 64) {
    eb += d - (32 + (d % 32)); // reduce by ST(1) * 2^(D - N)
    partial = true;
  }
  const e = Math.min(ea, eb);
  const A = ma << BigInt(ea - e);
  const B = mb << BigInt(eb - e);
  let q = A / B;
  let r = A - q * B;
  if (ieee && !partial && (2n * r > B || (2n * r === B && (q & 1n) === 1n))) {
    r -= B;
    q += 1n;
  }
  let sign = remA.se & 0x8000;
  if (r < 0n) {
    r = -r;
    sign ^= 0x8000;
  }
  if (partial) f.sw |= SW.C2;
  else {
    const qq = Number(q & 7n);
    if (qq & 4) f.sw |= SW.C0;
    if (qq & 2) f.sw |= SW.C3;
    if (qq & 1) f.sw |= SW.C1;
  }
  if (r === 0n) {
    setStF80(f, 0, remA.se & 0x8000, 0, 0);
    return;
  }
  const len = bitLength(r); // <= 64
  const m = r << BigInt(64 - len);
  const exp = e + len - 64 + 16383;
  if (exp <= 0) {
    denormalizeF80(sign >>> 15, exp, Number(m >> 32n), Number(m & 0xffffffffn), RC.CHOP, tmp);
    setStF80(f, 0, tmp.se, tmp.hi, tmp.lo);
    return;
  }
  setStF80(f, 0, sign | exp, Number(m >> 32n), Number(m & 0xffffffffn));
}

def(Mn.FPREM, (cpu, i) => fprem(cpu, i, false));
def(Mn.FPREM1, (cpu, i) => fprem(cpu, i, true));
