/**
 * MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV (SDM Vol. 2).
 *
 * 64-bit products and dividends are handled in int32/float64 pieces, never BigInt (no allocation).
 * MUL/IMUL: CF = OF = "the upper half is significant"; SF/ZF/PF/AF are undefined: we derive SF/ZF/
 * PF from the low half and clear AF. DIV/IDIV: #DE on a zero divisor or a quotient that does not
 * fit (checked before anything is written); all six flags are undefined and left unchanged.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { raise, Vec } from './fault.js';
import { CF, OF, setResultFlags } from './flags.js';
import { def } from './handlers.js';

/** High 32 bits of the unsigned 64-bit product of a and b (int32 in, int32 out). */
export function mulHighU(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const m1 = a1 * b0, m2 = a0 * b1;
  const carry = (((a0 * b0) >>> 16) + (m1 & 0xffff) + (m2 & 0xffff)) >>> 16;
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + carry) | 0;
}

/** High 32 bits of the signed 64-bit product of a and b. */
export function mulHighS(a: number, b: number): number {
  let h = mulHighU(a, b);
  if (a < 0) h = (h - b) | 0;
  if (b < 0) h = (h - a) | 0;
  return h;
}

/** Source operand of the one-operand forms (slot 0) at the instruction's size. */
function src0(cpu: Cpu, i: Insn): number {
  if (i.k0 === OpKind.Reg) return cpu.getReg(i.v0, i.s0);
  return cpu.readOp(i, 0);
}

function mul(cpu: Cpu, i: Insn): void {
  const size = i.s0;
  const r = cpu.regs;
  const s = src0(cpu, i);
  if (size === 1) {
    const p = (r[0] & 0xff) * s;
    cpu.setReg(0, 2, p);
    setResultFlags(cpu, (p << 24) >> 24, p > 0xff ? CF | OF : 0);
  } else if (size === 2) {
    const p = (r[0] & 0xffff) * s;
    cpu.setReg(0, 2, p);
    cpu.setReg(2, 2, p >>> 16);
    setResultFlags(cpu, (p << 16) >> 16, p > 0xffff ? CF | OF : 0);
  } else {
    const lo = Math.imul(r[0], s);
    const hi = mulHighU(r[0], s);
    r[0] = lo;
    r[2] = hi;
    setResultFlags(cpu, lo, hi !== 0 ? CF | OF : 0);
  }
}

function imul(cpu: Cpu, i: Insn): void {
  const size = i.s0;
  const r = cpu.regs;
  if (i.k1 === OpKind.None) {
    // IMUL r/m: AX / DX:AX / EDX:EAX = accumulator * r/m
    const s = src0(cpu, i);
    if (size === 1) {
      const p = ((r[0] << 24) >> 24) * ((s << 24) >> 24);
      cpu.setReg(0, 2, p);
      const lo = (p << 24) >> 24;
      setResultFlags(cpu, lo, lo !== p ? CF | OF : 0);
    } else if (size === 2) {
      const p = ((r[0] << 16) >> 16) * ((s << 16) >> 16);
      cpu.setReg(0, 2, p);
      cpu.setReg(2, 2, p >> 16);
      const lo = (p << 16) >> 16;
      setResultFlags(cpu, lo, lo !== p ? CF | OF : 0);
    } else {
      const lo = Math.imul(r[0], s);
      const hi = mulHighS(r[0], s);
      r[0] = lo;
      r[2] = hi;
      setResultFlags(cpu, lo, hi !== lo >> 31 ? CF | OF : 0);
    }
    return;
  }
  // IMUL r, r/m (a = r) and IMUL r, r/m, imm (a = r/m): the product truncated to the operand size
  let a: number, b: number;
  if (i.k2 === OpKind.None) {
    a = cpu.getReg(i.v0, size);
    b = i.k1 === OpKind.Reg ? cpu.getReg(i.v1, size) : cpu.readOp(i, 1);
  } else {
    a = i.k1 === OpKind.Reg ? cpu.getReg(i.v1, size) : cpu.readOp(i, 1);
    b = i.v2;
  }
  if (size === 2) {
    const p = ((a << 16) >> 16) * ((b << 16) >> 16);
    const lo = (p << 16) >> 16;
    cpu.setReg(i.v0, 2, lo);
    setResultFlags(cpu, lo, lo !== p ? CF | OF : 0);
  } else {
    const lo = Math.imul(a, b);
    r[i.v0] = lo;
    setResultFlags(cpu, lo, mulHighS(a, b) !== lo >> 31 ? CF | OF : 0);
  }
}

/** Quotient and remainder of the last divU64 call (module state: no allocation). */
let quot = 0;
let rem = 0;

/**
 * Unsigned (hi:lo) / d for hi < d (so the quotient fits in 32 bits), all as non-negative numbers.
 * Two 16-bit long-division steps keep every intermediate below 2^48, exact in a double.
 */
function divU64(hi: number, lo: number, d: number): void {
  const n1 = hi * 65536 + (lo >>> 16);
  const q1 = Math.floor(n1 / d);
  const n2 = (n1 - q1 * d) * 65536 + (lo & 0xffff);
  const q2 = Math.floor(n2 / d);
  rem = n2 - q2 * d;
  quot = q1 * 65536 + q2;
}

function div(cpu: Cpu, i: Insn): void {
  const size = i.s0;
  const r = cpu.regs;
  const d = src0(cpu, i);
  if (size === 1) {
    if (d === 0) raise(cpu, Vec.DE);
    const n = r[0] & 0xffff;
    const q = Math.floor(n / d);
    if (q > 0xff) raise(cpu, Vec.DE);
    cpu.setReg(0, 2, ((n - q * d) << 8) | q);
  } else if (size === 2) {
    if (d === 0) raise(cpu, Vec.DE);
    const n = (((r[2] & 0xffff) << 16) | (r[0] & 0xffff)) >>> 0;
    const q = Math.floor(n / d);
    if (q > 0xffff) raise(cpu, Vec.DE);
    cpu.setReg(0, 2, q);
    cpu.setReg(2, 2, n - q * d);
  } else {
    const du = d >>> 0;
    if ((r[2] >>> 0) >= du) raise(cpu, Vec.DE); // zero divisor or quotient >= 2^32
    divU64(r[2] >>> 0, r[0] >>> 0, du);
    r[0] = quot | 0;
    r[2] = rem | 0;
  }
}

function idiv(cpu: Cpu, i: Insn): void {
  const size = i.s0;
  const r = cpu.regs;
  const s = src0(cpu, i);
  if (size === 1) {
    const d = (s << 24) >> 24;
    if (d === 0) raise(cpu, Vec.DE);
    const n = (r[0] << 16) >> 16;
    const q = Math.trunc(n / d);
    if (q > 127 || q < -128) raise(cpu, Vec.DE);
    cpu.setReg(0, 2, (((n - q * d) & 0xff) << 8) | (q & 0xff));
  } else if (size === 2) {
    const d = (s << 16) >> 16;
    if (d === 0) raise(cpu, Vec.DE);
    const n = (r[2] << 16) | (r[0] & 0xffff);
    const q = Math.trunc(n / d);
    if (q > 32767 || q < -32768) raise(cpu, Vec.DE);
    cpu.setReg(0, 2, q);
    cpu.setReg(2, 2, n - q * d);
  } else {
    const d = s | 0;
    if (d === 0) raise(cpu, Vec.DE);
    let hi = r[2], lo = r[0];
    const nNeg = hi < 0;
    if (nNeg) {
      // two's-complement negate of the 64-bit dividend
      lo = (~lo + 1) | 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) | 0;
    }
    const dm = d < 0 ? -d : d; // 2^31 stays exact as a double
    if ((hi >>> 0) >= dm) raise(cpu, Vec.DE);
    divU64(hi >>> 0, lo >>> 0, dm);
    const qNeg = nNeg !== d < 0;
    if (quot > (qNeg ? 0x80000000 : 0x7fffffff)) raise(cpu, Vec.DE);
    r[0] = qNeg ? -quot | 0 : quot | 0;
    r[2] = nNeg ? -rem | 0 : rem | 0;
  }
}

def(Mn.MUL, mul);
def(Mn.IMUL, imul);
def(Mn.DIV, div);
def(Mn.IDIV, idiv);
