/**
 * Disassemble one guest instruction at a linear address for reports and traces, through the one
 * table (decoder + disassembler of src/frontend).
 */
import type { Cpu } from '../cpu/cpu.js';
import { decode } from '../frontend/decoder.js';
import { Insn } from '../frontend/insn.js';
import { formatInsn } from '../frontend/disasm.js';

const scratch = new Insn();

export function disassembleAt(cpu: Cpu, linear: number): { bytes: number[]; text: string } | null {
  decode(scratch, cpu.mmu, linear, cpu.code32);
  if (scratch.len < 1 || scratch.len > 15) return null;
  const bytes: number[] = [];
  for (let k = 0; k < scratch.len; k++) bytes.push(cpu.mmu.fetch8((linear + k) | 0));
  return { bytes, text: formatInsn(scratch, linear, cpu.code32) };
}
