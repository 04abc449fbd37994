/**
 * The interpreter's dispatch table: one handler per mnemonic id (mnemonics.ts), indexed by
 * `Insn.mn`. Each src/cpu/exec-*.ts, src/cpu/system/*.ts and src/cpu/fpu/*.ts module registers the
 * handlers of its mnemonics with `def` when imported (cpu.ts imports them all).
 *
 * Handler contract: called after EIP was advanced past the instruction (so EIP = next instruction,
 * `cpu.insnEip` = this one). A handler that faults calls raise()/raiseCode() before changing any
 * architectural state the fault must not see (precise exceptions, SDM Vol. 3 §6.5).
 */
import { MNEMONIC_COUNT, mnemonicName } from '../frontend/mnemonics.js';
import type { Insn } from '../frontend/insn.js';
import type { Cpu } from './cpu.js';
import { raise, Vec } from './fault.js';

export type Handler = (cpu: Cpu, i: Insn) => void;

function unimplemented(cpu: Cpu, i: Insn): void {
  cpu.unimplemented(mnemonicName[i.mn]);
  raise(cpu, Vec.UD);
}

export const handlers: Handler[] = new Array<Handler>(MNEMONIC_COUNT).fill(unimplemented);

export function def(mn: number, h: Handler): void {
  handlers[mn] = h;
}

export function isImplemented(mn: number): boolean {
  return handlers[mn] !== unimplemented;
}
