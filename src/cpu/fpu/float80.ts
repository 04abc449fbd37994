/**
 * Exact conversions between the x87 formats and JS doubles, without allocation:
 * - double <-> float80 bit patterns (SDM Vol. 1 §4.2.2, Figure 4-3: sign, 15-bit exponent biased by
 *   16383, 64-bit significand with an explicit integer bit);
 * - float32/float64 memory bit patterns -> float80;
 * - rounding of an exact value (sign, exponent, 64-bit significand, sticky) to p significand bits
 *   within an exponent range, with the four x87 rounding modes (SDM Vol. 1 §4.8.4), reporting
 *   inexact / rounded-up / overflow / underflow (`rf`);
 * - float80 -> int64 with rounding (FIST/FISTP/FBSTP).
 *
 * Significand halves are passed as unsigned 32-bit numbers (hi = bits 63-32, lo = bits 31-0).
 * Results that are float80 patterns go to the shared scratch `f80out`.
 * The typed-array views assume a little-endian host (x86, ARM: all Node targets).
 */

/** Rounding control values (CW bits 10-11). */
export const RC = { NEAREST: 0, DOWN: 1, UP: 2, CHOP: 3 } as const;

/** Scratch float80 result. */
export class F80 {
  se = 0;
  hi = 0;
  lo = 0;
}
export const f80out = new F80();

/** Flags of the last rounding (roundToDouble, roundToInt64). */
export class RoundFlags {
  /** The result differs from the exact value (PE). */
  inexact = false;
  /** The magnitude was increased by rounding (C1 after PE). */
  up = false;
  /** Overflow: the rounded result exceeds the format's range (OE). */
  overflow = false;
  /** Tiny (below the smallest normal, detected before rounding) and inexact (masked UE). */
  underflow = false;
  /** roundToInt64: result as two's-complement halves (unsigned numbers). */
  intHi = 0;
  intLo = 0;
}
export const rf = new RoundFlags();

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const f32 = new Float32Array(1);
const u32f = new Uint32Array(f32.buffer);

const TWO32 = 4294967296;

/** 2^k for any integer k (exact; 0 / Infinity outside the double range). */
/** 2^k for k in -1022..1023, by table (index k + 1022). */
const POW2 = new Float64Array(2046);
for (let k = -1022; k <= 1023; k++) {
  u32[0] = 0;
  u32[1] = (k + 1023) << 20;
  POW2[k + 1022] = f64[0];
}

export function pow2(k: number): number {
  if (k >= -1022 && k <= 1023) return POW2[k + 1022];
  if (k > 1023) return Infinity;
  if (k >= -1074) {
    // denormal power of two
    const b = k + 1074; // bit position in the 52-bit fraction
    u32[0] = b < 32 ? (1 << b) >>> 0 : 0;
    u32[1] = b >= 32 ? 1 << (b - 32) : 0;
    return f64[0];
  }
  return 0;
}

/** x * 2^k, exact whenever the result is representable (two steps keep the intermediate normal). */
export function scale2(x: number, k: number): number {
  if (k >= -1022 && k <= 1023) return x * pow2(k);
  // steps that stay in the normal range; each is exact while the final result is representable
  while (k > 1023 && x - x === 0 && x !== 0) {
    x *= 8.98846567431158e307; // 2^1023
    k -= 1023;
  }
  while (k < -1022 && x !== 0) {
    x *= 2.2250738585072014e-308; // 2^-1022
    k += 1022;
  }
  return k > 1023 ? x * Infinity : k < -1022 ? x * 0 : x * pow2(k);
}

/** Bits of a double: [lo, hi] as unsigned numbers via the two getters below. */
export function doubleBitsHi(v: number): number {
  f64[0] = v;
  return u32[1];
}
export function doubleBitsLo(v: number): number {
  f64[0] = v;
  return u32[0];
}
export function doubleFromBits(hi: number, lo: number): number {
  u32[0] = lo;
  u32[1] = hi;
  return f64[0];
}
export function floatFromBits(b: number): number {
  u32f[0] = b;
  return f32[0];
}

/** Exact float80 pattern of a double (NaNs keep their payload) into `out`. */
export function doubleToF80(v: number, out: F80): void {
  f64[0] = v;
  const lo32 = u32[0];
  const hi32 = u32[1];
  const sign = (hi32 >>> 31) << 15;
  const bexp = (hi32 >>> 20) & 0x7ff;
  const fHi = hi32 & 0xfffff;
  if (bexp === 0x7ff) {
    out.se = sign | 0x7fff;
    out.hi = (0x80000000 | (fHi << 11) | (lo32 >>> 21)) >>> 0;
    out.lo = (lo32 << 11) >>> 0;
  } else if (bexp !== 0) {
    out.se = sign | (bexp - 1023 + 16383);
    out.hi = (0x80000000 | (fHi << 11) | (lo32 >>> 21)) >>> 0;
    out.lo = (lo32 << 11) >>> 0;
  } else if (fHi === 0 && lo32 === 0) {
    out.se = sign;
    out.hi = 0;
    out.lo = 0;
  } else {
    // double denormal: fraction * 2^-1074, normal in float80
    const sh = fHi !== 0 ? Math.clz32(fHi) : 32 + Math.clz32(lo32);
    if (sh >= 32) {
      out.hi = (lo32 << (sh - 32)) >>> 0;
      out.lo = 0;
    } else {
      out.hi = ((fHi << sh) | (lo32 >>> (32 - sh))) >>> 0;
      out.lo = (lo32 << sh) >>> 0;
    }
    out.se = sign | (63 - 1074 - sh + 16383);
  }
}

/** float80 of a float32 bit pattern (SNaNs are not quieted here). */
export function f32BitsToF80(b: number, out: F80): void {
  const sign = (b >>> 31) << 15;
  const bexp = (b >>> 23) & 0xff;
  const frac = b & 0x7fffff;
  if (bexp === 0xff) {
    out.se = sign | 0x7fff;
    out.hi = (0x80000000 | (frac << 8)) >>> 0;
    out.lo = 0;
  } else if (bexp !== 0) {
    out.se = sign | (bexp - 127 + 16383);
    out.hi = (0x80000000 | (frac << 8)) >>> 0;
    out.lo = 0;
  } else if (frac === 0) {
    out.se = sign;
    out.hi = out.lo = 0;
  } else {
    const sh = Math.clz32(frac); // >= 9
    out.hi = (frac << sh) >>> 0;
    out.lo = 0;
    // frac * 2^-149 with the top bit at position 31 - sh
    out.se = sign | (31 - sh - 149 + 16383);
  }
}

/** float80 of a float64 bit pattern (hi, lo words). */
export function f64BitsToF80(hi: number, lo: number, out: F80): void {
  doubleToF80(doubleFromBits(hi >>> 0, lo >>> 0), out);
}

// ---------------------------------------------------------------- classification

export const Cls = { ZERO: 0, NORMAL: 1, DENORMAL: 2, INF: 3, QNAN: 4, SNAN: 5, UNSUPPORTED: 6 } as const;

/** Class of a float80 pattern (SDM Vol. 1 §8.2.2, Table 8-3 unsupported encodings). */
export function classifyF80(se: number, hi: number, lo: number): number {
  const e = se & 0x7fff;
  const ibit = (hi & 0x80000000) !== 0;
  if (e === 0x7fff) {
    if (!ibit) return Cls.UNSUPPORTED; // pseudo-infinity / pseudo-NaN
    if ((hi & 0x7fffffff) === 0 && lo === 0) return Cls.INF;
    return (hi & 0x40000000) !== 0 ? Cls.QNAN : Cls.SNAN;
  }
  if (e === 0) return hi === 0 && lo === 0 ? Cls.ZERO : Cls.DENORMAL; // incl. pseudo-denormals
  return ibit ? Cls.NORMAL : Cls.UNSUPPORTED; // unnormal
}

// ---------------------------------------------------------------- rounding core

/**
 * Round the exact value (-1)^sign * (hi:lo) * 2^(e-63) (+ a nonzero tail below bit 0 if `sticky`),
 * where bit 63 of hi:lo is set, to `p` <= 53 significand bits with normal exponents emin..emax
 * (gradual underflow below emin), using rounding control `rc`. Returns the result as a double
 * (the ranges used, m32, m64 and internal doubles, all fit) and sets `rf`.
 * Masked overflow response per SDM Vol. 1 §4.9.1.4 (infinity or the largest finite value by RC).
 * Tininess is detected after rounding (the result rounded to p bits with an unbounded exponent is
 * below 2^emin), which is what the x87 does for stores (observed: a value just below 2^-126 that
 * rounds to 2^-126 stores to float32 without UE).
 */
export function roundToDouble(
  sign: number, e: number, hi: number, lo: number, sticky: boolean,
  p: number, emin: number, emax: number, rc: number,
): number {
  let s = 64 - p;
  let tiny = e < emin;
  // only e = emin - 1 can round up into the normal range: all p leading bits ones, rounding up
  if (tiny && e === emin - 1 && roundsToCarry(sign, hi, lo, sticky, p, rc)) tiny = false;
  if (e < emin) s += emin - e;
  let q: number;
  let cmp: number; // remainder vs half ulp: -1, 0, 1
  let nonzero: boolean;
  if (s > 64) {
    q = 0;
    cmp = -1;
    nonzero = true;
  } else if (s >= 32) {
    const t = s - 32;
    const div = t === 32 ? TWO32 : 2 ** t;
    q = Math.floor(hi / div);
    const remHi = hi - q * div;
    const halfHi = t >= 1 ? 2 ** (t - 1) : 0;
    const halfLo = t >= 1 ? 0 : 0x80000000;
    cmp = remHi > halfHi ? 1 : remHi < halfHi ? -1 : lo > halfLo ? 1 : lo < halfLo ? -1 : 0;
    nonzero = remHi !== 0 || lo !== 0;
  } else {
    const div = 2 ** s;
    q = hi * 2 ** (32 - s) + Math.floor(lo / div);
    const rem = lo % div;
    const half = div / 2;
    cmp = rem > half ? 1 : rem < half ? -1 : 0;
    nonzero = rem !== 0;
  }
  if (sticky) {
    if (cmp === 0) cmp = 1;
    nonzero = true;
  }
  let up = false;
  if (nonzero) {
    switch (rc) {
      case RC.NEAREST: up = cmp > 0 || (cmp === 0 && q % 2 === 1); break;
      case RC.DOWN: up = sign !== 0; break;
      case RC.UP: up = sign === 0; break;
      default: up = false;
    }
  }
  if (up) q += 1;
  rf.inexact = nonzero;
  rf.up = up;
  rf.underflow = tiny && nonzero;
  rf.overflow = false;
  const k = e - 63 + s;
  let mag = scale2(q, k);
  // overflow: magnitude >= 2^(emax+1)
  if (q !== 0 && (emax >= 1023 ? mag === Infinity : mag >= pow2(emax + 1))) {
    rf.overflow = true;
    rf.inexact = true;
    const maxFinite = scale2(2 ** p - 1, emax - p + 1);
    const toInf = rc === RC.NEAREST || (rc === RC.UP && sign === 0) || (rc === RC.DOWN && sign !== 0);
    mag = toInf ? Infinity : maxFinite;
    rf.up = toInf;
  }
  return sign !== 0 ? -mag : mag;
}

/** Does rounding hi:lo (+ sticky) to p bits with `rc` carry out to the next power of two? */
function roundsToCarry(sign: number, hi: number, lo: number, sticky: boolean, p: number, rc: number): boolean {
  // the p leading bits must all be ones
  const topMask = p >= 32 ? 0xffffffff : (0xffffffff << (32 - p)) >>> 0;
  if ((hi & topMask) >>> 0 !== topMask) return false;
  if (p > 32) {
    const loMask = (0xffffffff << (64 - p)) >>> 0;
    if ((lo & loMask) >>> 0 !== loMask) return false;
  }
  // remaining bits: round bit and sticky
  let roundBit: boolean;
  let rest: boolean;
  if (p < 32) {
    roundBit = ((hi >>> (31 - p)) & 1) !== 0;
    rest = (hi & ((1 << (31 - p)) - 1)) !== 0 || lo !== 0 || sticky;
  } else {
    const b = 63 - p; // bit index in lo
    roundBit = ((lo >>> b) & 1) !== 0;
    rest = (b > 0 && (lo & ((1 << b) - 1)) !== 0) || sticky;
  }
  const inexact = roundBit || rest;
  switch (rc) {
    case RC.NEAREST: return roundBit; // a tie rounds to even, which is the carry here
    case RC.DOWN: return sign !== 0 && inexact;
    case RC.UP: return sign === 0 && inexact;
    default: return false;
  }
}

/**
 * Nearest double of a float80 pattern (internal register value). NaNs give NaN, unsupported
 * encodings NaN, values beyond the double range +-Infinity or +-0. `rf.inexact` tells whether the
 * double is exact.
 */
export function f80ToDouble(se: number, hi: number, lo: number): number {
  const sign = se >>> 15;
  const e = se & 0x7fff;
  hi >>>= 0;
  lo >>>= 0;
  if (e >= 16383 - 1022 && e <= 16383 + 1023 && hi >= 0x80000000) {
    // fast path, normal double range: round the 64-bit significand at bit 11, nearest-even
    let mHi = (hi & 0x7fffffff) >>> 11; // fraction bits 51-32
    let mLo = ((hi << 21) | (lo >>> 11)) >>> 0; // fraction bits 31-0
    let be = e - 16383 + 1023;
    const rest = lo & 0x7ff;
    rf.overflow = rf.underflow = false;
    rf.inexact = rest !== 0;
    rf.up = false;
    if (rest > 0x400 || (rest === 0x400 && (mLo & 1) !== 0)) {
      rf.up = true;
      mLo = (mLo + 1) >>> 0;
      if (mLo === 0) {
        mHi += 1;
        if (mHi === 0x100000) {
          mHi = 0;
          be += 1;
          if (be === 0x7ff) {
            rf.overflow = true;
            return sign ? -Infinity : Infinity;
          }
        }
      }
    }
    u32[0] = mLo;
    u32[1] = ((sign << 31) | (be << 20) | mHi) >>> 0;
    return f64[0];
  }
  const cls = classifyF80(se, hi, lo);
  rf.overflow = rf.underflow = rf.up = false;
  switch (cls) {
    case Cls.ZERO:
      rf.inexact = false;
      return sign ? -0 : 0;
    case Cls.INF:
      rf.inexact = false;
      return sign ? -Infinity : Infinity;
    case Cls.QNAN:
    case Cls.SNAN:
    case Cls.UNSUPPORTED:
      rf.inexact = true;
      return NaN;
    case Cls.DENORMAL:
      // below 2^-16382: far below the double range
      rf.inexact = true;
      return sign ? -0 : 0;
    default: {
      const d = roundToDouble(sign, e - 16383, hi >>> 0, lo >>> 0, false, 53, -1022, 1023, RC.NEAREST);
      if (rf.overflow || rf.underflow) rf.inexact = true;
      return d;
    }
  }
}

// ---------------------------------------------------------------- integers

/**
 * Round a finite float80 value to an int64 with rounding control `rc`. Returns false when the
 * rounded value is out of the int64 range (the caller stores the integer indefinite); otherwise the
 * result is in rf.intHi/intLo (two's complement, unsigned numbers) and rf.inexact/rf.up are set.
 * Zero / denormal inputs are fine; NaN / infinity must be filtered by the caller.
 */
export function roundToInt64(se: number, hi: number, lo: number, rc: number): boolean {
  const sign = se >>> 15;
  let e = (se & 0x7fff) - 16383;
  if ((se & 0x7fff) === 0) e = -16382; // denormals / pseudo-denormals
  hi >>>= 0;
  lo >>>= 0;
  let qHi = 0;
  let qLo = 0;
  let cmp = -1;
  let nonzero = false;
  if (hi === 0 && lo === 0) {
    nonzero = false;
  } else if (e >= 63) {
    if (e > 63) return false;
    qHi = hi;
    qLo = lo;
  } else if (e < -1) {
    // |v| < 0.5
    nonzero = true;
    cmp = -1;
  } else {
    const s = 63 - e; // 1..64 bits to drop
    let remHi: number, remLo: number, halfHi: number, halfLo: number;
    if (s >= 32) {
      const t = s - 32;
      const div = t === 32 ? TWO32 : 2 ** t;
      qHi = 0;
      qLo = Math.floor(hi / div);
      remHi = hi - qLo * div;
      remLo = lo;
      halfHi = t >= 1 ? 2 ** (t - 1) : 0;
      halfLo = t >= 1 ? 0 : 0x80000000;
    } else {
      const div = 2 ** s;
      qHi = Math.floor(hi / div);
      qLo = ((hi % div) * 2 ** (32 - s) + Math.floor(lo / div)) >>> 0;
      remHi = 0;
      remLo = lo % div;
      halfHi = 0;
      halfLo = div / 2;
    }
    cmp = remHi > halfHi ? 1 : remHi < halfHi ? -1 : remLo > halfLo ? 1 : remLo < halfLo ? -1 : 0;
    nonzero = remHi !== 0 || remLo !== 0;
  }
  let up = false;
  if (nonzero) {
    switch (rc) {
      case RC.NEAREST: up = cmp > 0 || (cmp === 0 && (qLo & 1) === 1); break;
      case RC.DOWN: up = sign !== 0; break;
      case RC.UP: up = sign === 0; break;
      default: up = false;
    }
  }
  if (up) {
    qLo += 1;
    if (qLo === TWO32) {
      qLo = 0;
      qHi += 1;
    }
  }
  // range: magnitude <= 2^63 - 1, or exactly 2^63 when negative
  if (qHi >= 0x80000000) {
    if (!(sign && qHi === 0x80000000 && qLo === 0)) return false;
  }
  rf.inexact = nonzero;
  rf.up = up;
  rf.overflow = rf.underflow = false;
  if (sign && (qHi !== 0 || qLo !== 0)) {
    // two's complement negate
    qLo = (~qLo + 1) >>> 0;
    qHi = (~qHi + (qLo === 0 ? 1 : 0)) >>> 0;
  }
  rf.intHi = qHi >>> 0;
  rf.intLo = qLo >>> 0;
  return true;
}

/** float80 of a signed int64 given as two's-complement halves (exact) into `out`. */
export function int64ToF80(hi: number, lo: number, out: F80): void {
  hi >>>= 0;
  lo >>>= 0;
  let sign = 0;
  if (hi >= 0x80000000) {
    sign = 0x8000;
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  if (hi === 0 && lo === 0) {
    out.se = sign;
    out.hi = out.lo = 0;
    return;
  }
  const sh = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
  if (sh >= 32) {
    out.hi = (lo << (sh - 32)) >>> 0;
    out.lo = 0;
  } else if (sh > 0) {
    out.hi = ((hi << sh) | (lo >>> (32 - sh))) >>> 0;
    out.lo = (lo << sh) >>> 0;
  } else {
    out.hi = hi;
    out.lo = lo;
  }
  out.se = sign | (63 - sh + 16383);
}

/**
 * A float80 result whose biased exponent `exp` is <= 0 (below the normal range): the significand
 * is shifted right into a denormal with rounding control `rc` (SDM Vol. 1 §4.9.1.5, masked
 * underflow response). Result in `out`; rf.inexact / rf.up tell whether bits were lost.
 */
export function denormalizeF80(sign: number, exp: number, hi: number, lo: number, rc: number, out: F80): void {
  const shift = 1 - exp;
  // round hi:lo / 2^shift to an integer
  const e = Math.max(63 - shift, -100);
  // magnitude rounding: directed modes swap for negative values
  roundToInt64(16383 + e, hi, lo, sign && (rc === RC.DOWN || rc === RC.UP) ? rc ^ 3 : rc);
  const qHi = rf.intHi;
  const qLo = rf.intLo;
  out.se = (sign ? 0x8000 : 0) | (qHi >= 0x80000000 ? 1 : 0); // a carry into bit 63 is the smallest normal
  out.hi = qHi;
  out.lo = qLo;
}
