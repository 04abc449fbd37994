/**
 * Decimal adjust: DAA DAS AAA AAS AAM AAD, following the pseudo-code of SDM Vol. 2 word for word.
 *
 * Undefined flags: DAA/DAS OF = 0; AAA/AAS take SF/ZF/PF from the final AL and clear OF;
 * AAM: CF = OF = AF = 0 (it behaves as a logical op on AL); AAD sets all six as the 8-bit addition
 * AL + (AH * imm8) it performs.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { raise, Vec } from './fault.js';
import { AF, CF, getAF, getCF, LfOp, setResultFlags } from './flags.js';
import { def } from './handlers.js';

function daa(cpu: Cpu): void {
  const oldAl = cpu.regs[0] & 0xff;
  const oldCf = getCF(cpu);
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0xf) > 9 || getAF(cpu) !== 0) {
    al += 6;
    cf = oldCf | (al > 0xff ? 1 : 0);
    al &= 0xff;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf !== 0) {
    al = (al + 0x60) & 0xff;
    cf = 1;
  } else cf = 0;
  cpu.setReg(0, 1, al);
  setResultFlags(cpu, (al << 24) >> 24, cf | (af << 4));
}

function das(cpu: Cpu): void {
  const oldAl = cpu.regs[0] & 0xff;
  const oldCf = getCF(cpu);
  let al = oldAl, cf = 0, af = 0;
  if ((al & 0xf) > 9 || getAF(cpu) !== 0) {
    cf = oldCf | (al < 6 ? 1 : 0);
    al = (al - 6) & 0xff;
    af = 1;
  }
  if (oldAl > 0x99 || oldCf !== 0) {
    al = (al - 0x60) & 0xff;
    cf = 1;
  }
  cpu.setReg(0, 1, al);
  setResultFlags(cpu, (al << 24) >> 24, cf | (af << 4));
}

function aaa(cpu: Cpu): void {
  let ax = cpu.regs[0] & 0xffff;
  let f = 0;
  if ((ax & 0xf) > 9 || getAF(cpu) !== 0) {
    ax = (ax + 0x106) & 0xffff;
    f = AF | CF;
  }
  ax &= 0xff0f;
  cpu.setReg(0, 2, ax);
  setResultFlags(cpu, (ax << 24) >> 24, f);
}

function aas(cpu: Cpu): void {
  let ax = cpu.regs[0] & 0xffff;
  let f = 0;
  if ((ax & 0xf) > 9 || getAF(cpu) !== 0) {
    ax = (ax - 6) & 0xffff;
    ax = (ax - 0x100) & 0xffff; // AH <- AH - 1
    f = AF | CF;
  }
  ax &= 0xff0f;
  cpu.setReg(0, 2, ax);
  setResultFlags(cpu, (ax << 24) >> 24, f);
}

/** The imm8 base of AAM/AAD (10 when the decoder gives no operand). */
function base(i: Insn): number {
  return i.k0 === OpKind.Imm ? i.v0 & 0xff : 10;
}

function aam(cpu: Cpu, i: Insn): void {
  const b = base(i);
  if (b === 0) raise(cpu, Vec.DE);
  const al = cpu.regs[0] & 0xff;
  const q = (al / b) | 0;
  const r = al - q * b;
  cpu.setReg(0, 2, (q << 8) | r);
  const lf = cpu.lf;
  lf.op = LfOp.LOGIC;
  lf.res = (r << 24) >> 24;
}

function aad(cpu: Cpu, i: Insn): void {
  const al = cpu.regs[0] & 0xff;
  const ah = (cpu.regs[0] >> 8) & 0xff;
  const add = (ah * base(i)) & 0xff;
  const res = (al + add) & 0xff;
  cpu.setReg(0, 2, res);
  const lf = cpu.lf;
  lf.op = LfOp.ADD;
  lf.a = (al << 24) >> 24;
  lf.b = (add << 24) >> 24;
  lf.res = (res << 24) >> 24;
}

def(Mn.DAA, daa);
def(Mn.DAS, das);
def(Mn.AAA, aaa);
def(Mn.AAS, aas);
def(Mn.AAM, aam);
def(Mn.AAD, aad);
