/**
 * Common checks of the SSE/SSE2 instructions (SDM Vol. 2A §2.5 and Vol. 3 §13.1, exception class
 * "Type 4/5" tables of each instruction): #UD when CR0.EM = 1 or CR4.OSFXSR = 0 (the OS has not
 * enabled SSE), then #NM when CR0.TS = 1 (lazy FPU/SSE context switch). #UD comes first (SDM Vol. 3
 * Table 6-2: instruction-decode faults have the same priority group, #UD listed before #NM).
 */
import type { Cpu } from '../cpu.js';
import { raise, raiseCode, Vec } from '../fault.js';
import { CR0, CR4 } from '../state.js';

export function sseEnter(cpu: Cpu): void {
  if ((cpu.cr0 & CR0.EM) !== 0 || (cpu.cr4 & CR4.OSFXSR) === 0) raise(cpu, Vec.UD);
  if ((cpu.cr0 & CR0.TS) !== 0) raise(cpu, Vec.NM);
}

/** #GP(0) unless the linear address of seg:off is 16-byte aligned (MOVAPS/MOVDQA... memory forms). */
export function checkAligned16(cpu: Cpu, seg: number, off: number): void {
  if ((((cpu.segBase[seg] + off) | 0) & 15) !== 0) raiseCode(cpu, Vec.GP, 0);
}
