// Conversions between float80, doubles, float32, int64 and packed BCD, against hand-derived bit
// patterns and an independent BigInt model of IEEE rounding.
import { describe, expect, it } from 'vitest';
import {
  doubleToF80, F80, f32BitsToF80, f80ToDouble, int64ToF80, RC, rf, roundToDouble, roundToInt64,
} from '../../src/cpu/fpu/float80.js';
import { addE, divE, errSign, mulE, roundResult, rr, sqrtE } from '../../src/cpu/fpu/exact.js';
import { bcdToF80 } from '../../src/cpu/fpu/load-store.js';
import { bitsOf, fromBits } from './harness.js';

const out = new F80();
function f80(v: number): [number, number, number] {
  doubleToF80(v, out);
  return [out.se, out.hi, out.lo];
}

describe('double -> float80 (exact)', () => {
  it('normal, negative, zero, infinity', () => {
    expect(f80(1)).toEqual([0x3fff, 0x80000000, 0]);
    expect(f80(-2.5)).toEqual([0xc000, 0xa0000000, 0]); // -1.01b * 2^1
    expect(f80(-0)).toEqual([0x8000, 0, 0]);
    expect(f80(Infinity)).toEqual([0x7fff, 0x80000000, 0]);
    // 1 + 2^-52: the last fraction bit lands on significand bit 11
    expect(f80(1 + 2 ** -52)).toEqual([0x3fff, 0x80000000, 0x800]);
  });
  it('double denormals become normal float80 values', () => {
    expect(f80(2 ** -1074)).toEqual([16383 - 1074, 0x80000000, 0]);
    expect(f80(3 * 2 ** -1074)).toEqual([16383 - 1073, 0xc0000000, 0]);
    expect(f80(2 ** -1023)).toEqual([16383 - 1023, 0x80000000, 0]);
  });
  it('NaN payload kept', () => {
    expect(f80(fromBits(0x7ff4000000000001n))).toEqual([0x7fff, 0xa0000000, 0x800]);
  });
  it('float32 patterns', () => {
    f32BitsToF80(0x3f800000, out); // 1.0f
    expect([out.se, out.hi, out.lo]).toEqual([0x3fff, 0x80000000, 0]);
    f32BitsToF80(0x00000001, out); // 2^-149
    expect([out.se, out.hi, out.lo]).toEqual([16383 - 149, 0x80000000, 0]);
    f32BitsToF80(0xff800001, out); // -SNaN with payload 1
    expect([out.se, out.hi, out.lo]).toEqual([0xffff, 0x80000100, 0]);
  });
});

/** Independent model: round a float80 (e unbiased, 64-bit mantissa) to a double, nearest-even. */
function refToDouble(sign: number, e: number, mant: bigint): number {
  // value = mant * 2^(e - 63); keep 53 bits (fewer below 2^-1022)
  let shift = 11;
  if (e < -1022) shift += -1022 - e;
  if (shift > 64) return sign ? -0 : 0;
  const q = mant >> BigInt(shift);
  const rem = mant - (q << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  let r = q;
  if (rem > half || (rem === half && (q & 1n) === 1n)) r += 1n;
  const v = Number(r) * 2 ** (e - 63 + shift);
  return sign ? -v : v;
}

describe('float80 -> double (nearest)', () => {
  it('ties to even at the 53-bit boundary', () => {
    expect(f80ToDouble(0x3fff, 0x80000000, 0x400)).toBe(1); // exactly halfway, even below
    expect(rf.inexact).toBe(true);
    expect(f80ToDouble(0x3fff, 0x80000000, 0x401)).toBe(1 + 2 ** -52);
    expect(f80ToDouble(0x3fff, 0x80000000, 0xc00)).toBe(1 + 2 ** -51); // halfway, odd below
    expect(f80ToDouble(0x3fff, 0x80000000, 0x800)).toBe(1 + 2 ** -52);
    expect(rf.inexact).toBe(false);
  });
  it('overflow and underflow', () => {
    expect(f80ToDouble(0x3fff + 1024, 0x80000000, 0)).toBe(Infinity);
    expect(f80ToDouble(0x3fff + 1023, 0xffffffff, 0xffffffff)).toBe(Infinity); // rounds up to 2^1024
    expect(f80ToDouble(0x3fff + 1023, 0xffffffff, 0xfffff7ff)).toBe(Number.MAX_VALUE);
    expect(f80ToDouble(16383 - 1074, 0xc0000000, 0)).toBe(2 * 2 ** -1074); // 1.5 ulp -> even
    expect(f80ToDouble(16383 - 1075, 0x80000000, 0)).toBe(0); // half of the smallest: even (0)
    expect(f80ToDouble(16383 - 1075, 0x80000000, 1)).toBe(2 ** -1074);
    expect(f80ToDouble(0x8001, 0x80000000, 0)).toBe(-0);
  });
  it('agrees with the BigInt model on random patterns', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed;
    };
    for (let n = 0; n < 3000; n++) {
      const hi = (rnd() | 0x80000000) >>> 0;
      const lo = rnd();
      const e = (rnd() % 2200) - 1100;
      const sign = rnd() & 1;
      const got = f80ToDouble((sign << 15) | (e + 16383), hi, lo);
      const want = refToDouble(sign, e, (BigInt(hi) << 32n) | BigInt(lo));
      expect(Object.is(got, want) || got === want).toBe(true);
    }
  });
});

describe('rounding to float32 with RC', () => {
  it('halfway cases and directed modes', () => {
    // 1 + 2^-24 is halfway between 1 and 1 + 2^-23
    const r = (rc: number, sign = 0): number => roundToDouble(sign, 0, 0x80000080, 0, false, 24, -126, 127, rc);
    expect(r(RC.NEAREST)).toBe(1);
    expect(r(RC.UP)).toBe(1 + 2 ** -23);
    expect(rf.up).toBe(true);
    expect(r(RC.DOWN)).toBe(1);
    expect(r(RC.CHOP)).toBe(1);
    expect(r(RC.DOWN, 1)).toBe(-(1 + 2 ** -23));
    expect(roundToDouble(0, 0, 0x80000080, 0, true, 24, -126, 127, RC.NEAREST)).toBe(1 + 2 ** -23); // sticky breaks the tie
  });
  it('overflow responses by RC (SDM Vol. 1 §4.9.1.4)', () => {
    const big = (rc: number, sign = 0): number => roundToDouble(sign, 200, 0x80000000, 0, false, 24, -126, 127, rc);
    expect(big(RC.NEAREST)).toBe(Infinity);
    expect(rf.overflow).toBe(true);
    expect(big(RC.CHOP)).toBe(Math.fround(3.4028234663852886e38));
    expect(big(RC.DOWN)).toBe(3.4028234663852886e38);
    expect(big(RC.DOWN, 1)).toBe(-Infinity);
  });
  it('gradual underflow to float32 denormals', () => {
    // 1.5 * 2^-149 -> tie between 1 and 2 units of 2^-149 -> 2 units
    expect(roundToDouble(0, -149, 0xc0000000, 0, false, 24, -126, 127, RC.NEAREST)).toBe(2 * 2 ** -149);
    expect(rf.underflow).toBe(true);
  });
});

describe('float80 -> int64', () => {
  const toInt = (v: number, rc: number): bigint | null => {
    doubleToF80(v, out);
    if (!roundToInt64(out.se, out.hi, out.lo, rc)) return null;
    return BigInt.asIntN(64, (BigInt(rf.intHi) << 32n) | BigInt(rf.intLo));
  };
  it('rounding modes', () => {
    expect(toInt(2.5, RC.NEAREST)).toBe(2n);
    expect(toInt(3.5, RC.NEAREST)).toBe(4n);
    expect(toInt(-2.5, RC.NEAREST)).toBe(-2n);
    expect(toInt(-2.7, RC.CHOP)).toBe(-2n);
    expect(toInt(-2.1, RC.DOWN)).toBe(-3n);
    expect(toInt(2.1, RC.UP)).toBe(3n);
    expect(toInt(0.4, RC.NEAREST)).toBe(0n);
    expect(toInt(0.5, RC.NEAREST)).toBe(0n);
    expect(toInt(0.51, RC.NEAREST)).toBe(1n);
    expect(toInt(2 ** 62 + 2 ** 40, RC.NEAREST)).toBe(2n ** 62n + 2n ** 40n);
  });
  it('range limits', () => {
    expect(toInt(2 ** 63, RC.NEAREST)).toBe(null);
    expect(toInt(-(2 ** 63), RC.NEAREST)).toBe(-(2n ** 63n));
    // 2^63 - 0.5 in float80 rounds to 2^63 (out of range) at nearest, fits when chopped
    expect(roundToInt64(0x403d, 0xffffffff, 0xffffffff, RC.CHOP)).toBe(true);
    expect(roundToInt64(0x403e - 1, 0xffffffff, 0xffffffff, RC.CHOP)).toBe(true);
    expect(BigInt(rf.intHi)).toBe(0x7fffffffn);
  });
  it('int64 -> float80', () => {
    int64ToF80(0x7fffffff, 0xffffffff, out);
    expect([out.se, out.hi, out.lo]).toEqual([16383 + 62, 0xffffffff, 0xfffffffe]);
    int64ToF80(0xffffffff, 0xffffffff, out); // -1
    expect([out.se, out.hi, out.lo]).toEqual([0xbfff, 0x80000000, 0]);
    int64ToF80(0x80000000, 0, out); // -2^63
    expect([out.se, out.hi, out.lo]).toEqual([0x8000 | (16383 + 63), 0x80000000, 0]);
  });
});

describe('packed BCD', () => {
  it('decodes 18 digits exactly', () => {
    // 123456789012345678: byte 0 = 0x78 (digits 1,0) ... byte 8 = 0x12
    const lo = 0x12345678;
    const hi = 0x56789012;
    const se = 0x8034; // sign bit, byte 8 = 0x34: digits "34" ... see below
    // digits by byte (byte8..byte0): 34 56 78 90 12 12 34 56 78 -> 345678901212345678
    bcdToF80(lo, hi, se, out);
    const v = 345678901212345678n;
    const mant = (BigInt(out.hi) << 32n) | BigInt(out.lo);
    const e = (out.se & 0x7fff) - 16383;
    expect(out.se & 0x8000).toBe(0x8000);
    expect(mant >> BigInt(63 - e)).toBe(v);
    expect(mant & ((1n << BigInt(63 - e)) - 1n)).toBe(0n);
  });
});

describe('error terms of double arithmetic', () => {
  it('signs of the rounding error', () => {
    expect(mulE(1 + 2 ** -52, 1 + 2 ** -52)).toBe(1 + 2 ** -51);
    expect(errSign).toBe(1); // + 2^-104 was dropped
    divE(1, 3); // 0x3FD5555555555555 < 1/3
    expect(errSign).toBe(1);
    sqrtE(2); // 1.4142135623730951 > sqrt(2)
    expect(errSign).toBe(-1);
    addE(1, 2 ** -60, RC.NEAREST);
    expect(errSign).toBe(1);
    addE(1, -(2 ** -60), RC.NEAREST);
    expect(errSign).toBe(-1);
    mulE(3, 5);
    expect(errSign).toBe(0);
    mulE(2 ** -1000, 2 ** -70); // denormal result, exact
    expect(errSign).toBe(0);
    mulE(3 * 2 ** -1000, 2 ** -74); // 3 * 2^-1074 exactly representable
    expect(errSign).toBe(0);
    mulE(3 * 2 ** -1000, 2 ** -75); // 1.5 * 2^-1074 rounds to 2 * 2^-1074
    expect(errSign).toBe(-1);
    expect(addE(3, -3, RC.DOWN)).toBe(-0);
  });
  it('re-rounding to directed modes and single precision', () => {
    const third = divE(1, 3);
    expect(bitsOf(roundResult(third, errSign, 2, RC.UP))).toBe(0x3fd5555555555556n);
    expect(rr.up).toBe(true);
    expect(bitsOf(roundResult(third, errSign, 2, RC.CHOP))).toBe(0x3fd5555555555555n);
    expect(rr.up).toBe(false);
    expect(roundResult(third, errSign, 0, RC.NEAREST)).toBe(Math.fround(1 / 3));
    expect(roundResult(third, errSign, 0, RC.CHOP)).toBe(fromBits(0x3fd5555540000000n)); // 0x3EAAAAAA
    const negThird = divE(-1, 3);
    expect(bitsOf(roundResult(negThird, errSign, 2, RC.DOWN))).toBe(0xbfd5555555555556n);
  });
});
