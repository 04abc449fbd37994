/**
 * Seeded PRNG for the sequence generator (xoshiro128**, Blackman & Vigna 2018): the same seed gives
 * the same sequences on every machine, so a failing sequence id can be regenerated.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 to spread the seed over the four state words
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next(); this.b = next(); this.c = next(); this.d = next() | 1;
  }

  /** Uniform uint32. */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a; this.d ^= this.b; this.b ^= this.c; this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 4294967296) * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Values that break arithmetic: zero, all-ones, sign boundaries at every width, carries. */
export const EDGE32 = [
  0, 1, 2, -1, -2, 0x7fffffff, 0x80000000 | 0, 0x80000001 | 0, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
  0x10000, 0xffff8000 | 0, 0xffffff80 | 0, 0x0f0f0f0f, 0xf0f0f0f0 | 0, 0x55555555, 0xaaaaaaaa | 0, 0x99, 0x09, 0x0a,
  0x9999, 0x0f, 0xfa, 0xfffa, 0xfffffffa | 0, 31, 32, 33, 63, 64,
] as const;

/** An operand value: edge values, small numbers, or uniform noise. */
export function value32(r: Rng): number {
  const k = r.below(10);
  if (k < 4) return r.pick(EDGE32) | 0;
  if (k < 5) return (r.pick(EDGE32) + r.range(-2, 2)) | 0;
  if (k < 6) return r.range(-16, 16);
  if (k < 7) return r.u32() & r.pick([0xff, 0xffff, 0x7f, 0x8000ff00]) | 0;
  return r.u32() | 0;
}
