/**
 * Bit instructions: BT BTS BTR BTC, BSF BSR, BSWAP (SDM Vol. 2).
 *
 * BTx with a memory operand and a REGISTER bit offset address outside the operand: the offset is
 * signed, the operand moves by (offset >> 5) * 4 bytes (16-bit: (offset >> 4) * 2) and the bit
 * index is offset mod 32 (16); with an immediate offset only the low 5 (4) bits count. CF = the
 * selected bit; ZF is unchanged; OF/SF/AF/PF are undefined and left unchanged here.
 * BSF/BSR: a zero source sets ZF and leaves the destination unchanged; the other flags are
 * undefined and left unchanged. BSWAP of a 16-bit register (undefined) clears it, as Intel CPUs do.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { setArithFlags, setCF, ZF } from './flags.js';
import { def } from './handlers.js';
import { offAdd, readSrc } from './exec-ops.js';

const BT = 0, BTS = 1, BTR = 2, BTC = 3;

function bitOp(cpu: Cpu, i: Insn, kind: number): void {
  const size = i.s0, bits = size << 3;
  const off = readSrc(cpu, i, size);
  let bit: number, x: number;
  if (i.k0 === OpKind.Reg) {
    bit = off & (bits - 1);
    x = cpu.getReg(i.v0, size);
    if (kind !== BT) cpu.setReg(i.v0, size, kind === BTS ? x | (1 << bit) : kind === BTR ? x & ~(1 << bit) : x ^ (1 << bit));
  } else {
    let ea = cpu.ea(i);
    if (i.k1 === OpKind.Imm) bit = off & (bits - 1);
    else {
      const so = size === 2 ? (off << 16) >> 16 : off | 0;
      ea = offAdd(i, ea, size === 2 ? (so >> 4) << 1 : (so >> 5) << 2);
      bit = so & (bits - 1);
    }
    x = cpu.readMem(i.seg, ea, size);
    if (kind !== BT) cpu.writeMem(i.seg, ea, size, kind === BTS ? x | (1 << bit) : kind === BTR ? x & ~(1 << bit) : x ^ (1 << bit));
  }
  setCF(cpu, (x >>> bit) & 1);
}

def(Mn.BT, (cpu, i) => bitOp(cpu, i, BT));
def(Mn.BTS, (cpu, i) => bitOp(cpu, i, BTS));
def(Mn.BTR, (cpu, i) => bitOp(cpu, i, BTR));
def(Mn.BTC, (cpu, i) => bitOp(cpu, i, BTC));

def(Mn.BSF, (cpu, i) => {
  const size = i.s0;
  const s = readSrc(cpu, i, size);
  if (s === 0) {
    setArithFlags(cpu, ZF, ZF);
    return;
  }
  cpu.setReg(i.v0, size, 31 - Math.clz32(s & -s));
  setArithFlags(cpu, ZF, 0);
});

def(Mn.BSR, (cpu, i) => {
  const size = i.s0;
  const s = readSrc(cpu, i, size);
  if (s === 0) {
    setArithFlags(cpu, ZF, ZF);
    return;
  }
  cpu.setReg(i.v0, size, 31 - Math.clz32(s));
  setArithFlags(cpu, ZF, 0);
});

def(Mn.BSWAP, (cpu, i) => {
  const r = i.v0;
  if (i.s0 === 2) {
    cpu.setReg(r, 2, 0);
    return;
  }
  const x = cpu.regs[r];
  cpu.regs[r] = (x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
});
