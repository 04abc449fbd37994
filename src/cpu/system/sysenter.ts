/**
 * SYSENTER / SYSEXIT (SDM Vol. 2B): fast transitions between CPL 3 and CPL 0 with flat segments
 * derived from IA32_SYSENTER_CS (CS = MSR, SS = MSR+8; SYSEXIT: CS = MSR+16, SS = MSR+24, RPL 3).
 * The descriptors are not read: the caches are loaded with the fixed flat values the SDM lists.
 */
import { Seg } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { raiseCode, Vec } from '../fault.js';
import { def } from '../handlers.js';
import { CR0, EF } from '../state.js';

/** Flat 4 GiB segments: G, D/B, P, S, type (SDM Vol. 2B SYSENTER operation). */
const ATTR_CODE0 = 0xc09b;
const ATTR_DATA0 = 0xc093;
const ATTR_CODE3 = 0xc0fb;
const ATTR_DATA3 = 0xc0f3;

function setFlat(cpu: Cpu, seg: number, sel: number, attr: number): void {
  cpu.segSel[seg] = sel;
  cpu.segBase[seg] = 0;
  cpu.segLimit[seg] = -1;
  cpu.segAttr[seg] = attr;
}

def(Mn.SYSENTER, (cpu: Cpu) => {
  const cs = cpu.sysenterCs & 0xfffc;
  if ((cpu.cr0 & CR0.PE) === 0 || cs === 0) raiseCode(cpu, Vec.GP, 0);
  cpu.eflags &= ~(EF.VM | EF.IF | EF.RF);
  setFlat(cpu, Seg.CS, cs, ATTR_CODE0);
  setFlat(cpu, Seg.SS, (cs + 8) & 0xfffc, ATTR_DATA0);
  cpu.cpl = 0;
  cpu.code32 = true;
  cpu.stack32 = true;
  cpu.regs[4] = cpu.sysenterEsp;
  cpu.eip = cpu.sysenterEip;
});

def(Mn.SYSEXIT, (cpu: Cpu) => {
  const cs = cpu.sysenterCs & 0xfffc;
  if ((cpu.cr0 & CR0.PE) === 0 || (cpu.eflags & EF.VM) !== 0 || cpu.cpl !== 0 || cs === 0) raiseCode(cpu, Vec.GP, 0);
  setFlat(cpu, Seg.CS, ((cs + 16) & 0xfffc) | 3, ATTR_CODE3);
  setFlat(cpu, Seg.SS, ((cs + 24) & 0xfffc) | 3, ATTR_DATA3);
  cpu.cpl = 3;
  cpu.code32 = true;
  cpu.stack32 = true;
  cpu.regs[4] = cpu.regs[1];
  cpu.eip = cpu.regs[2];
});
