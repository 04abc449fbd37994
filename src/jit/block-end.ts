/**
 * Which instructions end a translated block: the table says it (`Entry.unitEnd`: the `end` and
 * `stop` attributes of table-int.ts). Translated code bakes the CPU mode in (mode.ts) and checks
 * interrupts only between blocks, so besides control transfers a block ends after anything that
 * can change a mode bit (segment loads, CR/DR writes, INVLPG, descriptor-table loads), make an
 * interrupt deliverable or start an interrupt shadow (STI, CLI, POPF, MOV SS / POP SS: SDM Vol. 3
 * §6.8.3), or let a device raise an IRQ (port I/O, MSR writes, hypercalls). The interpreter checks
 * interrupts before every instruction; ending the block there delivers them at the same boundary.
 */
import type { Insn } from '../frontend/insn.js';

/** True when the block must end after `i`. */
export function endsBlock(i: Insn): boolean {
  return i.entry === null || i.entry.unitEnd;
}
