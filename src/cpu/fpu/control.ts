/**
 * x87 control instructions: FNINIT, FNCLEX, FLDCW, FNSTCW, FNSTSW, FLDENV, FNSTENV, FRSTOR, FNSAVE,
 * FNOP, WAIT/FWAIT, and FXSAVE/FXRSTOR (x87 part).
 *
 * Environment layouts (SDM Vol. 1 §8.1.10, Figures 8-9 to 8-12): 28 bytes with 32-bit operand size,
 * 14 bytes with 16-bit; protected-mode layout stores offsets and selectors, the real-mode layout
 * (also used in virtual-8086 mode) stores 20/32-bit linear instruction and data pointers and the
 * opcode. Reserved upper halves of 32-bit fields are stored as 0xFFFF like hardware does.
 * FSAVE/FRSTOR append the eight registers in ST order, 10 bytes each (§8.1.10, Figure 8-13 area).
 * FXSAVE/FXRSTOR (SDM Vol. 2 FXSAVE, Table 3-53): bytes 0-159 (x87 state, MXCSR and MXCSR_MASK)
 * and 160-287 (XMM0-7, for the SSE subset of src/cpu/sse, saved whatever CR4.OSFXSR: the SDM leaves
 * that case implementation-specific); bytes 288-511 are reserved and left untouched.
 */
import { Mn } from '../../frontend/mnemonics.js';
import type { Insn } from '../../frontend/insn.js';
import { OpKind } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { raise, raiseCode, Vec } from '../fault.js';
import { def } from '../handlers.js';
import { CR0, EF } from '../state.js';
import { classifyF80, Cls, F80 } from './float80.js';
import { probeWrite } from './memfmt.js';
import { enter, readPhysF80, recomputeEs, setStF80, Tag } from './regs.js';
import type { FpuState } from './state.js';

const tmp = new F80();

function wr(cpu: Cpu, seg: number, base: number, o: number, size: number, v: number): void {
  cpu.writeMem(seg, (base + o) | 0, size, v | 0);
}

function rd(cpu: Cpu, seg: number, base: number, o: number, size: number): number {
  return cpu.readMem(seg, (base + o) | 0, size);
}

// ---------------------------------------------------------------- simple control

def(Mn.FNINIT, (cpu, i) => {
  const f = enter(cpu, i, false, true);
  f.init();
  recomputeEs(cpu);
});

def(Mn.FNCLEX, (cpu, i) => {
  const f = enter(cpu, i, false, true);
  f.sw &= ~0x80ff; // exception flags, SF, ES, B (SDM Vol. 2 FCLEX)
  recomputeEs(cpu);
});

def(Mn.FLDCW, (cpu, i) => {
  const f = enter(cpu, i, true, true);
  setCw(f, cpu.readMem(i.seg, cpu.ea(i), 2));
  recomputeEs(cpu);
});

/** Bits 6 reads as 1; bits 13-15 are reserved zero (SDM Vol. 1 §8.1.5, Figure 8-6). */
function setCw(f: FpuState, v: number): void {
  f.cw = (v & 0x1f3f) | 0x40;
}

def(Mn.FNSTCW, (cpu, i) => {
  const f = enter(cpu, i, false, true);
  cpu.writeMem(i.seg, cpu.ea(i), 2, f.cw);
});

def(Mn.FNSTSW, (cpu, i) => {
  const f = enter(cpu, i, false, true);
  if (i.k0 === OpKind.Reg) cpu.setReg(0, 2, f.getSw());
  else cpu.writeMem(i.seg, cpu.ea(i), 2, f.getSw());
});

def(Mn.FNOP, (cpu, i) => {
  enter(cpu, i, true, false);
});

// WAIT/FWAIT: #NM only when CR0.MP and CR0.TS (SDM Vol. 3 §2.5, Table 2-2), then pending #MF.
def(Mn.WAIT, (cpu) => {
  if ((cpu.cr0 & (CR0.MP | CR0.TS)) === (CR0.MP | CR0.TS)) raise(cpu, Vec.NM);
  if ((cpu.fpu.sw & 0x80) !== 0 && (cpu.cr0 & CR0.NE) !== 0) raise(cpu, Vec.MF);
});

// ---------------------------------------------------------------- environment

/** Real-mode (or virtual-8086) layout? */
function realLayout(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0.PE) === 0 || (cpu.eflags & EF.VM) !== 0;
}

/** The tag word as FSTENV stores it: recomputed from the register contents (§8.1.7). */
function fullTag(f: FpuState): number {
  return f.tag & 0xffff;
}

/**
 * Linear pointer of the real-mode layout. Pointers loaded by FLDENV/FRSTOR in real mode are kept
 * as linear addresses with selector 0, so selector 0 means "offset is already linear".
 */
function realPtr(sel: number, off: number): number {
  return sel === 0 ? off >>> 0 : ((sel << 4) + (off & 0xffff)) >>> 0;
}

/** Store the environment at seg:off; returns its size (14 or 28). */
function storeEnv(cpu: Cpu, seg: number, off: number, o32: boolean): number {
  const f = cpu.fpu;
  const real = realLayout(cpu);
  const ip = real ? realPtr(f.fcs, f.fip) : f.fip;
  const dp = real ? realPtr(f.fds, f.fdp) : f.fdp;
  if (o32) {
    wr(cpu, seg, off, 0, 4, 0xffff0000 | f.cw);
    wr(cpu, seg, off, 4, 4, 0xffff0000 | f.getSw());
    wr(cpu, seg, off, 8, 4, 0xffff0000 | fullTag(f));
    if (real) {
      wr(cpu, seg, off, 12, 4, 0xffff0000 | (ip & 0xffff));
      wr(cpu, seg, off, 16, 4, ((ip >>> 16) << 12) | (f.fop & 0x7ff));
      wr(cpu, seg, off, 20, 4, 0xffff0000 | (dp & 0xffff));
      wr(cpu, seg, off, 24, 4, (dp >>> 16) << 12);
    } else {
      wr(cpu, seg, off, 12, 4, f.fip);
      wr(cpu, seg, off, 16, 4, (f.fcs & 0xffff) | ((f.fop & 0x7ff) << 16));
      wr(cpu, seg, off, 20, 4, f.fdp);
      wr(cpu, seg, off, 24, 4, 0xffff0000 | (f.fds & 0xffff));
    }
    return 28;
  }
  wr(cpu, seg, off, 0, 2, f.cw);
  wr(cpu, seg, off, 2, 2, f.getSw());
  wr(cpu, seg, off, 4, 2, fullTag(f));
  if (real) {
    wr(cpu, seg, off, 6, 2, ip & 0xffff);
    wr(cpu, seg, off, 8, 2, (((ip >>> 16) & 0xf) << 12) | (f.fop & 0x7ff));
    wr(cpu, seg, off, 10, 2, dp & 0xffff);
    wr(cpu, seg, off, 12, 2, ((dp >>> 16) & 0xf) << 12);
  } else {
    wr(cpu, seg, off, 6, 2, f.fip & 0xffff);
    wr(cpu, seg, off, 8, 2, f.fcs);
    wr(cpu, seg, off, 10, 2, f.fdp & 0xffff);
    wr(cpu, seg, off, 12, 2, f.fds);
  }
  return 14;
}

/** Environment image read by `readEnv` before anything is committed. */
const env = { cw: 0, sw: 0, tag: 0, fip: 0, fcs: 0, fop: 0, fdp: 0, fds: 0 };

function readEnv(cpu: Cpu, seg: number, off: number, o32: boolean): number {
  const real = realLayout(cpu);
  if (o32) {
    env.cw = rd(cpu, seg, off, 0, 2);
    env.sw = rd(cpu, seg, off, 4, 2);
    env.tag = rd(cpu, seg, off, 8, 2);
    if (real) {
      const ipLo = rd(cpu, seg, off, 12, 2);
      const w16 = rd(cpu, seg, off, 16, 4);
      env.fop = w16 & 0x7ff;
      env.fip = ((((w16 >>> 12) & 0xffff) << 16) | ipLo) >>> 0;
      env.fcs = 0;
      const dpLo = rd(cpu, seg, off, 20, 2);
      env.fdp = ((((rd(cpu, seg, off, 24, 4) >>> 12) & 0xffff) << 16) | dpLo) >>> 0;
      env.fds = 0;
    } else {
      env.fip = rd(cpu, seg, off, 12, 4);
      const w16 = rd(cpu, seg, off, 16, 4);
      env.fcs = w16 & 0xffff;
      env.fop = (w16 >>> 16) & 0x7ff;
      env.fdp = rd(cpu, seg, off, 20, 4);
      env.fds = rd(cpu, seg, off, 24, 2);
    }
    return 28;
  }
  env.cw = rd(cpu, seg, off, 0, 2);
  env.sw = rd(cpu, seg, off, 2, 2);
  env.tag = rd(cpu, seg, off, 4, 2);
  if (real) {
    const w8 = rd(cpu, seg, off, 8, 2);
    env.fip = (((w8 >>> 12) << 16) | rd(cpu, seg, off, 6, 2)) >>> 0;
    env.fop = w8 & 0x7ff;
    env.fdp = (((rd(cpu, seg, off, 12, 2) >>> 12) << 16) | rd(cpu, seg, off, 10, 2)) >>> 0;
    env.fcs = env.fds = 0;
  } else {
    env.fip = rd(cpu, seg, off, 6, 2);
    env.fcs = rd(cpu, seg, off, 8, 2);
    env.fdp = rd(cpu, seg, off, 10, 2);
    env.fds = rd(cpu, seg, off, 12, 2);
    env.fop = 0;
  }
  return 14;
}

/** Commit `env` (real-mode pointers are kept as linear addresses with selector 0). */
function commitEnv(cpu: Cpu, tagFromContents: boolean): void {
  const f = cpu.fpu;
  setCw(f, env.cw);
  f.top = (env.sw >> 11) & 7;
  f.sw = env.sw & ~0x3800;
  f.fip = env.fip;
  f.fcs = env.fcs;
  f.fop = env.fop;
  f.fdp = env.fdp;
  f.fds = env.fds;
  if (tagFromContents) applyEmptyMask(f, env.tag);
  recomputeEs(cpu);
}

/**
 * Apply a loaded tag word: registers tagged empty become empty, the others get the tag their
 * contents call for (the hardware only keeps "empty or not", SDM Vol. 1 §8.1.7).
 */
function applyEmptyMask(f: FpuState, tagWord: number): void {
  let t = 0;
  for (let p = 0; p < 8; p++) {
    let v: number = Tag.EMPTY;
    if (((tagWord >> (p << 1)) & 3) !== Tag.EMPTY) {
      readPhysF80(f, p, tmp);
      const c = classifyF80(tmp.se, tmp.hi, tmp.lo);
      v = c === Cls.ZERO ? Tag.ZERO : c === Cls.NORMAL ? Tag.VALID : Tag.SPECIAL;
    }
    t |= v << (p << 1);
  }
  f.tag = t;
}

function envSize(i: Insn): number {
  return i.osize === 2 ? 14 : 28;
}

def(Mn.FNSTENV, (cpu, i) => {
  const f = enter(cpu, i, false, true);
  const off = cpu.ea(i);
  probeWrite(cpu, i.seg, off, envSize(i));
  storeEnv(cpu, i.seg, off, i.osize !== 2);
  f.cw |= 0x3f; // all exceptions masked afterwards (SDM Vol. 2 FSTENV)
  recomputeEs(cpu);
});

def(Mn.FLDENV, (cpu, i) => {
  enter(cpu, i, true, true);
  readEnv(cpu, i.seg, cpu.ea(i), i.osize !== 2);
  commitEnv(cpu, true);
});

const saveSe = new Uint16Array(8);
const saveHi = new Uint32Array(8);
const saveLo = new Uint32Array(8);

def(Mn.FNSAVE, (cpu, i) => {
  const f = enter(cpu, i, false, true);
  const seg = i.seg;
  const off = cpu.ea(i);
  const size = envSize(i);
  probeWrite(cpu, seg, off, size + 80);
  storeEnv(cpu, seg, off, i.osize !== 2);
  for (let n = 0; n < 8; n++) {
    readPhysF80(f, (f.top + n) & 7, tmp);
    const o = (off + size + n * 10) | 0;
    cpu.writeMem(seg, o, 4, tmp.lo | 0);
    cpu.writeMem(seg, (o + 4) | 0, 4, tmp.hi | 0);
    cpu.writeMem(seg, (o + 8) | 0, 2, tmp.se);
  }
  f.init(); // FSAVE ends with an FNINIT (SDM Vol. 2 FSAVE)
  recomputeEs(cpu);
});

def(Mn.FRSTOR, (cpu, i) => {
  const f = enter(cpu, i, true, true);
  const seg = i.seg;
  const off = cpu.ea(i);
  const size = readEnv(cpu, seg, off, i.osize !== 2);
  for (let n = 0; n < 8; n++) {
    const o = (off + size + n * 10) | 0;
    saveLo[n] = cpu.readMem(seg, o, 4);
    saveHi[n] = cpu.readMem(seg, (o + 4) | 0, 4);
    saveSe[n] = cpu.readMem(seg, (o + 8) | 0, 2);
  }
  commitEnv(cpu, false);
  for (let n = 0; n < 8; n++) setStF80(f, n, saveSe[n], saveHi[n], saveLo[n]);
  applyEmptyMask(f, env.tag);
  recomputeEs(cpu);
});

// ---------------------------------------------------------------- FXSAVE / FXRSTOR

/** FXSAVE/FXRSTOR prologue: #UD if CR0.EM, #NM if CR0.TS, #GP(0) unless 16-byte aligned. */
function fxEnter(cpu: Cpu, i: Insn): number {
  if ((cpu.cr0 & CR0.EM) !== 0) raise(cpu, Vec.UD);
  if ((cpu.cr0 & CR0.TS) !== 0) raise(cpu, Vec.NM);
  const off = cpu.ea(i);
  if ((((cpu.segBase[i.seg] + off) | 0) & 15) !== 0) raiseCode(cpu, Vec.GP, 0);
  return off;
}

/** XMM0-7 as read by FXRSTOR, committed only once the whole image was read. */
const xmmIn = new Int32Array(32);

/** MXCSR bits we accept (DAZ included), stored as MXCSR_MASK. */
const MXCSR_MASK = 0xffbf;

def(Mn.FXSAVE, (cpu, i) => {
  const off = fxEnter(cpu, i);
  const f = cpu.fpu;
  const seg = i.seg;
  probeWrite(cpu, seg, off, 288);
  let abridged = 0;
  for (let p = 0; p < 8; p++) if (((f.tag >> (p << 1)) & 3) !== Tag.EMPTY) abridged |= 1 << p;
  wr(cpu, seg, off, 0, 2, f.cw);
  wr(cpu, seg, off, 2, 2, f.getSw());
  wr(cpu, seg, off, 4, 2, abridged);
  wr(cpu, seg, off, 6, 2, f.fop & 0x7ff);
  wr(cpu, seg, off, 8, 4, f.fip);
  wr(cpu, seg, off, 12, 4, f.fcs & 0xffff);
  wr(cpu, seg, off, 16, 4, f.fdp);
  wr(cpu, seg, off, 20, 4, f.fds & 0xffff);
  wr(cpu, seg, off, 24, 4, f.mxcsr);
  wr(cpu, seg, off, 28, 4, MXCSR_MASK);
  for (let n = 0; n < 8; n++) {
    readPhysF80(f, (f.top + n) & 7, tmp);
    const o = 32 + n * 16;
    wr(cpu, seg, off, o, 4, tmp.lo);
    wr(cpu, seg, off, o + 4, 4, tmp.hi);
    wr(cpu, seg, off, o + 8, 4, tmp.se);
    wr(cpu, seg, off, o + 12, 4, 0);
  }
  const xmm = cpu.sse.xmm;
  for (let k = 0; k < 32; k++) wr(cpu, seg, off, 160 + (k << 2), 4, xmm[k]);
});

def(Mn.FXRSTOR, (cpu, i) => {
  const off = fxEnter(cpu, i);
  const f = cpu.fpu;
  const seg = i.seg;
  cpu.lin(seg, off, 288);
  const mxcsr = rd(cpu, seg, off, 24, 4);
  if ((mxcsr & ~MXCSR_MASK) !== 0) raiseCode(cpu, Vec.GP, 0);
  env.cw = rd(cpu, seg, off, 0, 2);
  env.sw = rd(cpu, seg, off, 2, 2);
  const abridged = rd(cpu, seg, off, 4, 1);
  env.fop = rd(cpu, seg, off, 6, 2) & 0x7ff;
  env.fip = rd(cpu, seg, off, 8, 4);
  env.fcs = rd(cpu, seg, off, 12, 2);
  env.fdp = rd(cpu, seg, off, 16, 4);
  env.fds = rd(cpu, seg, off, 20, 2);
  for (let n = 0; n < 8; n++) {
    const o = 32 + n * 16;
    saveLo[n] = rd(cpu, seg, off, o, 4);
    saveHi[n] = rd(cpu, seg, off, o + 4, 4);
    saveSe[n] = rd(cpu, seg, off, o + 8, 2);
  }
  for (let k = 0; k < 32; k++) xmmIn[k] = rd(cpu, seg, off, 160 + (k << 2), 4);
  commitEnv(cpu, false);
  f.mxcsr = mxcsr;
  cpu.sse.xmm.set(xmmIn);
  for (let n = 0; n < 8; n++) setStF80(f, n, saveSe[n], saveHi[n], saveLo[n]);
  let tagWord = 0;
  for (let p = 0; p < 8; p++) if ((abridged & (1 << p)) === 0) tagWord |= Tag.EMPTY << (p << 1);
  applyEmptyMask(f, tagWord);
  recomputeEs(cpu);
});

