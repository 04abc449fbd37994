/**
 * INT n, INT3, INTO and INT1 (ICEBP), SDM Vol. 2 INT n/INTO/INT3/INT1. EIP has already advanced,
 * so the frame returns after the instruction (these are traps). In virtual-8086 mode without VME,
 * INT n with IOPL < 3 raises #GP(0) (SDM Vol. 3 §20.2.7); INT3/INTO are not IOPL-sensitive.
 */
import { Mn } from '../../frontend/mnemonics.js';
import type { Insn } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { raiseCode, Vec } from '../fault.js';
import { getEflags } from '../flags.js';
import { def } from '../handlers.js';
import { EF } from '../state.js';
import { deliverInterrupt, IntKind } from './interrupts.js';

def(Mn.INT, (cpu: Cpu, i: Insn) => {
  if ((cpu.eflags & EF.VM) !== 0 && ((cpu.eflags >> EF.IOPL_SHIFT) & 3) !== 3) raiseCode(cpu, Vec.GP, 0);
  deliverInterrupt(cpu, i.v0 & 0xff, IntKind.Software, false, 0);
});

def(Mn.INT3, (cpu: Cpu) => deliverInterrupt(cpu, Vec.BP, IntKind.Software, false, 0));

def(Mn.INTO, (cpu: Cpu) => {
  if ((getEflags(cpu) & EF.OF) !== 0) deliverInterrupt(cpu, Vec.OF, IntKind.Software, false, 0);
});

def(Mn.INT1, (cpu: Cpu) => deliverInterrupt(cpu, Vec.DB, IntKind.Icebp, false, 0));
