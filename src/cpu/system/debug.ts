/**
 * Debug exceptions the run loop raises around instructions (SDM Vol. 3 §17.2-17.3):
 *
 *  - instruction breakpoints: DR0-DR3 enabled in DR7 (L/G bits) with R/W = 00 fire as a fault
 *    before the instruction at that linear address executes, unless EFLAGS.RF = 1 (§17.3.1.1);
 *    DR6.B0-B3 report which matched. The handler returns with RF = 1 to step over it, so the run
 *    loop must clear RF after every instruction that completes (except IRET, which loads it).
 *  - single step: see singleStepTrap in interrupts.ts.
 *
 * Intended use in the run loop, before step():
 *   if ((cpu.dr[7] & 0xff) !== 0 && instructionBreakpoint(cpu)) continue;
 * and after it: if RF was set before the instruction (and it was not IRET), clear RF.
 */
import { Seg } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { Vec } from '../fault.js';
import { EF } from '../state.js';
import { deliverInterrupt, IntKind } from './interrupts.js';

/**
 * If an enabled execute breakpoint matches CS:EIP (and RF is clear), deliver #DB as a fault (EIP
 * stays at the instruction) and return true.
 */
export function instructionBreakpoint(cpu: Cpu): boolean {
  const dr7 = cpu.dr[7];
  if ((cpu.eflags & EF.RF) !== 0) return false;
  const lin = (cpu.segBase[Seg.CS] + cpu.eip) | 0;
  let hit = 0;
  for (let n = 0; n < 4; n++) {
    if (((dr7 >> (2 * n)) & 3) === 0) continue; // Ln/Gn
    if (((dr7 >>> (16 + 4 * n)) & 3) !== 0) continue; // R/Wn = 00: instruction execution
    if (cpu.dr[n] === lin) hit |= 1 << n;
  }
  if (hit === 0) return false;
  cpu.dr[6] = (cpu.dr[6] & ~0xf) | hit;
  cpu.insnEip = cpu.eip;
  deliverInterrupt(cpu, Vec.DB, IntKind.Exception, false, 0);
  return true;
}
