/**
 * x87 data transfer: FLD/FST/FSTP (float32/64/80 and ST(i)), FILD/FIST/FISTP (int16/32/64),
 * FBLD/FBSTP (packed BCD), FXCH, FCMOVcc, the constant loads, FFREE/FFREEP, FINCSTP/FDECSTP,
 * FCHS/FABS (SDM Vol. 2 instruction pages; formats Vol. 1 §4.2, §4.7, Table 4-3 indefinites).
 */
import { Mn } from '../../frontend/mnemonics.js';
import type { Insn } from '../../frontend/insn.js';
import { OpKind } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { testCC } from '../flags.js';
import { def } from '../handlers.js';
import {
  Cls, classifyF80, doubleBitsHi, doubleBitsLo, F80, int64ToF80, RC, rf, roundToDouble, roundToInt64,
} from './float80.js';
import { mem, probeWrite, read80, readFloat, readInt, write64, write80 } from './memfmt.js';
import {
  copyToSt, enter, freeTag, INDEF_HI, INDEF_SE, isEmpty, overflow, phys, pop, push, pushForLoad, setC1, setSt,
  setStF80, signal, stOperand, stToF80, SW, underflow,
} from './regs.js';
import type { FpuState } from './state.js';

const tmp = new F80();
const f32 = new Float32Array(1);
const u32f = new Uint32Array(f32.buffer);

// ---------------------------------------------------------------- FLD

def(Mn.FLD, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (i.k0 === OpKind.Mem) {
    const size = i.s0;
    const v = readFloat(cpu, i.seg, cpu.ea(i), size);
    if (!isEmpty(f, 7)) {
      if (!overflow(cpu)) {
        push(f);
        setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
      }
      return;
    }
    if (size === 10) {
      push(f);
      setStF80(f, 0, mem.f80.se, mem.f80.hi, mem.f80.lo);
      setC1(f, false);
      return;
    }
    // float32/64: SNaN -> IE and quieted; denormal source -> DE (SDM Vol. 2 FLD). An unmasked
    // IE suppresses the load; an unmasked DE does not (observed, see state.ts).
    if (mem.snan && signal(cpu, SW.IE)) return;
    if (mem.denormal) signal(cpu, SW.DE);
    setC1(f, false);
    push(f);
    if (v !== v) setStF80(f, 0, mem.f80.se, (mem.f80.hi | 0x40000000) >>> 0, mem.f80.lo);
    else setSt(f, 0, v);
    return;
  }
  const src = phys(f, stOperand(i));
  if (((f.tag >> (src << 1)) & 3) === 3) {
    // empty source: underflow only (observed: no overflow check, C1 = 0); masked: push indefinite
    if (!underflow(cpu)) {
      push(f);
      setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    }
    return;
  }
  if (pushForLoad(cpu)) copyToSt(f, 0, src);
});

// ---------------------------------------------------------------- FST / FSTP

/** Integer/float indefinite patterns written by masked invalid stores. */
function storeFloatIndefinite(cpu: Cpu, seg: number, off: number, size: number): void {
  if (size === 4) cpu.writeMem(seg, off, 4, 0xffc00000 | 0);
  else if (size === 8) write64(cpu, seg, off, 0xfff80000, 0);
  else write80(cpu, seg, off, INDEF_SE, INDEF_HI, 0);
}

/** Would exception flags `bits` trap (be unmasked)? Checked before a store so that a memory
 *  fault of the store leaves the status word untouched (precise exceptions). */
function unmasked(f: FpuState, bits: number): boolean {
  return (bits & ~f.cw & 0x3f) !== 0;
}

/**
 * Store ST(0) to memory as float32/64/80, rounding the exact value with RC. Returns false when an
 * unmasked exception suppressed the store (the caller must not pop). Memory is written before
 * any status flag changes, so a #PF/#GP of the store is precise.
 */
function storeFloat(cpu: Cpu, seg: number, off: number, size: number): boolean {
  const f = cpu.fpu;
  if (isEmpty(f, 0)) {
    if (unmasked(f, SW.IE)) {
      underflow(cpu);
      return false;
    }
    storeFloatIndefinite(cpu, seg, off, size);
    underflow(cpu);
    return true;
  }
  stToF80(f, 0, tmp);
  if (size === 10) {
    write80(cpu, seg, off, tmp.se, tmp.hi, tmp.lo);
    setC1(f, false);
    return true;
  }
  const cls = classifyF80(tmp.se, tmp.hi, tmp.lo);
  const neg = (tmp.se & 0x8000) !== 0;
  if (cls === Cls.UNSUPPORTED) {
    if (unmasked(f, SW.IE)) return !signal(cpu, SW.IE);
    storeFloatIndefinite(cpu, seg, off, size);
    signal(cpu, SW.IE);
    setC1(f, false);
    return true;
  }
  if (cls === Cls.SNAN || cls === Cls.QNAN) {
    if (cls === Cls.SNAN && unmasked(f, SW.IE)) return !signal(cpu, SW.IE);
    const hi = tmp.hi | 0x40000000;
    if (size === 4) cpu.writeMem(seg, off, 4, (neg ? 0x80000000 : 0) | 0x7f800000 | ((hi >>> 8) & 0x7fffff));
    else write64(cpu, seg, off, (neg ? 0x80000000 : 0) | 0x7ff00000 | ((hi >>> 11) & 0xfffff), ((hi << 21) | (tmp.lo >>> 11)) >>> 0);
    if (cls === Cls.SNAN) signal(cpu, SW.IE);
    setC1(f, false);
    return true;
  }
  let v: number;
  if (cls === Cls.ZERO) {
    v = neg ? -0 : 0;
    rf.inexact = rf.up = rf.overflow = rf.underflow = false;
  } else if (cls === Cls.INF) {
    v = neg ? -Infinity : Infinity;
    rf.inexact = rf.up = rf.overflow = rf.underflow = false;
  } else {
    const e = (tmp.se & 0x7fff) === 0 ? -16382 : (tmp.se & 0x7fff) - 16383;
    const rc = (f.cw >> 10) & 3;
    v = size === 4
      ? roundToDouble(neg ? 1 : 0, e, tmp.hi, tmp.lo, false, 24, -126, 127, rc)
      : roundToDouble(neg ? 1 : 0, e, tmp.hi, tmp.lo, false, 53, -1022, 1023, rc);
  }
  // numeric exceptions of the store (SDM Vol. 1 §4.9.1.4-4.9.1.6): unmasked OE/UE store nothing
  let exc = 0;
  if (rf.overflow) exc |= SW.OE | SW.PE;
  else if (rf.underflow) exc |= SW.UE | SW.PE;
  else if (rf.inexact) exc |= SW.PE;
  const up = rf.up;
  if ((exc & ~f.cw & (SW.OE | SW.UE)) !== 0) {
    signal(cpu, exc);
    return false;
  }
  if (size === 4) {
    f32[0] = v;
    cpu.writeMem(seg, off, 4, u32f[0] | 0);
  } else write64(cpu, seg, off, doubleBitsHi(v), doubleBitsLo(v));
  if (exc !== 0) signal(cpu, exc);
  setC1(f, up);
  return true;
}

function fst(cpu: Cpu, i: Insn, doPop: boolean): void {
  const f = enter(cpu, i, true, false);
  if (i.k0 === OpKind.Mem) {
    if (storeFloat(cpu, i.seg, cpu.ea(i), i.s0) && doPop) pop(f);
    return;
  }
  const dst = stOperand(i);
  if (isEmpty(f, 0)) {
    if (underflow(cpu)) return;
    setStF80(f, dst, INDEF_SE, INDEF_HI, 0);
  } else {
    copyToSt(f, dst, phys(f, 0));
    setC1(f, false);
  }
  if (doPop) pop(f);
}

def(Mn.FST, (cpu, i) => fst(cpu, i, false));
def(Mn.FSTP, (cpu, i) => fst(cpu, i, true));

// ---------------------------------------------------------------- FILD / FIST / FISTP

def(Mn.FILD, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  const size = i.s0;
  const v = readInt(cpu, i.seg, cpu.ea(i), size);
  if (!pushForLoad(cpu)) return;
  if (size === 8) setStF80(f, 0, mem.f80.se, mem.f80.hi, mem.f80.lo);
  else setSt(f, 0, v);
});

/**
 * Round ST(0) to an integer with RC (SDM Vol. 1 §4.8.3.3). Returns false on IE (NaN, infinity,
 * out of range, empty); the int64 is in rf.intHi/intLo and must fit `size` bytes.
 */
function stToInt(cpu: Cpu, size: number): boolean {
  const f = cpu.fpu;
  stToF80(f, 0, tmp);
  const cls = classifyF80(tmp.se, tmp.hi, tmp.lo);
  if (cls >= Cls.INF) return false;
  if (!roundToInt64(tmp.se, tmp.hi, tmp.lo, (f.cw >> 10) & 3)) return false;
  const hi = rf.intHi;
  const lo = rf.intLo;
  if (size === 2) return (hi === 0 && lo <= 0x7fff) || (hi === 0xffffffff && lo >= 0xffff8000);
  if (size === 4) return (hi === 0 && lo < 0x80000000) || (hi === 0xffffffff && lo >= 0x80000000);
  return true;
}

function fist(cpu: Cpu, i: Insn, doPop: boolean): void {
  const f = enter(cpu, i, true, false);
  const size = i.s0;
  const seg = i.seg;
  const off = cpu.ea(i);
  cpu.lin(seg, off, size);
  const empty = isEmpty(f, 0);
  const ok = !empty && stToInt(cpu, size);
  if (!ok) {
    // unmasked: nothing stored; masked: the integer indefinite (SDM Vol. 1 §4.8.3.3), flags after
    // the store so that a fault of the store is precise
    if (unmasked(f, SW.IE)) {
      if (empty) underflow(cpu);
      else signal(cpu, SW.IE);
      return;
    }
    if (size === 2) cpu.writeMem(seg, off, 2, 0x8000);
    else if (size === 4) cpu.writeMem(seg, off, 4, 0x80000000 | 0);
    else write64(cpu, seg, off, 0x80000000, 0);
    if (empty) underflow(cpu);
    else signal(cpu, SW.IE);
    setC1(f, false);
  } else {
    if (size === 8) write64(cpu, seg, off, rf.intHi, rf.intLo);
    else cpu.writeMem(seg, off, size, rf.intLo | 0);
    const up = rf.up;
    if (rf.inexact) signal(cpu, SW.PE);
    setC1(f, up);
  }
  if (doPop) pop(f);
}

def(Mn.FIST, (cpu, i) => fist(cpu, i, false));
def(Mn.FISTP, (cpu, i) => fist(cpu, i, true));

// ---------------------------------------------------------------- FBLD / FBSTP

/** Decode 80-bit packed BCD (18 digits, sign in bit 79; SDM Vol. 1 §4.7) into `out` as float80. */
export function bcdToF80(lo: number, hi: number, se: number, out: F80): void {
  // digits d17..d0: byte 8 holds d17 d16 ... byte 0 holds d1 d0
  let high = 0; // digits 17..9
  let low = 0; // digits 8..0
  for (let d = 17; d >= 0; d--) {
    const byte = d >= 16 ? (se >> ((d - 16) >> 1 << 3)) & 0xff : d >= 8 ? (hi >>> (((d - 8) >> 1) << 3)) & 0xff : (lo >>> ((d >> 1) << 3)) & 0xff;
    const digit = (d & 1) !== 0 ? byte >> 4 : byte & 15;
    if (d >= 9) high = high * 10 + digit;
    else low = low * 10 + digit;
  }
  // value = high * 1e9 + low, as an exact 64-bit integer
  const pLo = (Math.imul(high, 1000000000) >>> 0);
  const pHi = Math.round((high * 1000000000 - pLo) / 4294967296);
  let vLo = pLo + low;
  let vHi = pHi;
  if (vLo >= 4294967296) {
    vLo -= 4294967296;
    vHi += 1;
  }
  if ((se & 0x8000) !== 0) {
    // negate
    vLo = (~vLo + 1) >>> 0;
    vHi = (~vHi + (vLo === 0 ? 1 : 0)) >>> 0;
    if (vLo === 0 && vHi === 0) {
      out.se = 0x8000; // -0
      out.hi = out.lo = 0;
      return;
    }
  }
  int64ToF80(vHi, vLo, out);
}

def(Mn.FBLD, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  read80(cpu, i.seg, cpu.ea(i), tmp);
  const se = tmp.se;
  const hi = tmp.hi;
  const lo = tmp.lo;
  if (!pushForLoad(cpu)) return;
  bcdToF80(lo, hi, se, tmp);
  setStF80(f, 0, tmp.se, tmp.hi, tmp.lo);
});

def(Mn.FBSTP, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  const seg = i.seg;
  const off = cpu.ea(i);
  let ok = false;
  let neg = false;
  const empty = isEmpty(f, 0);
  if (!empty) {
    stToF80(f, 0, tmp);
    neg = (tmp.se & 0x8000) !== 0;
    const cls = classifyF80(tmp.se, tmp.hi, tmp.lo);
    ok = cls < Cls.INF && roundToInt64(tmp.se, tmp.hi, tmp.lo, (f.cw >> 10) & 3);
    if (ok) {
      let hi = rf.intHi;
      let lo = rf.intLo;
      if (hi >= 0x80000000) {
        lo = (~lo + 1) >>> 0;
        hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
      }
      // |v| <= 10^18 - 1 = 0x0DE0B6B3_A763FFFF
      ok = hi < 0x0de0b6b3 || (hi === 0x0de0b6b3 && lo <= 0xa763ffff);
      if (ok) {
        const inexact = rf.inexact;
        const up = rf.up;
        // 18 digits by long division of hi:lo by 10
        let bLo = 0;
        let bHi = 0;
        let bTop = 0;
        for (let d = 0; d < 18; d++) {
          const qh = Math.floor(hi / 10);
          const rh = hi - qh * 10;
          const t = rh * 4294967296 + lo;
          const ql = Math.floor(t / 10);
          const digit = t - ql * 10;
          hi = qh;
          lo = ql;
          if (d < 8) bLo |= digit << (d * 4);
          else if (d < 16) bHi |= digit << ((d - 8) * 4);
          else bTop |= digit << ((d - 16) * 4);
        }
        write80(cpu, seg, off, (neg ? 0x8000 : 0) | bTop, bHi >>> 0, bLo >>> 0);
        if (inexact) signal(cpu, SW.PE); // flags after the store: its faults stay precise
        setC1(f, up);
      }
    }
  }
  if (!ok) {
    if (unmasked(f, SW.IE)) {
      if (empty) underflow(cpu);
      else signal(cpu, SW.IE);
      return;
    }
    write80(cpu, seg, off, 0xffff, 0xc0000000, 0); // packed BCD indefinite (SDM Vol. 1 Table 4-4)
    if (empty) underflow(cpu);
    else signal(cpu, SW.IE);
    setC1(f, false);
  }
  pop(f);
});

// ---------------------------------------------------------------- register moves

def(Mn.FXCH, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  const j = stOperand(i);
  if (isEmpty(f, 0) || isEmpty(f, j)) {
    if (underflow(cpu)) return;
    if (isEmpty(f, 0)) setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    if (isEmpty(f, j)) setStF80(f, j, INDEF_SE, INDEF_HI, 0);
  }
  exchange(f, phys(f, 0), phys(f, j));
  setC1(f, false);
});

function exchange(f: FpuState, a: number, b: number): void {
  if (a === b) return;
  const v = f.st[a]; f.st[a] = f.st[b]; f.st[b] = v;
  const rv = f.rawValid[a]; f.rawValid[a] = f.rawValid[b]; f.rawValid[b] = rv;
  const se = f.rawSe[a]; f.rawSe[a] = f.rawSe[b]; f.rawSe[b] = se;
  const hi = f.rawHi[a]; f.rawHi[a] = f.rawHi[b]; f.rawHi[b] = hi;
  const lo = f.rawLo[a]; f.rawLo[a] = f.rawLo[b]; f.rawLo[b] = lo;
  const ta = (f.tag >> (a << 1)) & 3;
  const tb = (f.tag >> (b << 1)) & 3;
  f.tag = (f.tag & ~((3 << (a << 1)) | (3 << (b << 1)))) | (tb << (a << 1)) | (ta << (b << 1));
}

def(Mn.FCMOVcc, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  const j = stOperand(i);
  // C1 is left alone unless the stack underflows; the masked underflow response writes the
  // indefinite whatever the condition (observed, see state.ts)
  if (isEmpty(f, 0) || isEmpty(f, j)) {
    if (!underflow(cpu)) setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    return;
  }
  if (testCC(cpu, i.cc)) copyToSt(f, 0, phys(f, j));
});

// ---------------------------------------------------------------- constants

/**
 * Constant loads (SDM Vol. 2 FLD1/FLDL2T/...): 64-bit significands of the exact constants, rounded
 * by RC (since the 486 the constants are held with extra bits and rounded; computed from the
 * mathematical values: pi = 0xC90FDAA2_2168C234|C4.., log2(10) = 0xD49A784B_CD1B8AFE|49..,
 * log2(e) = 0xB8AA3B29_5C17F0BB|BE.., log10(2) = 0x9A209A84_FBCFF798|8F.., ln(2) =
 * 0xB17217F7_D1CF79AB|C9..; the part after | decides rounding: >= 0x80 means "round up" at nearest).
 */
function loadConst(cpu: Cpu, i: Insn, se: number, hi: number, loTrunc: number, nearestUp: boolean): void {
  const f = enter(cpu, i, true, false);
  if (!pushForLoad(cpu)) return;
  const rc = (f.cw >> 10) & 3;
  const up = rc === RC.NEAREST ? nearestUp : rc === RC.UP; // all constants are positive
  setStF80(f, 0, se, hi, up ? loTrunc + 1 : loTrunc);
}

def(Mn.FLD1, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (pushForLoad(cpu)) setSt(f, 0, 1);
});
def(Mn.FLDZ, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  if (pushForLoad(cpu)) setSt(f, 0, 0);
});
def(Mn.FLDPI, (cpu, i) => loadConst(cpu, i, 0x4000, 0xc90fdaa2, 0x2168c234, true));
def(Mn.FLDL2T, (cpu, i) => loadConst(cpu, i, 0x4000, 0xd49a784b, 0xcd1b8afe, false));
def(Mn.FLDL2E, (cpu, i) => loadConst(cpu, i, 0x3fff, 0xb8aa3b29, 0x5c17f0bb, true));
def(Mn.FLDLG2, (cpu, i) => loadConst(cpu, i, 0x3ffd, 0x9a209a84, 0xfbcff798, true));
def(Mn.FLDLN2, (cpu, i) => loadConst(cpu, i, 0x3ffe, 0xb17217f7, 0xd1cf79ab, true));

// ---------------------------------------------------------------- tags and TOP

def(Mn.FFREE, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  freeTag(f, stOperand(i));
  setC1(f, false); // observed: FFREE clears C1 (the SDM calls C0-C3 undefined)
});
def(Mn.FFREEP, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  freeTag(f, stOperand(i));
  setC1(f, false);
  pop(f);
});
def(Mn.FINCSTP, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  f.top = (f.top + 1) & 7;
  setC1(f, false);
});
def(Mn.FDECSTP, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  f.top = (f.top - 1) & 7;
  setC1(f, false);
});

// ---------------------------------------------------------------- sign

function signOp(cpu: Cpu, i: Insn, abs: boolean): void {
  const f = enter(cpu, i, true, false);
  if (isEmpty(f, 0)) {
    if (!underflow(cpu)) setStF80(f, 0, INDEF_SE, INDEF_HI, 0);
    return;
  }
  const p = phys(f, 0);
  const v = f.st[p];
  f.st[p] = abs ? Math.abs(v) : -v;
  if (f.rawValid[p]) f.rawSe[p] = abs ? f.rawSe[p] & 0x7fff : f.rawSe[p] ^ 0x8000;
  setC1(f, false);
}

def(Mn.FCHS, (cpu, i) => signOp(cpu, i, false));
def(Mn.FABS, (cpu, i) => signOp(cpu, i, true));
