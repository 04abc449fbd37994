/**
 * Integer ALU: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT (SDM Vol. 2).
 *
 * Operands are sign-extended from the operand size (`sh` = 24/16/0) so the lazy flags need no
 * size (flags.ts). Every handler reads, computes, writes the destination, and only then records
 * flags, so a fault on the write changes nothing (precise exceptions). The common 32-bit register-
 * destination forms take a short path first.
 */
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { getCF, LazyFlags, LfOp } from './flags.js';
import { def } from './handlers.js';
import type { Insn } from '../frontend/insn.js';
import { OpKind } from '../frontend/insn.js';
import { readDst, readSrc, writeDst } from './exec-ops.js';

function setLf(lf: LazyFlags, op: number, res: number, a: number, b: number): void {
  lf.op = op;
  lf.res = res;
  lf.a = a;
  lf.b = b;
}

/** Slot 1 at 32 bits, with the register and immediate cases inline (the 32-bit fast paths). */
function src32(cpu: Cpu, i: Insn): number {
  const k = i.k1;
  if (k === OpKind.Reg) return cpu.regs[i.v1];
  if (k === OpKind.Imm) return i.v1;
  return readSrc(cpu, i, 4);
}

function add(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Reg && i.s0 === 4) {
    const regs = cpu.regs;
    const b = src32(cpu, i);
    const a = regs[i.v0];
    const r = (a + b) | 0;
    regs[i.v0] = r;
    setLf(cpu.lf, LfOp.ADD, r, a, b);
    return;
  }
  const size = i.s0, sh = (4 - size) << 3;
  const b = (readSrc(cpu, i, size) << sh) >> sh;
  const a = (readDst(cpu, i, size) << sh) >> sh;
  const r = ((a + b) << sh) >> sh;
  writeDst(cpu, i, size, r);
  setLf(cpu.lf, LfOp.ADD, r, a, b);
}

function or(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Reg && i.s0 === 4) {
    const regs = cpu.regs;
    const b = src32(cpu, i);
    const a = regs[i.v0];
    const r = a | b;
    regs[i.v0] = r;
    setLf(cpu.lf, LfOp.LOGIC, r, 0, 0);
    return;
  }
  const size = i.s0, sh = (4 - size) << 3;
  const b = readSrc(cpu, i, size);
  const r = ((readDst(cpu, i, size) | b) << sh) >> sh;
  writeDst(cpu, i, size, r);
  setLf(cpu.lf, LfOp.LOGIC, r, 0, 0);
}

function adc(cpu: Cpu, i: Insn): void {
  const size = i.s0, sh = (4 - size) << 3;
  const cin = getCF(cpu);
  const b = (readSrc(cpu, i, size) << sh) >> sh;
  const a = (readDst(cpu, i, size) << sh) >> sh;
  const r = ((a + b + cin) << sh) >> sh;
  writeDst(cpu, i, size, r);
  cpu.eflags = (cpu.eflags & ~1) | cin;
  setLf(cpu.lf, LfOp.ADC, r, a, b);
}

function sbb(cpu: Cpu, i: Insn): void {
  const size = i.s0, sh = (4 - size) << 3;
  const cin = getCF(cpu);
  const b = (readSrc(cpu, i, size) << sh) >> sh;
  const a = (readDst(cpu, i, size) << sh) >> sh;
  const r = ((a - b - cin) << sh) >> sh;
  writeDst(cpu, i, size, r);
  cpu.eflags = (cpu.eflags & ~1) | cin;
  setLf(cpu.lf, LfOp.SBB, r, a, b);
}

function and(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Reg && i.s0 === 4) {
    const regs = cpu.regs;
    const b = src32(cpu, i);
    const a = regs[i.v0];
    const r = a & b;
    regs[i.v0] = r;
    setLf(cpu.lf, LfOp.LOGIC, r, 0, 0);
    return;
  }
  const size = i.s0, sh = (4 - size) << 3;
  const b = readSrc(cpu, i, size);
  const r = ((readDst(cpu, i, size) & b) << sh) >> sh;
  writeDst(cpu, i, size, r);
  setLf(cpu.lf, LfOp.LOGIC, r, 0, 0);
}

function sub(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Reg && i.s0 === 4) {
    const regs = cpu.regs;
    const b = src32(cpu, i);
    const a = regs[i.v0];
    const r = (a - b) | 0;
    regs[i.v0] = r;
    setLf(cpu.lf, LfOp.SUB, r, a, b);
    return;
  }
  const size = i.s0, sh = (4 - size) << 3;
  const b = (readSrc(cpu, i, size) << sh) >> sh;
  const a = (readDst(cpu, i, size) << sh) >> sh;
  const r = ((a - b) << sh) >> sh;
  writeDst(cpu, i, size, r);
  setLf(cpu.lf, LfOp.SUB, r, a, b);
}

function xor(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Reg && i.s0 === 4) {
    const regs = cpu.regs;
    const b = src32(cpu, i);
    const a = regs[i.v0];
    const r = a ^ b;
    regs[i.v0] = r;
    setLf(cpu.lf, LfOp.LOGIC, r, 0, 0);
    return;
  }
  const size = i.s0, sh = (4 - size) << 3;
  const b = readSrc(cpu, i, size);
  const r = ((readDst(cpu, i, size) ^ b) << sh) >> sh;
  writeDst(cpu, i, size, r);
  setLf(cpu.lf, LfOp.LOGIC, r, 0, 0);
}

function cmp(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Reg && i.s0 === 4) {
    const regs = cpu.regs;
    const b = src32(cpu, i);
    const a = regs[i.v0];
    setLf(cpu.lf, LfOp.SUB, (a - b) | 0, a, b);
    return;
  }
  const size = i.s0, sh = (4 - size) << 3;
  const b = (readSrc(cpu, i, size) << sh) >> sh;
  const a = (readDst(cpu, i, size) << sh) >> sh;
  setLf(cpu.lf, LfOp.SUB, ((a - b) << sh) >> sh, a, b);
}

function test(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Reg && i.s0 === 4) {
    const regs = cpu.regs;
    const b = src32(cpu, i);
    const a = regs[i.v0];
    setLf(cpu.lf, LfOp.LOGIC, a & b, 0, 0);
    return;
  }
  const size = i.s0, sh = (4 - size) << 3;
  const b = readSrc(cpu, i, size);
  setLf(cpu.lf, LfOp.LOGIC, ((readDst(cpu, i, size) & b) << sh) >> sh, 0, 0);
}

/** INC/DEC leave CF alone (SDM Vol. 2 INC): it is parked in eflags bit 0 for the lazy kinds. */
function inc(cpu: Cpu, i: Insn): void {
  const size = i.s0, sh = (4 - size) << 3;
  const cf = getCF(cpu);
  const a = (readDst(cpu, i, size) << sh) >> sh;
  const r = ((a + 1) << sh) >> sh;
  writeDst(cpu, i, size, r);
  cpu.eflags = (cpu.eflags & ~1) | cf;
  setLf(cpu.lf, LfOp.INC, r, a, 1);
}

function dec(cpu: Cpu, i: Insn): void {
  const size = i.s0, sh = (4 - size) << 3;
  const cf = getCF(cpu);
  const a = (readDst(cpu, i, size) << sh) >> sh;
  const r = ((a - 1) << sh) >> sh;
  writeDst(cpu, i, size, r);
  cpu.eflags = (cpu.eflags & ~1) | cf;
  setLf(cpu.lf, LfOp.DEC, r, a, 1);
}

/** NEG is 0 - x: CF = (x != 0), the SUB flags with a = 0 (SDM Vol. 2 NEG). */
function neg(cpu: Cpu, i: Insn): void {
  const size = i.s0, sh = (4 - size) << 3;
  const b = (readDst(cpu, i, size) << sh) >> sh;
  const r = (-b << sh) >> sh;
  writeDst(cpu, i, size, r);
  setLf(cpu.lf, LfOp.SUB, r, 0, b);
}

function not(cpu: Cpu, i: Insn): void {
  const size = i.s0;
  writeDst(cpu, i, size, ~readDst(cpu, i, size));
}

def(Mn.ADD, add);
def(Mn.OR, or);
def(Mn.ADC, adc);
def(Mn.SBB, sbb);
def(Mn.AND, and);
def(Mn.SUB, sub);
def(Mn.XOR, xor);
def(Mn.CMP, cmp);
def(Mn.TEST, test);
def(Mn.INC, inc);
def(Mn.DEC, dec);
def(Mn.NEG, neg);
def(Mn.NOT, not);
