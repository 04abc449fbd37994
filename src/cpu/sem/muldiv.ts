/**
 * Multiply and divide templates: MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV (SDM
 * Vol. 2).
 *
 * 64-bit products and dividends are handled in int32/float64 pieces, never BigInt (no allocation).
 * MUL/IMUL: CF = OF = "the upper half is significant"; SF/ZF/PF/AF are undefined: we derive SF/ZF/
 * PF from the low half and clear AF (kind RES). DIV/IDIV: #DE on a zero divisor or a quotient that
 * does not fit (raised before anything is written); all six flags are undefined and left unchanged.
 *
 * The one-operand forms take their source in slot 0 (slot 1 empty); IMUL r, r/m has the destination
 * and first factor in slot 0 and the second in slot 1; IMUL r, r/m, imm multiplies slots 1 and 2.
 */
import { OpKind, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { Vec } from '../fault.js';
import { LfOp } from '../flag-exprs.js';
import { defSem, let_, sx, type SemGen } from './gen.js';

/** CF | OF in EFLAGS positions. */
const CF_OF = 0x801;

/**
 * High 32 bits of the 64-bit product of int32s `a` and `b` (unsigned, or signed when `signed`), as
 * int32. 16-bit halves keep every partial product below 2^32 and every sum below 2^34: exact.
 */
function mulHigh(g: SemGen, a: string, b: string, signed: boolean): string {
  const a0 = let_(g, `${a} & 65535`), a1 = let_(g, `${a} >>> 16`);
  const b0 = let_(g, `${b} & 65535`), b1 = let_(g, `${b} >>> 16`);
  const m1 = let_(g, `${a1} * ${b0}`), m2 = let_(g, `${a0} * ${b1}`);
  const carry = `(((${a0} * ${b0}) >>> 16) + (${m1} & 65535) + (${m2} & 65535)) >>> 16`;
  const hi = `${a1} * ${b1} + (${m1} >>> 16) + (${m2} >>> 16) + (${carry})`;
  // Signed: the unsigned product of the two's-complement patterns minus 2^32 * (b if a < 0, a if b < 0).
  return let_(g, signed ? `(${hi} - (${a} < 0 ? ${b} : 0) - (${b} < 0 ? ${a} : 0)) | 0` : `(${hi}) | 0`);
}

/** `x` sign-extended from `size` bytes to int32 (`| 0` at 4 bytes: an int32 whatever its source). */
function sxi(x: string, size: number): string {
  return size === 4 ? `${x} | 0` : sx(x, size);
}

/** RES flags of a product: SF/ZF/PF from `lo` (sign-extended), CF = OF = `wide`, AF = 0. */
function mulFlags(g: SemGen, lo: string, wide: string): void {
  g.flags(LfOp.RES, lo, '0', '0', `(${wide} ? ${CF_OF} : 0)`);
}

/** MUL r/m: AX = AL * r/m8, DX:AX = AX * r/m16, EDX:EAX = EAX * r/m32. */
defSem(Mn.MUL, (g, f) => {
  const size = f.s0;
  const s = let_(g, size === 4 ? `${g.get(0)} | 0` : g.get(0));
  if (size === 1) {
    const p = let_(g, `${g.reg(0, 1)} * ${s}`);
    g.setReg(0, 2, p);
    mulFlags(g, sx(p, 1), `${p} > 255`);
  } else if (size === 2) {
    const p = let_(g, `${g.reg(0, 2)} * ${s}`); // below 2^32, exact
    g.setReg(0, 2, p);
    g.setReg(2, 2, `${p} >>> 16`);
    mulFlags(g, `((${p} << 16) >> 16)`, `${p} > 65535`);
  } else {
    const a = let_(g, g.reg(0, 4));
    const lo = let_(g, `Math.imul(${a}, ${s})`);
    const hi = mulHigh(g, a, s, false);
    g.setReg(0, 4, lo);
    g.setReg(2, 4, hi);
    mulFlags(g, lo, `${hi} !== 0`);
  }
});

/** IMUL: the one-operand form widens like MUL (signed); the others truncate to the operand size. */
defSem(Mn.IMUL, (g: SemGen, f: Insn) => {
  const size = f.s0;
  if (f.k1 === OpKind.None) {
    const s = let_(g, sxi(g.get(0), size));
    if (size === 1) {
      const p = let_(g, `${sx(g.reg(0, 1), 1)} * ${s}`);
      g.setReg(0, 2, p);
      const lo = let_(g, sx(p, 1));
      mulFlags(g, lo, `${lo} !== ${p}`);
    } else if (size === 2) {
      const p = let_(g, `${sx(g.reg(0, 2), 2)} * ${s}`); // |p| <= 2^30, an int32
      g.setReg(0, 2, p);
      g.setReg(2, 2, `${p} >> 16`);
      const lo = let_(g, sx(p, 2));
      mulFlags(g, lo, `${lo} !== ${p}`);
    } else {
      const a = let_(g, g.reg(0, 4));
      const lo = let_(g, `Math.imul(${a}, ${s})`);
      const hi = mulHigh(g, a, s, true);
      g.setReg(0, 4, lo);
      g.setReg(2, 4, hi);
      mulFlags(g, lo, `${hi} !== ${lo} >> 31`);
    }
    return;
  }
  // IMUL r, r/m (a = r) and IMUL r, r/m, imm (a = r/m): the product truncated to the operand size.
  let a: string, b: string;
  if (f.k2 === OpKind.None) {
    a = let_(g, sxi(g.get(0), size));
    b = let_(g, sxi(g.get(1), size));
  } else {
    a = let_(g, sxi(g.get(1), size));
    b = let_(g, sxi(g.get(2), size));
  }
  if (size === 2) {
    const p = let_(g, `${a} * ${b}`);
    const lo = let_(g, sx(p, 2));
    g.put(0, lo);
    mulFlags(g, lo, `${lo} !== ${p}`);
  } else {
    const lo = let_(g, `Math.imul(${a}, ${b})`);
    g.put(0, lo);
    const hi = mulHigh(g, a, b, true);
    mulFlags(g, lo, `${hi} !== ${lo} >> 31`);
  }
});

/** `#DE` when `cond` holds. */
function deWhen(g: SemGen, cond: string): void {
  g.ifOpen(cond);
  g.raise(Vec.DE);
  g.ifClose();
}

/**
 * Unsigned (hi:lo) / d for hi < d (so the quotient fits in 32 bits), all as non-negative numbers:
 * two 16-bit long-division steps keep every intermediate below 2^48, exact in a double, and each
 * partial quotient below 2^16, where a double's spacing is far below 1/d (so the floor is exact).
 * Returns [quotient, remainder] scratches (non-negative numbers below 2^32).
 */
function divU64(g: SemGen, hi: string, lo: string, d: string): [string, string] {
  const n1 = let_(g, `${hi} * 65536 + (${lo} >>> 16)`);
  const q1 = let_(g, `Math.floor(${n1} / ${d})`);
  const n2 = let_(g, `(${n1} - ${q1} * ${d}) * 65536 + (${lo} & 65535)`);
  const q2 = let_(g, `Math.floor(${n2} / ${d})`);
  return [let_(g, `${q1} * 65536 + ${q2}`), let_(g, `${n2} - ${q2} * ${d}`)];
}

/** DIV r/m: AL, AH = AX / r/m8; AX, DX = DX:AX / r/m16; EAX, EDX = EDX:EAX / r/m32. */
defSem(Mn.DIV, (g, f) => {
  const size = f.s0;
  const d = let_(g, g.get(0));
  if (size === 1) {
    deWhen(g, `${d} === 0`);
    const n = let_(g, g.reg(0, 2));
    const q = let_(g, `Math.floor(${n} / ${d})`);
    deWhen(g, `${q} > 255`);
    g.setReg(0, 2, `((${n} - ${q} * ${d}) << 8) | ${q}`);
  } else if (size === 2) {
    deWhen(g, `${d} === 0`);
    const n = let_(g, `((${g.reg(2, 2)} << 16) | ${g.reg(0, 2)}) >>> 0`);
    const q = let_(g, `Math.floor(${n} / ${d})`);
    deWhen(g, `${q} > 65535`);
    g.setReg(0, 2, q);
    g.setReg(2, 2, `${n} - ${q} * ${d}`);
  } else {
    const du = let_(g, `${d} >>> 0`);
    const hi = let_(g, `${g.reg(2, 4)} >>> 0`);
    deWhen(g, `${hi} >= ${du}`); // zero divisor or quotient >= 2^32
    const [q, r] = divU64(g, hi, `${g.reg(0, 4)}`, du);
    g.setReg(0, 4, `${q} | 0`);
    g.setReg(2, 4, `${r} | 0`);
  }
});

/** IDIV r/m: signed, the quotient truncated toward zero, the remainder with the dividend's sign. */
defSem(Mn.IDIV, (g, f) => {
  const size = f.s0;
  const d = let_(g, sxi(g.get(0), size));
  deWhen(g, `${d} === 0`);
  if (size === 1) {
    const n = let_(g, sx(g.reg(0, 2), 2));
    const q = let_(g, `Math.trunc(${n} / ${d})`);
    deWhen(g, `${q} > 127 || ${q} < -128`);
    g.setReg(0, 2, `(((${n} - ${q} * ${d}) & 255) << 8) | (${q} & 255)`);
  } else if (size === 2) {
    const n = let_(g, `(${g.reg(2, 2)} << 16) | ${g.reg(0, 2)}`);
    const q = let_(g, `Math.trunc(${n} / ${d})`);
    deWhen(g, `${q} > 32767 || ${q} < -32768`);
    g.setReg(0, 2, q);
    g.setReg(2, 2, `${n} - ${q} * ${d}`);
  } else {
    // |EDX:EAX| (two's-complement negate of the 64-bit dividend when negative) and |d| (2^31 stays
    // exact as a double).
    const nNeg = let_(g, `${g.reg(2, 4)} < 0 ? 1 : 0`);
    const lo = let_(g, `${nNeg} !== 0 ? -${g.reg(0, 4)} | 0 : ${g.reg(0, 4)}`);
    const hi = let_(g, `${nNeg} !== 0 ? (~${g.reg(2, 4)} + (${lo} === 0 ? 1 : 0)) >>> 0 : ${g.reg(2, 4)} >>> 0`);
    const dm = let_(g, `${d} < 0 ? -${d} : ${d}`);
    deWhen(g, `${hi} >= ${dm}`);
    const [q, r] = divU64(g, hi, lo, dm);
    const qNeg = let_(g, `${nNeg} ^ (${d} < 0 ? 1 : 0)`);
    deWhen(g, `${q} > (${qNeg} !== 0 ? 2147483648 : 2147483647)`);
    g.setReg(0, 4, `${qNeg} !== 0 ? -${q} | 0 : ${q} | 0`);
    g.setReg(2, 4, `${nNeg} !== 0 ? -${r} | 0 : ${r} | 0`);
  }
});
