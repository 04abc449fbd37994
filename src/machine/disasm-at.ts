/**
 * Disassemble one guest instruction at a linear address for reports and traces, through the one
 * table (decoder + disassembler of src/frontend).
 */
import type { Cpu } from '../cpu/cpu.js';
import { decode } from '../frontend/decoder.js';
import { Insn } from '../frontend/insn.js';
import * as disasm from '../frontend/disasm.js';

const scratch = new Insn();

export function disassembleAt(cpu: Cpu, linear: number): { bytes: number[]; text: string } | null {
  decode(scratch, cpu.mmu, linear, cpu.code32);
  if (scratch.len < 1 || scratch.len > 15) return null;
  const bytes: number[] = [];
  for (let k = 0; k < scratch.len; k++) bytes.push(cpu.mmu.fetch8((linear + k) | 0));
  const fmt = (disasm as unknown as { formatInsn?: (i: Insn, addr: number) => string }).formatInsn;
  return { bytes, text: fmt ? fmt(scratch, linear) : '(no disassembler)' };
}
