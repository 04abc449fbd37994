/**
 * x87 comparisons: FCOM/FCOMP/FCOMPP/FICOM/FICOMP, FUCOM/FUCOMP/FUCOMPP (C3 C2 C0, SDM Vol. 1
 * §8.3.4, Table 8-6), FCOMI/FCOMIP/FUCOMI/FUCOMIP (ZF PF CF, Table 8-7; OF SF AF cleared),
 * FTST and FXAM (Table 8-8 / SDM Vol. 2 FXAM).
 *
 * Ordering is exact also for registers holding raw 80-bit values: doubles are compared first (the
 * nearest-double rounding is monotonic), equal doubles are re-compared on the float80 patterns.
 */
import { Mn } from '../../frontend/mnemonics.js';
import type { Insn } from '../../frontend/insn.js';
import { OpKind } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { getEflags, setEflags } from '../flags.js';
import { def } from '../handlers.js';
import { EF } from '../state.js';
import { Cls, classifyF80, doubleToF80, F80 } from './float80.js';
import { mem, readFloat, readInt } from './memfmt.js';
import { enter, isEmpty, phys, pop, readPhysF80, signal, stClass, SW, underflow } from './regs.js';

/** Comparison results. */
const LT = -1;
const EQ = 0;
const GT = 1;
const UN = 2;

const ca = new F80();
const cb = new F80();

/** Compare two finite-or-infinite float80 patterns (not NaN). */
function compareF80(a: F80, b: F80): number {
  const aZero = (a.se & 0x7fff) === 0 && a.hi === 0 && a.lo === 0;
  const bZero = (b.se & 0x7fff) === 0 && b.hi === 0 && b.lo === 0;
  if (aZero && bZero) return EQ;
  const sa = a.se >>> 15;
  const sb = b.se >>> 15;
  if (sa !== sb) return sa ? LT : GT;
  let m: number; // magnitude comparison
  const ea = a.se & 0x7fff;
  const eb = b.se & 0x7fff;
  if (ea !== eb) m = ea > eb ? 1 : -1;
  else if (a.hi !== b.hi) m = a.hi >>> 0 > b.hi >>> 0 ? 1 : -1;
  else if (a.lo !== b.lo) m = a.lo >>> 0 > b.lo >>> 0 ? 1 : -1;
  else return EQ;
  return sa ? -m : m;
}

/**
 * Compare ST(0) with the source (physical register `srcP`, or memory value `memVal` when
 * srcP < 0). `quiet`: only SNaNs raise IE (FUCOM*). Returns LT/EQ/GT/UN, or -2 when an unmasked
 * #D suppresses the result. An unmasked invalid operation (stack underflow, NaN) still reports
 * "unordered" (observed: the condition codes are written) but sets `cmpSuppressed` so that the
 * stack is not popped.
 */
let cmpSuppressed = false;
function compare(cpu: Cpu, srcP: number, memVal: number, quiet: boolean): number {
  const f = cpu.fpu;
  const p0 = phys(f, 0);
  cmpSuppressed = false;
  if (isEmpty(f, 0) || (srcP >= 0 && ((f.tag >> (srcP << 1)) & 3) === 3)) {
    cmpSuppressed = underflow(cpu);
    return UN;
  }
  readPhysF80(f, p0, ca);
  if (srcP >= 0) readPhysF80(f, srcP, cb);
  else if (memVal !== memVal) {
    cb.se = mem.f80.se;
    cb.hi = mem.f80.hi;
    cb.lo = mem.f80.lo;
  } else doubleToF80(memVal, cb);
  const c0 = classifyF80(ca.se, ca.hi, ca.lo);
  const c1 = classifyF80(cb.se, cb.hi, cb.lo);
  if (c0 >= Cls.QNAN || c1 >= Cls.QNAN) {
    // FCOM: any NaN is invalid; FUCOM: only SNaNs and unsupported encodings
    const invalid = !quiet || c0 >= Cls.SNAN || c1 >= Cls.SNAN;
    if (invalid) cmpSuppressed = signal(cpu, SW.IE);
    return UN;
  }
  const de = c0 === Cls.DENORMAL || c1 === Cls.DENORMAL || (srcP < 0 && mem.denormal);
  if (de && signal(cpu, SW.DE)) return -2;
  const x = f.st[p0];
  const y = srcP >= 0 ? f.st[srcP] : memVal;
  if (x < y) return LT;
  if (x > y) return GT;
  return compareF80(ca, cb);
}

/** Set C3 C2 C0 from a comparison result (C1 cleared). */
function setCC(cpu: Cpu, r: number): void {
  const f = cpu.fpu;
  let cc = 0;
  if (r === LT) cc = SW.C0;
  else if (r === EQ) cc = SW.C3;
  else if (r === UN) cc = SW.C0 | SW.C2 | SW.C3;
  f.sw = (f.sw & ~SW.CC) | cc;
}

function fcom(cpu: Cpu, i: Insn, pops: number, quiet: boolean, intForm: boolean): void {
  const f = enter(cpu, i, true, false);
  let r: number;
  if (i.k0 === OpKind.Mem) {
    const off = cpu.ea(i);
    const v = intForm ? readInt(cpu, i.seg, off, i.s0) : readFloat(cpu, i.seg, off, i.s0);
    r = compare(cpu, -1, v, quiet);
  } else {
    r = compare(cpu, phys(f, pops === 2 ? 1 : stOperandOrOne(i)), 0, quiet);
  }
  if (r === -2) return;
  setCC(cpu, r);
  if (!cmpSuppressed) for (let n = 0; n < pops; n++) pop(f);
}

/** ST(i) of FCOM-style register forms: the operand that is not the implicit ST(0). */
function stOperandOrOne(i: Insn): number {
  if (i.k1 === OpKind.St) return i.v1;
  if (i.k0 === OpKind.St) return i.v0;
  return 1;
}

def(Mn.FCOM, (cpu, i) => fcom(cpu, i, 0, false, false));
def(Mn.FCOMP, (cpu, i) => fcom(cpu, i, 1, false, false));
def(Mn.FCOMPP, (cpu, i) => fcom(cpu, i, 2, false, false));
def(Mn.FICOM, (cpu, i) => fcom(cpu, i, 0, false, true));
def(Mn.FICOMP, (cpu, i) => fcom(cpu, i, 1, false, true));
def(Mn.FUCOM, (cpu, i) => fcom(cpu, i, 0, true, false));
def(Mn.FUCOMP, (cpu, i) => fcom(cpu, i, 1, true, false));
def(Mn.FUCOMPP, (cpu, i) => fcom(cpu, i, 2, true, false));

function fcomi(cpu: Cpu, i: Insn, doPop: boolean, quiet: boolean): void {
  const f = enter(cpu, i, true, false);
  const r = compare(cpu, phys(f, stOperandOrOne(i)), 0, quiet);
  if (r === -2) return;
  // C1 only changes on stack underflow (cleared there); C0 C2 C3 are untouched (SDM Vol. 2 FCOMI)
  let bits = 0;
  if (r === LT) bits = EF.CF;
  else if (r === EQ) bits = EF.ZF;
  else if (r === UN) bits = EF.ZF | EF.PF | EF.CF;
  const ef = getEflags(cpu) & ~(EF.ZF | EF.PF | EF.CF | EF.OF | EF.SF | EF.AF);
  setEflags(cpu, ef | bits);
  if (doPop && !cmpSuppressed) pop(f);
}

def(Mn.FCOMI, (cpu, i) => fcomi(cpu, i, false, false));
def(Mn.FCOMIP, (cpu, i) => fcomi(cpu, i, true, false));
def(Mn.FUCOMI, (cpu, i) => fcomi(cpu, i, false, true));
def(Mn.FUCOMIP, (cpu, i) => fcomi(cpu, i, true, true));

def(Mn.FTST, (cpu, i) => {
  enter(cpu, i, true, false);
  mem.denormal = false;
  const r = compare(cpu, -1, 0, false);
  if (r === -2) return;
  setCC(cpu, r);
});

// FXAM (SDM Vol. 2): C1 = sign; C3 C2 C0 = class.
def(Mn.FXAM, (cpu, i) => {
  const f = enter(cpu, i, true, false);
  const p = phys(f, 0);
  readPhysF80(f, p, ca);
  let cc = (ca.se & 0x8000) !== 0 ? SW.C1 : 0;
  if (isEmpty(f, 0)) cc |= SW.C3 | SW.C0;
  else {
    switch (stClass(f, 0)) {
      case Cls.UNSUPPORTED: break;
      case Cls.QNAN: case Cls.SNAN: cc |= SW.C0; break;
      case Cls.NORMAL: cc |= SW.C2; break;
      case Cls.INF: cc |= SW.C2 | SW.C0; break;
      case Cls.ZERO: cc |= SW.C3; break;
      default: cc |= SW.C3 | SW.C2; // denormal
    }
  }
  f.sw = (f.sw & ~(SW.CC | SW.C1)) | cc;
});
