/**
 * Near control transfers: JMP Jcc JCXZ/JECXZ LOOP LOOPE LOOPNE CALL RET (SDM Vol. 2).
 *
 * Handlers run with EIP = the next instruction, so a relative target is EIP + rel. At operand size
 * 16 the target is truncated to 16 bits; a target beyond the CS limit raises #GP(0) before anything
 * changes (nearTarget). JCXZ and LOOP count with CX or ECX by the ADDRESS size.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind, Seg } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { getZF, testCC } from './flags.js';
import { def } from './handlers.js';
import { nearTarget, spAdd, spOff } from './exec-ops.js';

/** Absolute target of a near JMP/CALL: relative, or from a register/memory operand. */
function target(cpu: Cpu, i: Insn): number {
  const k = i.k0;
  if (k === OpKind.Rel) return (cpu.eip + i.v0) | 0;
  if (k === OpKind.Reg) return cpu.getReg(i.v0, i.osize);
  return cpu.readMem(i.seg, cpu.ea(i), i.osize);
}

def(Mn.JMP, (cpu, i) => {
  cpu.eip = nearTarget(cpu, target(cpu, i), i.osize);
});

def(Mn.Jcc, (cpu, i) => {
  if (testCC(cpu, i.cc)) cpu.eip = nearTarget(cpu, cpu.eip + i.v0, i.osize);
});

def(Mn.JCXZ, (cpu, i) => {
  const c = i.asize === 2 ? cpu.regs[1] & 0xffff : cpu.regs[1];
  if (c === 0) cpu.eip = nearTarget(cpu, cpu.eip + i.v0, i.osize);
});

/** LOOP/LOOPE/LOOPNE: decrement the count (no flags), branch while it is non-zero (and ZF = 1 / 0). */
function loop(cpu: Cpu, i: Insn, zf: number): void {
  const r = cpu.regs;
  const c = i.asize === 2 ? (r[1] - 1) & 0xffff : (r[1] - 1) | 0;
  const taken = c !== 0 && (zf < 0 || getZF(cpu) === zf);
  const t = taken ? nearTarget(cpu, cpu.eip + i.v0, i.osize) : 0;
  if (i.asize === 2) r[1] = (r[1] & ~0xffff) | c;
  else r[1] = c;
  if (taken) cpu.eip = t;
}

def(Mn.LOOP, (cpu, i) => loop(cpu, i, -1));
def(Mn.LOOPE, (cpu, i) => loop(cpu, i, 1));
def(Mn.LOOPNE, (cpu, i) => loop(cpu, i, 0));

/** CALL: the target is read and checked before the return address is pushed. */
def(Mn.CALL, (cpu, i) => {
  const t = nearTarget(cpu, target(cpu, i), i.osize);
  cpu.push(cpu.eip, i.osize);
  cpu.eip = t;
});

/** RET [imm16]: pop EIP, then release imm16 more bytes. */
def(Mn.RET, (cpu, i) => {
  const size = i.osize;
  const t = nearTarget(cpu, cpu.readMem(Seg.SS, spOff(cpu, 0), size), size);
  cpu.regs[4] = spAdd(cpu, size + (i.k0 === OpKind.Imm ? i.v0 & 0xffff : 0));
  cpu.eip = t;
});
