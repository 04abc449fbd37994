/**
 * Double arithmetic with the sign of its rounding error, so results can be re-rounded exactly to the
 * x87 precision and rounding controls (SDM Vol. 1 §8.1.5): after each operation `errSign` is the
 * sign of (exact result - returned double): +1, -1 or 0 (exact).
 *
 * Error terms: TwoSum (Knuth) for + and -, Dekker's TwoProduct with Veltkamp splitting for *, and
 * remainders a - q*b / a - s*s through TwoProduct for / and sqrt. Operands are first scaled by
 * powers of two into [1, 2) so that the splitting cannot overflow or underflow; scaling is exact.
 */
import {
  doubleBitsHi, doubleBitsLo, doubleFromBits, doubleToF80, f80out, pow2, RC, roundToDouble, rf, scale2,
} from './float80.js';

/** Sign of the rounding error of the last operation. */
export let errSign = 0;
/**
 * Double-valued results of the last operation, in one object (module-level `let`s holding doubles
 * would allocate a heap number on every store): `errVal` = exact - result (exact for +/-, close
 * otherwise); `h` + `l` = the double-double of ddAdd..ddSqrt; `ph` + `pl` = TwoProduct.
 */
class ExactScratch {
  errVal = 0.5;
  h = 0.5;
  l = 0.5;
  ph = 0.5;
  pl = 0.5;
}
export const xs = new ExactScratch();

/** Unbiased binary exponent of a finite nonzero double (denormals included). */
export function expOf(x: number): number {
  const b = (doubleBitsHi(x) >>> 20) & 0x7ff;
  if (b !== 0) return b - 1023;
  return ((doubleBitsHi(x * 18446744073709551616) >>> 20) & 0x7ff) - 1023 - 64;
}

/** ph + pl = a * b exactly for |a|, |b| in a safe range (Dekker). */
function twoProd(a: number, b: number): void {
  xs.ph = a * b;
  const c = 134217729 * a;
  const ah = c - (c - a);
  const al = a - ah;
  const d = 134217729 * b;
  const bh = d - (d - b);
  const bl = b - bh;
  xs.pl = ((ah * bh - xs.ph) + ah * bl + al * bh) + al * bl;
}

function sgn(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : 0;
}

/** a + b (finite operands). An exact zero sum of nonzero terms is -0 when rounding down (IEEE 754 §6.3). */
export function addE(a: number, b: number, rc: number): number {
  const s = a + b;
  if (s - s !== 0) {
    errSign = 0;
    xs.errVal = 0;
    return s;
  }
  const bb = s - a;
  xs.errVal = (a - (s - bb)) + (b - bb);
  errSign = sgn(xs.errVal);
  if (s === 0 && rc === RC.DOWN && !(Object.is(a, 0) && Object.is(b, 0))) return -0;
  return s;
}

/** a * b (finite operands). */
export function mulE(a: number, b: number): number {
  const p = a * b;
  if (a === 0 || b === 0 || p - p !== 0) {
    errSign = 0;
    xs.errVal = 0;
    return p;
  }
  const ea = expOf(a);
  const eb = expOf(b);
  twoProd(scale2(a, -ea), scale2(b, -eb));
  const ps = scale2(p, -(ea + eb));
  const e = (xs.ph - ps) + xs.pl;
  errSign = sgn(e);
  xs.errVal = scale2(e, ea + eb);
  return p;
}

/** a / b (finite operands, b != 0). */
export function divE(a: number, b: number): number {
  const q = a / b;
  if (a === 0 || q - q !== 0) {
    errSign = 0;
    xs.errVal = 0;
    return q;
  }
  const ea = expOf(a);
  const eb = expOf(b);
  const ma = scale2(a, -ea);
  const mb = scale2(b, -eb);
  twoProd(scale2(q, eb - ea), mb);
  const rem = (ma - xs.ph) - xs.pl;
  errSign = sgn(rem) * sgn(mb);
  xs.errVal = scale2(rem / mb, ea - eb);
  return q;
}

/** sqrt(a) for finite a > 0. */
export function sqrtE(a: number): number {
  const s = Math.sqrt(a);
  const ea = expOf(a) & ~1;
  const ma = scale2(a, -ea);
  const ss = scale2(s, -(ea >> 1));
  twoProd(ss, ss);
  const rem = (ma - xs.ph) - xs.pl;
  errSign = sgn(rem);
  xs.errVal = scale2(rem / (2 * ss), ea >> 1);
  return s;
}

/**
 * Fold an extra error term `extra` (from operands that were not exact doubles) into the result
 * `r` of the last operation: returns the nearest double to r + xs.errVal + extra and sets
 * errSign/xs.errVal for it.
 */
export function foldError(r: number, extra: number): number {
  const e = xs.errVal + extra;
  if (e === 0) return r; // keeps the sign of an exact zero
  const s = r + e;
  if (s - s !== 0) return r;
  const bb = s - r;
  xs.errVal = (r - (s - bb)) + (e - bb);
  errSign = sgn(xs.errVal);
  return s;
}

/** Next double toward +Infinity / -Infinity (finite x). */
export function nextUp(x: number): number {
  if (x === 0) return pow2(-1074);
  let hi = doubleBitsHi(x);
  let lo = doubleBitsLo(x);
  if (x > 0) {
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  } else {
    if (lo === 0) hi = (hi - 1) >>> 0;
    lo = (lo - 1) >>> 0;
  }
  return doubleFromBits(hi, lo);
}

export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** Result flags of `roundResult`: inexact (PE) and rounded up in magnitude (C1). */
export const rr = { inexact: false, up: false };

/**
 * Round the double result `r` of an operation (exact = r + error with sign `es`) to the precision
 * control `pc` (0 single, 2 double, 3 extended: see state.ts for extended) and rounding control
 * `rc`. Sets `rr`.
 */
export function roundResult(r: number, es: number, pc: number, rc: number): number {
  if (r - r !== 0 || r === 0 || (es === 0 && pc !== 0)) {
    rr.inexact = es !== 0;
    rr.up = false;
    return r;
  }
  if (pc === 0) {
    // single: re-round once from the 64-bit image of r, with the error as sticky information
    doubleToF80(r, f80out);
    let e = (f80out.se & 0x7fff) - 16383;
    let hi = f80out.hi;
    let lo = f80out.lo;
    if (es !== 0 && es * sgn(r) < 0) {
      // exact magnitude is just below |r|: (M - 1) + sticky, renormalised
      if (lo === 0) {
        lo = 0xffffffff;
        hi = (hi - 1) >>> 0;
      } else lo = (lo - 1) >>> 0;
      if (hi < 0x80000000) {
        hi = ((hi << 1) | (lo >>> 31)) >>> 0;
        lo = (lo << 1) >>> 0;
        e -= 1;
      }
    }
    const v = roundToDouble(r < 0 ? 1 : 0, e, hi, lo, es !== 0, 24, -16382, 16383, rc);
    rr.inexact = rf.inexact;
    rr.up = rf.up;
    return v;
  }
  // double (and extended, approximated by double): r is the nearest; move one ulp for directed modes
  let v = r;
  if (rc === RC.UP) {
    if (es > 0) v = nextUp(r);
  } else if (rc === RC.DOWN) {
    if (es < 0) v = nextDown(r);
  } else if (rc === RC.CHOP) {
    if (r > 0 && es < 0) v = nextDown(r);
    else if (r < 0 && es > 0) v = nextUp(r);
  }
  rr.inexact = true;
  // magnitude rounded up iff the final value lies beyond the exact one, away from zero
  const finalErr = v === r ? es : -es;
  rr.up = r > 0 ? finalErr < 0 : finalErr > 0;
  return v;
}

// ---------------------------------------------------------------- 64-bit precision (PC = extended)

/**
 * Double-double results: the exact value of an operation on operands given as unevaluated sums
 * a = ah + al, b = bh + bl (a register's double plus its raw residual) is xs.h + xs.l to about 2^-104
 * relative, enough to round to the x87's 64-bit significand (roundDD64).
 */

function fastTwoSum(a: number, b: number): void {
  const s = a + b;
  xs.l = b - (s - a);
  xs.h = s;
}

function twoSumDD(a: number, b: number, tail: number): void {
  const s = a + b;
  const bb = s - a;
  const e = (a - (s - bb)) + (b - bb) + tail;
  fastTwoSum(s, e);
}

export function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSumDD(ah, bh, al + bl);
}

export function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProdSafe(ah, bh);
  const p = xs.ph;
  const e = xs.pl + (ah * bl + al * bh);
  fastTwoSum(p, e);
}

export function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  const q1 = ah / bh;
  twoProdSafe(q1, bh);
  const r = ((ah - xs.ph) - xs.pl) + al - q1 * bl;
  fastTwoSum(q1, r / bh);
}

export function ddSqrt(ah: number, al: number): void {
  const s1 = Math.sqrt(ah);
  twoProdSafe(s1, s1);
  const r = ((ah - xs.ph) - xs.pl) + al;
  fastTwoSum(s1, r / (2 * s1));
}

/** TwoProduct with scaling (operands of any finite magnitude; product in the normal range). */
function twoProdSafe(a: number, b: number): void {
  const ea = expOf(a);
  const eb = expOf(b);
  twoProd(scale2(a, -ea), scale2(b, -eb));
  xs.ph = scale2(xs.ph, ea + eb);
  xs.pl = scale2(xs.pl, ea + eb);
}

/**
 * Round xs.h + xs.l (finite, |xs.h| in the normal double range and not tiny) to a 64-bit significand
 * with rounding control `rc`. The float80 result goes to `f80out`; rr.inexact / rr.up are set.
 */
export function roundDD64(rc: number): void {
  const h = xs.h;
  const neg = h < 0;
  doubleToF80(h, f80out);
  let e = (f80out.se & 0x7fff) - 16383;
  let hi = f80out.hi;
  let lo = f80out.lo;
  // the low part in units of the 64-bit ulp, as a magnitude offset
  let t = scale2(neg ? -xs.l : xs.l, 63 - e);
  if (t === 0 && xs.l !== 0) t = (neg ? -xs.l : xs.l) > 0 ? 2 ** -60 : -(2 ** -60); // far below: sticky only
  let base = 0;
  if (t < 0 && hi === 0x80000000 && lo === 0) {
    // |h| is a power of two and the value lies just below it: one more bit of room
    // (significand 2^64 - 2^11 + 2^11 + 2t, kept as base + t so no bit of t is lost)
    hi = 0xffffffff;
    lo = 0xfffff800;
    e -= 1;
    t = 2 * t;
    base = 2048;
  }
  const tf = Math.floor(t);
  const frac = t - tf;
  const ti = tf + base;
  let inc = 0;
  if (frac !== 0) {
    const magUp = (rc === RC.UP && !neg) || (rc === RC.DOWN && neg);
    if (rc === RC.NEAREST) {
      if (frac > 0.5) inc = 1;
      else if (frac === 0.5) inc = ((lo + ti) & 1) !== 0 ? 1 : 0;
    } else if (magUp) inc = 1;
  }
  // hi:lo += ti + inc (|ti| < 2^12; the low 11 bits of lo are zero)
  let nlo = lo + ti + inc;
  let nhi = hi;
  if (nlo >= 4294967296) {
    nlo -= 4294967296;
    nhi += 1;
  } else if (nlo < 0) {
    nlo += 4294967296;
    nhi -= 1;
  }
  if (nhi >= 4294967296) {
    // carried out of 64 bits: exactly 2^64
    nhi = 0x80000000;
    nlo = 0;
    e += 1;
  }
  f80out.se = (neg ? 0x8000 : 0) | (e + 16383);
  f80out.hi = nhi >>> 0;
  f80out.lo = nlo >>> 0;
  rr.inexact = frac !== 0;
  rr.up = inc !== 0;
}
