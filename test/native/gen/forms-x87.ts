/**
 * x87 forms (SDM Vol. 2 opcode map, escape opcodes D8-DF, and Vol. 1 chapter 8) and the initial
 * x87 state of a sequence (an FRSTOR image).
 *
 * Comparison modes (see README): 'exact' sequences run with PC = double (CW bits 8-9 = 10b) and
 * operands that are doubles, so the result must be bit-exact; 'tol' sequences run with PC = extended
 * (or contain transcendental instructions) and are compared within a tolerance. FLDCW forms keep
 * the precision control of the sequence's mode.
 */
import { FSAVE, SCRATCH_ADDR } from '../format.js';
import { ENV_START, F, R, SeqBuilder } from './builder.js';
import { CC_FLAGS, type Form } from './form-kit.js';
import { f32Bytes, f64Bytes, f64ToF80, f80Tag } from './f80.js';
import { Rng, value32 } from './rng.js';

export const x87Forms: Form[] = [];

/**
 * Condition codes each form defines / leaves undefined (SDM Vol. 1 Table 8-3 "FPU Condition Code
 * Interpretation" and the "FPU Flags Affected" sections of Vol. 2): most operations define C1
 * (0 / round-up / #IS) and leave C0 C2 C3 undefined; compares define all four; FPTAN/FSIN/FCOS/
 * FSINCOS define C1 C2; FCOMI/FUCOMI(P) give only "#IS" for C1 and FCMOVcc's page only specifies
 * C1 for underflow, so both are treated as leaving all four undefined (AMD hosts keep C1 there);
 * control instructions (FFREE FLDCW FNCLEX FNOP FNSTCW FNSTENV FNSTSW) leave all four undefined.
 */
const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, CALL = C0 | C1 | C2 | C3;
const CC = {
  ARITH: { def: C1, undef: C0 | C2 | C3 },
  CMP: { def: CALL, undef: 0 },
  TRIG: { def: C1 | C2, undef: C0 | C3 },
  UNDEF: { def: 0, undef: CALL },
  /** The form updates the builder itself. */
  OWN: { def: 0, undef: 0 },
} as const;
type Cc = { def: number; undef: number };

const x = (name: string, mode: 'exact' | 'tol', gen: (b: SeqBuilder) => void, cc: Cc = CC.ARITH, rounds = false): void => {
  x87Forms.push({ name, x87: mode, rounds, gen: (b) => { gen(b); b.fcc(cc.def, cc.undef); } });
};

/**
 * Before a status word is stored (FNSTSW, FNSTENV, FNSAVE): make every bit of it defined. FXAM
 * defines C0-C3 from ST(0)'s class; in tolerance mode FNCLEX first clears the sticky PE/UE flags
 * whose value depends on the precision the interpreter computes with.
 */
function defineSw(b: SeqBuilder): void {
  if (b.fmode === 'tol') b.emit(0xdb, 0xe2); // fnclex
  if (b.fmode === 'tol' || b.fswUndef !== 0) b.emit(0xd9, 0xe5); // fxam
  b.fswUndef = 0;
}

// ------------------------------------------------------------------ values

/** A double to start from: specials, small integers, and random values of moderate exponent ('wide': tolerance mode). */
export function fpDouble(r: Rng, wide: boolean): number {
  const k = r.below(16);
  if (k === 0) return r.pick([0, -0, 1, -1, 0.5, -0.5, 2, 3, 10, 0.1, 1e10, -1e-10, Math.PI, 1 / 3]);
  if (k === 1) return r.pick([Infinity, -Infinity, NaN]);
  if (k === 2) return value32(r);
  if (k === 3) return r.range(-100, 100);
  // the edges of the double range: denormals (normal numbers for the x87), the largest values
  if (k === 4) return (r.chance(0.5) ? -1 : 1) * r.pick([5e-324 * r.range(1, 1 << 20), 2.2250738585072014e-308 * (1 + r.u32() / 4294967296), Number.MAX_VALUE / r.range(1, 16)]);
  if (k === 5) return (r.u32() / 4294967296) * 8 - 4; // trig/exp-friendly range
  const m = 1 + (r.u32() * 2 ** 20 + (r.u32() >>> 12)) / 2 ** 52; // 53 random significand bits
  // exact mode: products and quotients of two values stay inside the double exponent range
  const e = wide ? r.range(-1000, 1000) : r.range(-300, 300);
  return (r.chance(0.5) ? -1 : 1) * m * 2 ** e;
}

/**
 * 80-bit bytes of a value for a register or an m80 operand: doubles, the odd NaN pattern, and in
 * tolerance mode ('wide') also true extended values (64 significant bits, exponents over the whole
 * float80 range, denormals).
 */
function f80Value(r: Rng, wide: boolean): Uint8Array {
  const k = r.below(40);
  if (k === 0) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]); // -QNaN indefinite
  if (k === 1) return Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0xa0, 0xff, 0x7f]); // SNaN
  if (wide && k < 14) {
    const out = new Uint8Array(10);
    const dv = new DataView(out.buffer);
    const exp = k === 2 ? 0 : k < 6 ? r.range(1, 0x7ffe) : 0x3fff + r.range(-2000, 2000);
    dv.setUint32(0, r.u32(), true);
    dv.setUint32(4, (r.u32() | (exp === 0 ? 0 : 0x80000000)) >>> 0, true); // explicit integer bit
    dv.setUint16(8, (r.chance(0.5) ? 0x8000 : 0) | exp, true);
    return out;
  }
  return f64ToF80(fpDouble(r, wide));
}

/** The FRSTOR image a sequence starts from (and the builder's x87 depth). */
export function fpuImage(b: SeqBuilder, mode: 'none' | 'exact' | 'tol'): Uint8Array {
  const img = new Uint8Array(FSAVE.SIZE);
  const dv = new DataView(img.buffer);
  if (mode === 'none') {
    dv.setUint16(FSAVE.cw, 0x037f, true);
    dv.setUint16(FSAVE.tw, 0xffff, true);
    return img;
  }
  const r = b.rng;
  const rc = r.chance(0.7) ? 0 : r.below(4);
  // exact mode: PC = double, one time in five PC = single (both must be bit-exact)
  b.fpc = mode === 'exact' ? (r.chance(0.2) ? 0 : 2) : 3;
  dv.setUint16(FSAVE.cw, 0x007f | (b.fpc << 8) | (rc << 10), true);
  const top = r.below(8);
  const depth = r.chance(0.8) ? r.range(2, 6) : r.range(0, 8);
  const cc = r.u32() & 0x4700;
  dv.setUint16(FSAVE.sw, cc | (top << 11), true);
  let tw = 0;
  for (let i = 0; i < 8; i++) {
    const phys = (top + i) & 7;
    if (i < depth) {
      const v = f80Value(r, mode === 'tol');
      img.set(v, FSAVE.st + 10 * i);
      tw |= f80Tag(v) << (2 * phys);
    } else tw |= 3 << (2 * phys);
  }
  dv.setUint16(FSAVE.tw, tw, true);
  b.fdepth = depth;
  b.fmode = mode;
  return img;
}

// ------------------------------------------------------------------ helpers

/** Make sure at least `k` registers are valid (usually): load doubles from memory or constants. */
function need(b: SeqBuilder, k: number, always = false): void {
  while (b.fdepth < k && (always || b.rng.chance(0.9))) {
    if (b.patches.length <= 6) {
      const off = b.dataOff(8) & ~7;
      const v = f64Bytes(fpDouble(b.rng, b.fmode === 'tol'));
      const dv = new DataView(v.buffer);
      b.patch(off, dv.getInt32(0, true));
      b.patch(off + 4, dv.getInt32(4, true));
      b.emit(0xdd, ...b.memAt(off, 0)); // fld m64fp
    } else b.emit(0xd9, 0xe8); // fld1
    b.fdepth++;
    b.fcc(C1, C0 | C2 | C3);
  }
}
/** Push `v` with FLD m64fp from a patched data slot (or FLDZ when the patch slots are full). */
function loadDouble(b: SeqBuilder, v: number): void {
  if (b.patches.length <= 6) {
    const off = b.dataOff(8) & ~7;
    const dv = new DataView(f64Bytes(v).buffer);
    b.patch(off, dv.getInt32(0, true));
    b.patch(off + 4, dv.getInt32(4, true));
    b.emit(0xdd, ...b.memAt(off, 0)); // fld m64fp
  } else b.emit(0xd9, 0xee); // fldz
  pushed(b);
  b.fcc(C1, C0 | C2 | C3);
}

/** Room for `k` pushes (usually): pop into ST(0) with FSTP ST(0) otherwise. */
function room(b: SeqBuilder, k: number): void {
  while (b.fdepth > 8 - k && b.rng.chance(0.9)) {
    b.emit(0xdd, 0xd8); // fstp st(0)
    b.fdepth--;
    b.fcc(C1, C0 | C2 | C3);
  }
}
const pushed = (b: SeqBuilder, n = 1): void => { b.fdepth = Math.min(8, b.fdepth + n); };
const popped = (b: SeqBuilder, n = 1): void => { b.fdepth = Math.max(0, b.fdepth - n); };
/** ST(i) index, usually one that holds a value. */
const sti = (b: SeqBuilder): number => (b.rng.chance(0.85) && b.fdepth > 0 ? b.rng.below(b.fdepth) : b.rng.below(8));

type MemFmt = 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd';
const FMT_SIZE: Record<MemFmt, number> = { f32: 4, f64: 8, f80: 10, i16: 2, i32: 4, i64: 8, bcd: 10 };

/** Put an interesting value of format `fmt` at a fresh data offset; returns the offset. */
function memValue(b: SeqBuilder, fmt: MemFmt): number {
  const size = FMT_SIZE[fmt];
  const off = b.dataOff(size) & ~3;
  const r = b.rng;
  let bytes: Uint8Array;
  switch (fmt) {
    case 'f32': bytes = f32Bytes(Math.fround(fpDouble(r, false))); break;
    case 'f64': bytes = f64Bytes(fpDouble(r, b.fmode === 'tol')); break;
    case 'f80': bytes = f80Value(r, b.fmode === 'tol'); break;
    case 'i16': bytes = Uint8Array.from([value32(r), value32(r) >> 8]); break;
    case 'i32': bytes = new Uint8Array(Int32Array.of(value32(r)).buffer); break;
    case 'i64': {
      // exact mode: |value| < 2^53 (a double holds it); tol: any 64-bit integer
      const hi = b.fmode === 'exact' ? (value32(r) >> 11) : value32(r);
      bytes = new Uint8Array(Int32Array.of(value32(r), hi).buffer);
      break;
    }
    case 'bcd': {
      bytes = new Uint8Array(10);
      const digits = r.range(1, b.fmode === 'exact' ? 15 : 18);
      for (let d = 0; d < digits; d++) {
        const nib = r.chance(0.02) ? 0xa + r.below(6) : r.below(10); // the odd invalid digit
        bytes[d >> 1] |= nib << ((d & 1) * 4);
      }
      if (r.chance(0.5)) bytes[9] = 0x80;
      break;
    }
  }
  const dv = new DataView(new Uint8Array([...bytes, 0, 0, 0]).buffer);
  for (let k = 0; k < size; k += 4) b.patch(off + k, dv.getInt32(k, true));
  return off;
}

/** Emit `[seg] opcode ModRM...` for an x87 memory operand with /reg `reg` at scratch offset `off`. */
function memOp(b: SeqBuilder, opcode: number, reg: number, off: number, write: boolean): void {
  const seg = b.segPrefix(write);
  const tail = b.memAt(off, reg);
  b.emit(...seg, opcode, ...tail);
}

/** A destination in memory that the x87 writes: remember it for the tolerance comparison. */
function storeTo(b: SeqBuilder, fmt: MemFmt): number {
  const off = b.dataOff(FMT_SIZE[fmt]) & ~3;
  b.fpStores.push([off, fmt]);
  return off;
}

// ------------------------------------------------------------------ loads and stores
x('fld m32fp', 'exact', (b) => { room(b, 1); memOp(b, 0xd9, 0, memValue(b, 'f32'), false); pushed(b); });
x('fld m64fp', 'exact', (b) => { room(b, 1); memOp(b, 0xdd, 0, memValue(b, 'f64'), false); pushed(b); });
x('fld m80fp', 'exact', (b) => { room(b, 1); memOp(b, 0xdb, 5, memValue(b, 'f80'), false); pushed(b); });
x('fld st(i)', 'exact', (b) => { room(b, 1); b.emit(0xd9, 0xc0 + sti(b)); pushed(b); });
x('fild m16int', 'exact', (b) => { room(b, 1); memOp(b, 0xdf, 0, memValue(b, 'i16'), false); pushed(b); });
x('fild m32int', 'exact', (b) => { room(b, 1); memOp(b, 0xdb, 0, memValue(b, 'i32'), false); pushed(b); });
x('fild m64int', 'exact', (b) => { room(b, 1); memOp(b, 0xdf, 5, memValue(b, 'i64'), false); pushed(b); });
x('fbld m80bcd', 'exact', (b) => { room(b, 1); memOp(b, 0xdf, 4, memValue(b, 'bcd'), false); pushed(b); });

const STORES: Array<[string, number, number, MemFmt, boolean]> = [
  ['fst m32fp', 0xd9, 2, 'f32', false], ['fstp m32fp', 0xd9, 3, 'f32', true],
  ['fst m64fp', 0xdd, 2, 'f64', false], ['fstp m64fp', 0xdd, 3, 'f64', true],
  ['fstp m80fp', 0xdb, 7, 'f80', true],
  ['fist m16int', 0xdf, 2, 'i16', false], ['fistp m16int', 0xdf, 3, 'i16', true],
  ['fist m32int', 0xdb, 2, 'i32', false], ['fistp m32int', 0xdb, 3, 'i32', true],
  ['fistp m64int', 0xdf, 7, 'i64', true], ['fbstp m80bcd', 0xdf, 6, 'bcd', true],
];
for (const [name, opc, reg, fmt, pop] of STORES) {
  x(name, 'exact', (b) => {
    need(b, 1);
    memOp(b, opc, reg, storeTo(b, fmt), true);
    if (pop) popped(b);
  });
}
x('fst st(i)', 'exact', (b) => { need(b, 1); b.emit(0xdd, 0xd0 + sti(b)); });
x('fstp st(i)', 'exact', (b) => { need(b, 1); b.emit(0xdd, 0xd8 + sti(b)); popped(b); });
x('fxch st(i)', 'exact', (b) => { need(b, 2); b.emit(0xd9, 0xc8 + sti(b)); });
// FCMOVcc: DA C0/C8/D0/D8 = B/E/BE/U, DB = the negations (SDM Vol. 2 FCMOVcc)
const FCMOV_CC = [2, 4, 6, 10];
for (let k = 0; k < 8; k++) {
  const cc = FCMOV_CC[k & 3] + (k >> 2);
  x(`fcmov${['b', 'e', 'be', 'u', 'nb', 'ne', 'nbe', 'nu'][k]} st0,st(i)`, 'exact', (b) => {
    need(b, 2);
    b.needFlags(CC_FLAGS[cc]);
    b.emit(k < 4 ? 0xda : 0xdb, 0xc0 + (k & 3) * 8 + sti(b));
  }, CC.UNDEF);
}

// ------------------------------------------------------------------ arithmetic
const ARITH_OPS = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];
ARITH_OPS.forEach((op, k) => {
  const isCmp = k === 2 || k === 3;
  const after = (b: SeqBuilder): void => { if (k === 3) popped(b); };
  const cc = isCmp ? CC.CMP : CC.ARITH;
  const r = !isCmp;
  x(`${op} m32fp`, 'exact', (b) => { need(b, 1); memOp(b, 0xd8, k, memValue(b, 'f32'), false); after(b); }, cc, r);
  x(`${op} m64fp`, 'exact', (b) => { need(b, 1); memOp(b, 0xdc, k, memValue(b, 'f64'), false); after(b); }, cc, r);
  x(`fi${op.slice(1)} m32int`, 'exact', (b) => { need(b, 1); memOp(b, 0xda, k, memValue(b, 'i32'), false); after(b); }, cc, r);
  x(`fi${op.slice(1)} m16int`, 'exact', (b) => { need(b, 1); memOp(b, 0xde, k, memValue(b, 'i16'), false); after(b); }, cc, r);
  x(`${op} st0,st(i) (D8 ${(0xc0 + 8 * k).toString(16)}+i)`, 'exact', (b) => { need(b, 2); b.emit(0xd8, 0xc0 + 8 * k + sti(b)); after(b); }, cc, r);
  if (!isCmp) {
    // DC and DE register forms: ST(i) is the destination, and SUB/SUBR, DIV/DIVR swap encodings
    // (SDM Vol. 2: DC E0+i FSUBR ST(i),ST(0); DC E8+i FSUB; DC F0+i FDIVR; DC F8+i FDIV)
    const rop = k >= 4 ? ARITH_OPS[k ^ 1] : op;
    x(`${rop} st(i),st0 (DC ${(0xc0 + 8 * k).toString(16)}+i)`, 'exact', (b) => { need(b, 2); b.emit(0xdc, 0xc0 + 8 * k + sti(b)); }, cc, true);
    x(`${rop}p st(i),st0 (DE ${(0xc0 + 8 * k).toString(16)}+i)`, 'exact', (b) => { need(b, 2); b.emit(0xde, 0xc0 + 8 * k + sti(b)); popped(b); }, cc, true);
  }
});
x('fcompp', 'exact', (b) => { need(b, 2); b.emit(0xde, 0xd9); popped(b, 2); }, CC.CMP);
x('fucom st(i)', 'exact', (b) => { need(b, 2); b.emit(0xdd, 0xe0 + sti(b)); }, CC.CMP);
x('fucomp st(i)', 'exact', (b) => { need(b, 2); b.emit(0xdd, 0xe8 + sti(b)); popped(b); }, CC.CMP);
x('fucompp', 'exact', (b) => { need(b, 2); b.emit(0xda, 0xe9); popped(b, 2); }, CC.CMP);
for (const [name, opc, base, pop] of [
  ['fcomi', 0xdb, 0xf0, false], ['fucomi', 0xdb, 0xe8, false], ['fcomip', 0xdf, 0xf0, true], ['fucomip', 0xdf, 0xe8, true],
] as const) {
  x(`${name} st0,st(i)`, 'exact', (b) => {
    need(b, 2);
    b.emit(opc, base + sti(b));
    if (pop) popped(b);
    b.flags(F.ARITH); // ZF PF CF from the comparison, OF SF AF cleared (SDM Vol. 2 FCOMI)
  }, CC.UNDEF);
}
x('ftst', 'exact', (b) => { need(b, 1); b.emit(0xd9, 0xe4); }, CC.CMP);
x('fxam', 'exact', (b) => { b.emit(0xd9, 0xe5); }, CC.CMP);

// D9 E0-FF one-byte-ModRM operations
const D9_OPS: Array<[string, number, 'exact' | 'tol', number, number]> = [
  // name, second byte, mode, operands needed, net pushes
  ['fchs', 0xe0, 'exact', 1, 0], ['fabs', 0xe1, 'exact', 1, 0], ['fsqrt', 0xfa, 'exact', 1, 0],
  ['fscale', 0xfd, 'tol', 2, 0], ['fprem', 0xf8, 'exact', 2, 0], ['fprem1', 0xf5, 'exact', 2, 0],
  ['frndint', 0xfc, 'exact', 1, 0], ['fxtract', 0xf4, 'exact', 1, 1],
  ['f2xm1', 0xf0, 'tol', 1, 0], ['fyl2x', 0xf1, 'tol', 2, -1], ['fyl2xp1', 0xf9, 'tol', 2, -1],
  ['fptan', 0xf2, 'tol', 1, 1], ['fpatan', 0xf3, 'tol', 2, -1], ['fsin', 0xfe, 'tol', 1, 0],
  ['fcos', 0xff, 'tol', 1, 0], ['fsincos', 0xfb, 'tol', 1, 1],
  // the constants other than 1 and 0 have 64 significant bits (not doubles): tolerance mode
  ['fld1', 0xe8, 'exact', 0, 1], ['fldl2t', 0xe9, 'tol', 0, 1], ['fldl2e', 0xea, 'tol', 0, 1],
  ['fldpi', 0xeb, 'tol', 0, 1], ['fldlg2', 0xec, 'tol', 0, 1], ['fldln2', 0xed, 'tol', 0, 1],
  ['fldz', 0xee, 'exact', 0, 1], ['fincstp', 0xf7, 'exact', 0, 0], ['fdecstp', 0xf6, 'exact', 0, 0],
  ['fnop', 0xd0, 'exact', 0, 0],
];
/** D9 operations whose result depends on the working precision (see Form.rounds). */
const ROUNDS = new Set([0xfa, 0xfd, 0xf0, 0xf1, 0xf9, 0xf2, 0xf3, 0xfe, 0xff, 0xfb, 0xe9, 0xea, 0xeb, 0xec, 0xed]);
/**
 * Operand ranges for ST(0): outside them the SDM calls the result undefined (F2XM1 -1..+1, FYL2XP1
 * |x| < 1 - sqrt(2)/2), or the interpreter documents an approximation (FSIN/FCOS/FSINCOS/FPTAN:
 * the x87 reduces huge arguments with a 66-bit pi; kept to |x| < 2^20 where that error is far
 * below the tolerance).
 */
const DOMAIN: Record<number, number> = { 0xf0: 1, 0xf9: 0.29, 0xfe: 2 ** 64, 0xff: 2 ** 64, 0xfb: 2 ** 64, 0xf2: 2 ** 64 };
for (const [name, op, mode, k, net] of D9_OPS) {
  const cc = op === 0xf8 || op === 0xf5 ? CC.CMP : op === 0xf2 || op === 0xfe || op === 0xff || op === 0xfb ? CC.TRIG : op === 0xd0 ? CC.UNDEF : CC.ARITH;
  x(name, mode, (b) => {
    if (DOMAIN[op] !== undefined) {
      need(b, k - 1);
      room(b, 1);
      const u = (b.rng.u32() / 4294967296) * 2 - 1;
      // trig: |x| up to 2^64 (beyond 2^63 the x87 reports C2 = 1 and leaves ST(0))
      loadDouble(b, DOMAIN[op] > 1 ? u * 2 ** b.rng.range(-30, 64) : u * DOMAIN[op]);
    } else if (op === 0xfd) {
      // FSCALE: small scales, and scales that leave the double and the float80 ranges
      room(b, 2);
      const big = b.rng.chance(0.3);
      loadDouble(b, (big ? b.rng.range(-17000, 17000) : b.rng.range(-80, 80)) + (b.rng.chance(0.3) ? b.rng.u32() / 4294967296 : 0));
      loadDouble(b, fpDouble(b.rng, false));
    } else need(b, k);
    if (net > 0) room(b, net);
    b.emit(0xd9, op);
    if (net > 0) pushed(b, net); else if (net < 0) popped(b, -net);
    if (op === 0xf7) popped(b); else if (op === 0xf6) b.fdepth = 0; // FDECSTP: the new ST(0) is usually empty
  }, cc, ROUNDS.has(op));
}
x('ffree st(i)', 'exact', (b) => { const i = sti(b); b.emit(0xdd, 0xc0 + i); b.fdepth = Math.min(b.fdepth, i); }, CC.UNDEF);
x('ffreep st(i)', 'exact', (b) => {
  const i = sti(b);
  b.emit(0xdf, 0xc0 + i);
  b.fdepth = Math.max(0, Math.min(b.fdepth, i) - 1); // ST(i) freed, then popped
}, CC.UNDEF);

// ------------------------------------------------------------------ control
x('fninit', 'exact', (b) => {
  b.emit(0xdb, 0xe3);
  b.fdepth = 0;
  // FNINIT selects PC = extended: an exact sequence sets double precision again
  if (b.fmode === 'exact') fldcw(b);
  b.fswUndef = 0; // cleared by FNINIT (FLDCW leaves them undefined: defined again by FXAM)
  b.emit(0xd9, 0xe5);
}, CC.OWN);
x('fnclex', 'exact', (b) => b.emit(0xdb, 0xe2), CC.UNDEF);
x('fwait', 'exact', (b) => b.emit(0x9b), CC.UNDEF);
function fldcw(b: SeqBuilder): void {
  const rc = b.rng.chance(0.5) ? 0 : b.rng.below(4);
  const cw = 0x007f | (b.fpc << 8) | (rc << 10) | (b.rng.chance(0.2) ? 0x1000 : 0); // bit 12: IC
  const off = b.dataOff(2) & ~1;
  // mov word [off], cw right before (a patch could have been overwritten by an earlier store)
  b.emit(0x66, 0xc7, 0x05, ...b.imm(SCRATCH_ADDR + off, 4), ...b.imm(cw, 2));
  memOp(b, 0xd9, 5, off, false);
}
x('fldcw m16', 'exact', fldcw, CC.UNDEF);
x('fnstcw m16', 'exact', (b) => memOp(b, 0xd9, 7, b.dataOff(2), true), CC.UNDEF);
x('fnstsw m16', 'exact', (b) => { defineSw(b); memOp(b, 0xdd, 7, b.dataOff(2), true); }, CC.UNDEF);
x('fnstsw ax', 'exact', (b) => { defineSw(b); b.emit(0xdf, 0xe0); }, CC.UNDEF);
x('fucom st1; fnstsw ax; sahf (compare idiom)', 'exact', (b) => {
  need(b, 2);
  if (b.fmode === 'tol') b.emit(0xdb, 0xe2); // fnclex: PE/UE depend on the precision
  b.emit(0xdd, 0xe1, 0xdf, 0xe0, 0x9e);
  b.flags(F.SF | F.ZF | F.AF | F.PF | F.CF);
}, CC.UNDEF);
// Environment images hold FIP/FCS/FOP/FDP/FDS: those 16 bytes are not compared (README).
x('fnstenv m28; fldenv m28', 'exact', (b) => {
  const off = ENV_START + (b.rng.below(0x100 - 28) & ~3);
  b.memMask.push([off + 12, 16]);
  defineSw(b);
  memOp(b, 0xd9, 6, off, true);
  if (b.rng.chance(0.7)) {
    b.setReg(R.EAX, 0); // keep a harmless instruction between the two
    memOp(b, 0xd9, 4, off, false); // reloads the defined status word
  } else b.fswUndef = CALL; // FNSTENV leaves C0-C3 undefined
}, CC.OWN);
x('fnsave m108; frstor m108', 'exact', (b) => {
  const off = ENV_START + (b.rng.below(0x100 - 108) & ~3);
  b.memMask.push([off + 12, 16]);
  defineSw(b);
  memOp(b, 0xdd, 6, off, true);
  // in tolerance mode the eight registers of the image are compared by value
  if (b.fmode === 'tol') for (let k = 0; k < 8; k++) b.fpStores.push([off + 28 + 10 * k, 'f80']);
  if (b.rng.chance(0.8)) memOp(b, 0xdd, 4, off, false);
  else { b.fdepth = 0; if (b.fmode === 'exact') fldcw(b); b.emit(0xd9, 0xe5); }
  b.fswUndef = 0;
}, CC.OWN);

// Undocumented aliases of register forms (SDM Vol. 2 Table A-? notes; decoded by the table): FCOM2
// DC D0+i, FCOMP3 DC D8+i, FCOMP5 DE D0+i, FSTP1 D9 D8+i, FXCH4 DD C8+i, FXCH7 DF C8+i,
// FSTP8 DF D0+i, FSTP9 DF D8+i.
for (const [name, opc, base, pops, cc] of [
  ['fcom2 (DC D0+i)', 0xdc, 0xd0, 0, CC.CMP], ['fcomp3 (DC D8+i)', 0xdc, 0xd8, 1, CC.CMP], ['fcomp5 (DE D0+i)', 0xde, 0xd0, 1, CC.CMP],
  ['fstp1 (D9 D8+i)', 0xd9, 0xd8, 1, CC.ARITH], ['fxch4 (DD C8+i)', 0xdd, 0xc8, 0, CC.ARITH], ['fxch7 (DF C8+i)', 0xdf, 0xc8, 0, CC.ARITH],
  ['fstp8 (DF D0+i)', 0xdf, 0xd0, 1, CC.ARITH], ['fstp9 (DF D8+i)', 0xdf, 0xd8, 1, CC.ARITH],
] as const) {
  // undocumented encodings: generated with valid operands only (an empty ST(0) behaves
  // differently on AMD, e.g. FSTP1 raises no stack underflow there)
  x(name, 'exact', (b) => {
    need(b, 2, true);
    b.emit(opc, base + b.rng.below(Math.max(1, b.fdepth)));
    popped(b, pops);
  }, cc);
}
// FNENI, FNDISI, FNSETPM (DB E0, E1, E4): 8087/287 control instructions, NOPs since the 387.
x('fneni/fndisi/fnsetpm (DB E0/E1/E4, NOP)', 'exact', (b) => b.emit(0xdb, b.rng.pick([0xe0, 0xe1, 0xe4])), CC.UNDEF);

// An unmasked exception (ZE: CW bit 2 clear) is pending after FDIV by zero and raises #MF at the
// next waiting x87 instruction (CR0.NE = 1, SDM Vol. 1 §8.6); only the vector, EIP and the integer
// state are meaningful there (the x87 image the host kernel reports at a SIGFPE is its own).
x('unmasked #Z, then fwait (#MF)', 'exact', (b) => {
  const off = b.dataOff(2) & ~1;
  b.emit(0x66, 0xc7, 0x05, ...b.imm(SCRATCH_ADDR + off, 4), ...b.imm(0x007b | (b.fpc << 8), 2));
  memOp(b, 0xd9, 5, off, false); // fldcw: ZE unmasked
  b.emit(0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9, 0x9b); // fld1; fldz; fdivp st(1),st; fwait
  b.fpuAfterFault = false;
}, CC.UNDEF);

// EMMS (MMX, Pentium II and later): all x87 tags empty (SDM Vol. 2 EMMS) and, as every MMX
// instruction, TOP = 0 (SDM Vol. 3 §12.2); nothing else changes.
x('emms', 'exact', (b) => {
  b.emit(0x0f, 0x77);
  b.fdepth = 0;
}, CC.OWN);
