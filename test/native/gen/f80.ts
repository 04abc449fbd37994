/**
 * Test-side float80 helpers (independent of src/cpu/fpu): double -> 80-bit extended bytes (exact),
 * 80-bit bytes -> approximate double for tolerance comparisons, and the FSAVE tag of a value.
 * Format: SDM Vol. 1 §4.2.2 Figure 4-3 (64-bit significand with explicit integer bit, 15-bit
 * exponent biased by 16383, sign), stored little-endian in 10 bytes.
 */
const f64 = new Float64Array(1);
const u8 = new Uint8Array(f64.buffer);
const dv = new DataView(f64.buffer);

/** Exact 80-bit encoding of a double (every double is representable). */
export function f64ToF80(x: number): Uint8Array {
  f64[0] = x;
  const bits = dv.getBigUint64(0, true);
  const sign = Number(bits >> 63n);
  const e = Number((bits >> 52n) & 0x7ffn);
  let frac = bits & 0xfffffffffffffn;
  const out = new Uint8Array(10);
  let exp: number;
  let mant: bigint;
  if (e === 0x7ff) {
    exp = 0x7fff;
    mant = (1n << 63n) | (frac << 11n); // inf: 8000..., NaN keeps payload (quiet bit stays bit 62)
  } else if (e === 0) {
    if (frac === 0n) { exp = 0; mant = 0n; } else {
      // double denormal: normalise (it is a normal number in the 15-bit exponent range)
      let sh = 0;
      while ((frac & (1n << 52n)) === 0n) { frac <<= 1n; sh++; }
      exp = 1 - 1023 - sh + 16383;
      mant = frac << 11n;
    }
  } else {
    exp = e - 1023 + 16383;
    mant = (1n << 63n) | (frac << 11n);
  }
  const o = new DataView(out.buffer);
  o.setBigUint64(0, mant, true);
  o.setUint16(8, (sign << 15) | exp, true);
  return out;
}

export interface F80Parts { sign: number; exp: number; mant: bigint }

export function f80Parts(b: Uint8Array, off = 0): F80Parts {
  const o = new DataView(b.buffer, b.byteOffset + off, 10);
  const se = o.getUint16(8, true);
  return { sign: se >> 15, exp: se & 0x7fff, mant: o.getBigUint64(0, true) };
}

/** Value of an 80-bit pattern as a double (rounded; NaN for NaNs and unsupported encodings). */
export function f80ToNumber(b: Uint8Array, off = 0): number {
  const { sign, exp, mant } = f80Parts(b, off);
  const s = sign ? -1 : 1;
  if (exp === 0x7fff) return (mant << 1n) === 0n ? s * Infinity : NaN;
  if (exp !== 0 && (mant >> 63n) === 0n) return NaN; // unnormal: unsupported
  const m = Number(mant) / 2 ** 63; // 1.xxx (or 0.xxx for denormals)
  return s * m * 2 ** ((exp === 0 ? 1 : exp) - 16383);
}

/** FSAVE tag of a value: 0 valid, 1 zero, 2 special (SDM Vol. 1 §8.1.7). */
export function f80Tag(b: Uint8Array, off = 0): number {
  const { exp, mant } = f80Parts(b, off);
  if (exp === 0x7fff) return 2;
  if (exp === 0) return mant === 0n ? 1 : 2;
  return (mant >> 63n) === 0n ? 2 : 0;
}

export function hex80(b: Uint8Array, off = 0): string {
  const { sign, exp, mant } = f80Parts(b, off);
  return `${((sign << 15) | exp).toString(16).padStart(4, '0')}:${mant.toString(16).padStart(16, '0')}`;
}

/** Bytes of a double / float as stored in memory. */
export function f64Bytes(x: number): Uint8Array {
  f64[0] = x;
  return u8.slice(0, 8);
}
export function f32Bytes(x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return b;
}
