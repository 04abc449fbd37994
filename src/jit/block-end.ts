/**
 * Which instructions end a block, beyond the table's `blockEnd` (branches, far transfers, HLT...).
 *
 * The generated code bakes the CPU mode in (mode.ts) and checks interrupts only between blocks, so a
 * block must also end after any instruction that can:
 * - change a mode bit: segment loads (CS.D, SS.B, flat data segments, CPL), CR0/CR3/CR4 and DR
 *   writes, LMSW, CLTS, INVLPG (TLB contents the lookup relies on), descriptor-table loads;
 * - make an interrupt deliverable or start an interrupt shadow: STI, POPF, MOV SS / POP SS
 *   (SDM Vol. 3 §6.8.3), port I/O (a device may raise an IRQ), hypercalls, MSR writes.
 * The interpreter checks interrupts before every instruction; ending the block there makes the JIT
 * deliver them at the same instruction boundary.
 */
import { OpKind, type Insn } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';

const extraEnd = new Uint8Array(512);
for (const mn of [
  Mn.STI, Mn.CLI, Mn.POPF, Mn.IRET, Mn.MOVSEG, Mn.LDS, Mn.LES, Mn.LFS, Mn.LGS, Mn.LSS,
  Mn.MOVCR, Mn.MOVDR, Mn.LMSW, Mn.CLTS, Mn.INVLPG, Mn.LGDT, Mn.LIDT, Mn.LLDT, Mn.LTR,
  Mn.WRMSR, Mn.SYSENTER, Mn.SYSEXIT, Mn.HLT, Mn.IN, Mn.OUT, Mn.INS, Mn.OUTS, Mn.VMCALL,
  Mn.INT, Mn.INT3, Mn.INTO, Mn.INT1, Mn.JMPF, Mn.CALLF, Mn.RETF, Mn.RSM, Mn.UD2, Mn.INVALID,
  Mn.JMP, Mn.Jcc, Mn.JCXZ, Mn.LOOP, Mn.LOOPE, Mn.LOOPNE, Mn.CALL, Mn.RET, Mn.BOUND,
]) extraEnd[mn] = 1;

/** True when the block must end after `i`. */
export function endsBlock(i: Insn): boolean {
  if (i.entry !== null && i.entry.blockEnd) return true;
  if (extraEnd[i.mn] !== 0) return true;
  // POP SS / POP DS...: a segment load.
  return i.mn === Mn.POP && i.k0 === OpKind.Sreg;
}
