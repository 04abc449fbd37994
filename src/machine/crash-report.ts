/**
 * A readable report of the guest CPU for emulator errors and guest triple faults: registers,
 * segments, control registers, the last blocks executed and the bytes (and disassembly, when the
 * frontend can decode them) at EIP.
 */
import type { Cpu } from '../cpu/cpu.js';
import { getEflags } from '../cpu/flags.js';

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];

export function hex32(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}

/** One instruction's text at a linear address, or null when it cannot be read/decoded. */
export type Disassembler = (cpu: Cpu, linear: number) => { bytes: number[]; text: string } | null;

export function formatCpuState(cpu: Cpu): string[] {
  const lines: string[] = [];
  const r = cpu.regs;
  lines.push(REG_NAMES.slice(0, 4).map((n, k) => `${n}=${hex32(r[k])}`).join(' '));
  lines.push(REG_NAMES.slice(4).map((n, k) => `${n}=${hex32(r[k + 4])}`).join(' '));
  let eflags = 0;
  try {
    eflags = getEflags(cpu);
  } catch {
    /* flags unreadable: report 0 */
  }
  lines.push(`eip=${hex32(cpu.eip)} eflags=${hex32(eflags)} cpl=${cpu.cpl} ${cpu.cr0 & 1 ? (cpu.code32 ? 'protected 32-bit' : 'protected 16-bit') : 'real mode'}${cpu.halted ? ' halted' : ''}`);
  for (let s = 0; s < 6; s++) {
    lines.push(`${SEG_NAMES[s]}=${(cpu.segSel[s] & 0xffff).toString(16).padStart(4, '0')} base=${hex32(cpu.segBase[s])} limit=${hex32(cpu.segLimit[s])} attr=${(cpu.segAttr[s] & 0xffff).toString(16).padStart(4, '0')}`);
  }
  lines.push(`cr0=${hex32(cpu.cr0)} cr2=${hex32(cpu.cr2)} cr3=${hex32(cpu.cr3)} cr4=${hex32(cpu.cr4)}`);
  lines.push(`gdt=${hex32(cpu.gdtBase)}/${cpu.gdtLimit.toString(16)} idt=${hex32(cpu.idtBase)}/${cpu.idtLimit.toString(16)} tr=${(cpu.trSel & 0xffff).toString(16)} ldtr=${(cpu.ldtSel & 0xffff).toString(16)}`);
  lines.push(`instructions retired: ${cpu.icount}`);
  return lines;
}

export function formatCrashReport(cpu: Cpu, title: string, disasm?: Disassembler): string {
  const lines = [`x86jit: ${title}`, '--- guest CPU state ---', ...formatCpuState(cpu)];
  const trail: string[] = [];
  for (let k = 1; k <= 16; k++) {
    const v = cpu.trail[(cpu.trailPos - k) & 63];
    if (v !== 0) trail.push(hex32(v));
  }
  if (trail.length) lines.push(`last blocks (newest first): ${trail.join(' ')}`);
  const at = (cpu.segBase[1] + cpu.insnEip) | 0;
  lines.push(`--- code at cs:${hex32(cpu.insnEip)} (linear ${hex32(at)}) ---`);
  let addr = at;
  for (let n = 0; n < 6; n++) {
    const d = disasm ? safe(() => disasm(cpu, addr)) : null;
    if (d) {
      lines.push(`${hex32(addr)}: ${d.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ').padEnd(24)} ${d.text}`);
      addr = (addr + d.bytes.length) | 0;
    } else {
      const bytes: string[] = [];
      for (let k = 0; k < 16; k++) {
        const b = safe(() => cpu.mmu.fetch8((addr + k) | 0));
        bytes.push(b === null ? '??' : b.toString(16).padStart(2, '0'));
      }
      lines.push(`${hex32(addr)}: ${bytes.join(' ')}`);
      break;
    }
  }
  return lines.join('\n');
}

function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}
