/**
 * Delivery of exceptions and interrupts. SKELETON VERSION (real mode only); the system owner
 * implements protected mode (interrupt/trap/task gates, privilege changes, #DF, triple fault).
 */
import type { Cpu } from '../cpu.js';
import { Seg } from '../../frontend/insn.js';
import { ExitReason } from '../../hv/exit.js';
import { getEflags } from '../flags.js';
import { EF } from '../state.js';

/** What caused a delivery (SDM Vol. 3 §6.4). */
export const IntKind = { Exception: 0, External: 1, Software: 2 } as const;

/** Deliver the exception stored in cpu.excVector/excCode (EIP already rewound to the fault). */
export function deliverException(cpu: Cpu): void {
  deliverInterrupt(cpu, cpu.excVector, IntKind.Exception, cpu.excHasCode, cpu.excCode);
}

export function deliverInterrupt(cpu: Cpu, vector: number, kind: number, hasCode: boolean, code: number): void {
  void kind; void hasCode; void code;
  if ((cpu.cr0 & 1) === 0) {
    // Real mode: IVT at idtBase, 4 bytes per vector (SDM Vol. 3 §20.1.4).
    if (vector * 4 + 3 > cpu.idtLimit) {
      cpu.exit.reason = ExitReason.TripleFault;
      cpu.hv.handleExit(cpu.exit);
      return;
    }
    const ent = cpu.mmu.sysRead32((cpu.idtBase + vector * 4) | 0);
    cpu.push16(getEflags(cpu));
    cpu.push16(cpu.segSel[Seg.CS]);
    cpu.push16(cpu.eip);
    cpu.eflags &= ~(EF.IF | EF.TF | EF.AC | EF.RF);
    cpu.loadSegReal(Seg.CS, ent >>> 16);
    cpu.eip = ent & 0xffff;
    return;
  }
  throw new Error(`protected-mode interrupt delivery not implemented (vector ${vector})`);
}
