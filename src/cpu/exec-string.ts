/**
 * INS and OUTS with REP (SDM Vol. 2, and Vol. 1 §7.3.9): the string instructions that do I/O. The
 * others (MOVS STOS LODS CMPS SCAS) are semantic templates (sem/string.ts), whose conventions these
 * follow: element size = Insn.osize; the address size picks SI/DI/CX or ESI/EDI/ECX; DF picks the
 * direction; REP commits the registers after every element (a fault restarts the instruction with
 * the remaining work) and yields after REP_CHUNK elements so interrupts can be taken; F2 acts as REP.
 */
import type { Insn } from '../frontend/insn.js';
import { Rep, Seg } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { def } from './handlers.js';
import { EF } from './state.js';
import { srcSeg } from './exec-ops.js';
import { checkIoPermission } from './system/io.js';
import { REP_CHUNK } from './sem/string.js';

const ESI = 6, EDI = 7, ECX = 1;

/** Offset held in index register `reg` at the address size. */
function at(r: Int32Array, reg: number, a16: boolean): number {
  return a16 ? r[reg] & 0xffff : r[reg];
}

/** Advance register `reg` (ESI/EDI/ECX) by `d`, wrapping SI/DI/CX at 16 bits for 16-bit addressing. */
function advance(r: Int32Array, reg: number, d: number, a16: boolean): void {
  r[reg] = a16 ? (r[reg] & ~0xffff) | ((r[reg] + d) & 0xffff) : (r[reg] + d) | 0;
}

/** Step direction and size: -size when DF is set. */
function delta(cpu: Cpu, size: number): number {
  return (cpu.eflags & EF.DF) !== 0 ? -size : size;
}

/** Head of each REP iteration: true when the instruction ends here, because the count is exhausted
 *  or (EIP rewound) REP_CHUNK elements are done. */
function repEnds(cpu: Cpu, r: Int32Array, a16: boolean, n: number): boolean {
  if ((a16 ? r[ECX] & 0xffff : r[ECX]) === 0) return true;
  if (n < REP_CHUNK) return false;
  cpu.eip = cpu.insnEip;
  return true;
}

/** Tail of an element: true without REP, else ECX counts down. */
function lastElement(r: Int32Array, rep: boolean, a16: boolean): boolean {
  if (!rep) return true;
  advance(r, ECX, -1, a16);
  return false;
}

/**
 * INS (`input`: port DX -> ES:(E)DI) and OUTS (DS or the override:(E)SI -> port DX). The I/O
 * permission check (IOPL / TSS bitmap) comes first.
 */
function portString(cpu: Cpu, i: Insn, input: boolean): void {
  const size = i.osize, a16 = i.asize === 2, seg = srcSeg(i), d = delta(cpu, size);
  const r = cpu.regs;
  const rep = i.rep !== Rep.None;
  const port = r[2] & 0xffff;
  checkIoPermission(cpu, port, size);
  for (let n = 0; ; n++) {
    if (rep && repEnds(cpu, r, a16, n)) return;
    if (input) {
      cpu.writeMem(Seg.ES, at(r, EDI, a16), size, cpu.ioIn(port, size));
      advance(r, EDI, d, a16);
    } else {
      cpu.ioOut(port, size, cpu.readMem(seg, at(r, ESI, a16), size));
      advance(r, ESI, d, a16);
    }
    if (lastElement(r, rep, a16)) return;
  }
}

def(Mn.INS, (cpu, i: Insn) => portString(cpu, i, true));
def(Mn.OUTS, (cpu, i: Insn) => portString(cpu, i, false));
