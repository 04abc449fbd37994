/**
 * Data movement: MOV MOVZX MOVSX XCHG XADD CMPXCHG CMPXCHG8B LEA CBW/CWDE CWD/CDQ XLAT CMOVcc
 * SETcc (SDM Vol. 2). MOV Sreg is system code (system/segments.ts).
 *
 * Memory destinations are written before any register or flag changes (precise faults). CMPXCHG and
 * CMPXCHG8B write the destination back even when the compare fails, as the locked read-modify-write
 * of real CPUs does (SDM Vol. 2 CMPXCHG: "the destination operand is written back if the comparison
 * fails"), so a read-only page faults either way.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { raise, Vec } from './fault.js';
import { LfOp, setArithFlags, testCC, ZF } from './flags.js';
import { def } from './handlers.js';
import { offAdd, readDst, readSrc, srcSeg, writeDst } from './exec-ops.js';

def(Mn.MOV, (cpu, i) => {
  const size = i.s0;
  const k0 = i.k0;
  if (k0 === OpKind.Reg && size === 4) {
    const k = i.k1;
    cpu.regs[i.v0] = k === OpKind.Reg ? cpu.regs[i.v1] : k === OpKind.Imm ? i.v1 : readSrc(cpu, i, 4);
    return;
  }
  const v = readSrc(cpu, i, size);
  if (k0 === OpKind.Reg) cpu.setReg(i.v0, size, v);
  else if (k0 === OpKind.Mem) cpu.writeMem(i.seg, cpu.ea(i), size, v);
  else cpu.writeOp(i, 0, v); // moffs
});

def(Mn.MOVZX, (cpu, i) => {
  cpu.setReg(i.v0, i.s0, readSrc(cpu, i, i.s1));
});

def(Mn.MOVSX, (cpu, i) => {
  const sh = (4 - i.s1) << 3;
  cpu.setReg(i.v0, i.s0, (readSrc(cpu, i, i.s1) << sh) >> sh);
});

/** XCHG: either slot may hold the memory operand (87 /r is listed both ways in the SDM). */
def(Mn.XCHG, (cpu, i) => {
  const size = i.s0;
  if (i.k1 === OpKind.Mem) {
    const m = cpu.ea(i);
    const mv = cpu.readMem(i.seg, m, size);
    const rv = cpu.getReg(i.v0, size);
    cpu.writeMem(i.seg, m, size, rv);
    cpu.setReg(i.v0, size, mv);
    return;
  }
  const a = readDst(cpu, i, size);
  const b = cpu.getReg(i.v1, size);
  writeDst(cpu, i, size, b);
  cpu.setReg(i.v1, size, a);
});

/** XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so XADD r, r with one register keeps TEMP). */
def(Mn.XADD, (cpu, i) => {
  const size = i.s0, sh = (4 - size) << 3;
  const d = (readDst(cpu, i, size) << sh) >> sh;
  const s = (cpu.getReg(i.v1, size) << sh) >> sh;
  const r = ((d + s) << sh) >> sh;
  if (i.k0 === OpKind.Reg) {
    cpu.setReg(i.v1, size, d);
    cpu.setReg(i.v0, size, r);
  } else {
    writeDst(cpu, i, size, r);
    cpu.setReg(i.v1, size, d);
  }
  const lf = cpu.lf;
  lf.op = LfOp.ADD;
  lf.res = r;
  lf.a = d;
  lf.b = s;
});

def(Mn.CMPXCHG, (cpu, i) => {
  const size = i.s0, sh = (4 - size) << 3;
  const d = (readDst(cpu, i, size) << sh) >> sh;
  const acc = (cpu.getReg(0, size) << sh) >> sh;
  if (acc === d) writeDst(cpu, i, size, cpu.getReg(i.v1, size));
  else {
    if (i.k0 !== OpKind.Reg) writeDst(cpu, i, size, d);
    cpu.setReg(0, size, d);
  }
  const lf = cpu.lf;
  lf.op = LfOp.SUB;
  lf.res = ((acc - d) << sh) >> sh;
  lf.a = acc;
  lf.b = d;
});

/** CMPXCHG8B m64: compare EDX:EAX with m64; equal: m64 = ECX:EBX, ZF = 1; else EDX:EAX = m64. */
def(Mn.CMPXCHG8B, (cpu, i) => {
  if (i.k0 !== OpKind.Mem) raise(cpu, Vec.UD);
  const r = cpu.regs;
  const off = cpu.ea(i);
  const hiOff = offAdd(i, off, 4);
  const lo = cpu.readMem(i.seg, off, 4);
  const hi = cpu.readMem(i.seg, hiOff, 4);
  // Both halves are written whatever the outcome: check the whole quadword first so a fault on
  // the second half cannot leave the first one written.
  if (hiOff === ((off + 4) | 0)) cpu.mmu.probeWrite(cpu.lin(i.seg, off, 8), 8);
  if (lo === r[0] && hi === r[2]) {
    cpu.writeMem(i.seg, off, 4, r[3]);
    cpu.writeMem(i.seg, hiOff, 4, r[1]);
    setArithFlags(cpu, ZF, ZF);
  } else {
    cpu.writeMem(i.seg, off, 4, lo);
    cpu.writeMem(i.seg, hiOff, 4, hi);
    r[0] = lo;
    r[2] = hi;
    setArithFlags(cpu, ZF, 0);
  }
});

/** LEA: the offset computed at the address size, then truncated/zero-extended to the operand size. */
def(Mn.LEA, (cpu, i) => {
  if (i.k1 !== OpKind.Mem) raise(cpu, Vec.UD);
  cpu.setReg(i.v0, i.s0, cpu.ea(i));
});

/** CBW (osize 2) / CWDE (osize 4). */
def(Mn.CBW, (cpu, i) => {
  const r = cpu.regs;
  if (i.osize === 2) cpu.setReg(0, 2, (r[0] << 24) >> 24);
  else r[0] = (r[0] << 16) >> 16;
});

/** CWD (osize 2) / CDQ (osize 4). */
def(Mn.CWD, (cpu, i) => {
  const r = cpu.regs;
  if (i.osize === 2) cpu.setReg(2, 2, (r[0] << 16) >> 31);
  else r[2] = r[0] >> 31;
});

/** XLAT: AL = [seg:(E)BX + AL], DS unless overridden. */
def(Mn.XLAT, (cpu, i) => {
  const r = cpu.regs;
  const off = offAdd(i, r[3], r[0] & 0xff);
  cpu.setReg(0, 1, cpu.readMem(srcSeg(i), off, 1));
});

/** CMOVcc reads its source whatever the condition (a memory source can fault either way). */
def(Mn.CMOVcc, (cpu, i) => {
  const size = i.s0;
  const v = readSrc(cpu, i, size);
  if (testCC(cpu, i.cc)) cpu.setReg(i.v0, size, v);
});

def(Mn.SETcc, (cpu, i: Insn) => {
  const v = testCC(cpu, i.cc) ? 1 : 0;
  if (i.k0 === OpKind.Reg) cpu.setReg(i.v0, 1, v);
  else cpu.writeMem(i.seg, cpu.ea(i), 1, v);
});
