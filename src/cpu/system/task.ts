/**
 * Hardware task switching (SDM Vol. 3 §7.3): through JMP/CALL to a TSS or task gate, an interrupt
 * or exception through a task gate, and IRET with EFLAGS.NT (return to the back-linked task).
 * 32-bit TSS (type 9/11) and 16-bit TSS (type 1/3).
 *
 * Order of the work: every check that must fault in the old task's context comes first (new TSS
 * descriptor, its limit, busy state, reading the whole new state); then the old state is saved,
 * busy bits and the back link are updated, TR and the registers are loaded; the segment descriptor
 * checks that follow fault in the new task's context (#TS with the offending selector).
 */
import { Seg } from '../../frontend/insn.js';
import type { Cpu } from '../cpu.js';
import { raiseCode, Vec } from '../fault.js';
import { getEflags, setEflags } from '../flags.js';
import { CR0, EF } from '../state.js';
import { Desc, DescType, readDesc, setAccessed, setTssBusy } from './descriptors.js';
import { loadSegRealMode, setCs, setNullSeg, setSegFromDesc } from './segments.js';

export const TaskReason = { Jmp: 0, Call: 1, Iret: 2, Int: 3 } as const;

const newTss = new Desc();
const oldTss = new Desc();
const segDesc = new Desc();
/** The incoming task's state, read before anything is written. */
const inRegs = new Int32Array(8);
const inSegs = new Int32Array(6);

/**
 * Switch to the task whose TSS selector is `sel` (descriptor already read into `d` by the caller,
 * or read here when `d` is null). `hasCode`/`code`: error code of an exception delivered through a
 * task gate, pushed on the new task's stack.
 */
export function taskSwitch(cpu: Cpu, sel: number, d: Desc | null, reason: number, hasCode: boolean, code: number, ext: number): void {
  const nd = newTss;
  if (d === null) {
    if ((sel & 4) !== 0 || !readDesc(cpu, sel, nd)) raiseCode(cpu, Vec.TS, (sel & 0xfffc) | ext);
  } else nd.copyFrom(d);
  const type = nd.type;
  const is32 = (type & 8) !== 0;
  if (!nd.isCodeData && (type & 7) !== 1 && (type & 7) !== 3) raiseCode(cpu, Vec.GP, (sel & 0xfffc) | ext);
  if (nd.isCodeData) raiseCode(cpu, Vec.GP, (sel & 0xfffc) | ext);
  const busy = (type & 2) !== 0;
  if (reason === TaskReason.Iret) {
    if (!busy) raiseCode(cpu, Vec.TS, (sel & 0xfffc) | ext);
  } else if (busy) raiseCode(cpu, Vec.GP, (sel & 0xfffc) | ext);
  if (!nd.present) raiseCode(cpu, Vec.NP, (sel & 0xfffc) | ext);
  if ((nd.limit >>> 0) < (is32 ? 0x67 : 0x2b)) raiseCode(cpu, Vec.TS, (sel & 0xfffc) | ext);

  // Read the incoming state (faults here are in the old task's context).
  const mmu = cpu.mmu;
  const nb = nd.base;
  let nEip: number, nFlags: number, nLdt: number, nCr3 = cpu.cr3;
  if (is32) {
    nCr3 = mmu.sysRead32((nb + 0x1c) | 0);
    nEip = mmu.sysRead32((nb + 0x20) | 0);
    nFlags = mmu.sysRead32((nb + 0x24) | 0);
    for (let r = 0; r < 8; r++) inRegs[r] = mmu.sysRead32((nb + 0x28 + 4 * r) | 0);
    for (let s = 0; s < 6; s++) inSegs[s] = mmu.sysRead16((nb + 0x48 + 4 * s) | 0);
    nLdt = mmu.sysRead16((nb + 0x60) | 0);
  } else {
    nEip = mmu.sysRead16((nb + 0x0e) | 0);
    nFlags = mmu.sysRead16((nb + 0x10) | 0);
    // The upper halves read as all-ones after a switch to a 16-bit task (as Bochs models the 386).
    for (let r = 0; r < 8; r++) inRegs[r] = mmu.sysRead16((nb + 0x12 + 2 * r) | 0) | 0xffff0000;
    for (let s = 0; s < 4; s++) inSegs[s] = mmu.sysRead16((nb + 0x22 + 2 * s) | 0);
    inSegs[Seg.FS] = inSegs[Seg.GS] = 0;
    nLdt = mmu.sysRead16((nb + 0x2a) | 0);
  }

  // Save the outgoing state into the current TSS.
  const ob = cpu.trBase;
  const old32 = (cpu.trAttr & 8) !== 0;
  let flags = getEflags(cpu);
  if (reason === TaskReason.Iret) flags &= ~EF.NT;
  if (old32) {
    mmu.sysWrite32((ob + 0x20) | 0, cpu.eip);
    mmu.sysWrite32((ob + 0x24) | 0, flags);
    for (let r = 0; r < 8; r++) mmu.sysWrite32((ob + 0x28 + 4 * r) | 0, cpu.regs[r]);
    for (let s = 0; s < 6; s++) mmu.sysWrite16((ob + 0x48 + 4 * s) | 0, cpu.segSel[s]);
  } else {
    mmu.sysWrite16((ob + 0x0e) | 0, cpu.eip);
    mmu.sysWrite16((ob + 0x10) | 0, flags);
    for (let r = 0; r < 8; r++) mmu.sysWrite16((ob + 0x12 + 2 * r) | 0, cpu.regs[r]);
    for (let s = 0; s < 4; s++) mmu.sysWrite16((ob + 0x22 + 2 * s) | 0, cpu.segSel[s]);
  }
  if (reason === TaskReason.Jmp || reason === TaskReason.Iret) {
    if (readDesc(cpu, cpu.trSel, oldTss)) setTssBusy(cpu, oldTss, false);
  }
  if (reason === TaskReason.Call || reason === TaskReason.Int) {
    mmu.sysWrite16(nb, cpu.trSel);
    nFlags |= EF.NT;
  }
  if (reason !== TaskReason.Iret) setTssBusy(cpu, nd, true);

  // Load TR and the new task's registers.
  cpu.trSel = sel & 0xffff;
  cpu.trBase = nd.base;
  cpu.trLimit = nd.limit;
  cpu.trAttr = nd.attr | 2;
  cpu.cr0 |= CR0.TS;
  if (is32 && (cpu.cr0 & CR0.PG) !== 0 && nCr3 !== cpu.cr3) {
    cpu.cr3 = nCr3;
    mmu.flush(false);
  } else if (is32) cpu.cr3 = nCr3;
  cpu.eip = nEip;
  setEflags(cpu, nFlags);
  for (let r = 0; r < 8; r++) cpu.regs[r] = inRegs[r];
  for (let s = 0; s < 6; s++) cpu.segSel[s] = inSegs[s];
  cpu.ldtSel = nLdt;

  loadTaskSegments(cpu, nLdt, ext);

  if (hasCode) cpu.push(code, is32 ? 4 : 2);
  if ((cpu.eip >>> 0) > (cpu.segLimit[Seg.CS] >>> 0)) raiseCode(cpu, Vec.GP, 0);
}

/** Load LDTR and the segment registers of the new task (faults are in its context). */
function loadTaskSegments(cpu: Cpu, ldtSel: number, ext: number): void {
  const d = segDesc;
  // LDTR (SDM Vol. 3 §7.3 step 11).
  if ((ldtSel & 0xfffc) === 0) {
    cpu.ldtSel = ldtSel;
    cpu.ldtBase = 0;
    cpu.ldtLimit = 0;
  } else {
    if ((ldtSel & 4) !== 0 || !readDesc(cpu, ldtSel, d) || d.isCodeData || d.type !== DescType.LDT) {
      cpu.ldtSel = 0;
      raiseCode(cpu, Vec.TS, (ldtSel & 0xfffc) | ext);
    }
    if (!d.present) raiseCode(cpu, Vec.TS, (ldtSel & 0xfffc) | ext);
    cpu.ldtBase = d.base;
    cpu.ldtLimit = d.limit;
  }

  if ((cpu.eflags & EF.VM) !== 0) {
    for (let s = 0; s < 6; s++) loadSegRealMode(cpu, s, cpu.segSel[s] & 0xffff);
    cpu.cpl = 3;
    cpu.stack32 = false;
    return;
  }

  // CS: the new CPL is its RPL.
  const cs = cpu.segSel[Seg.CS];
  if ((cs & 0xfffc) === 0 || !readDesc(cpu, cs, d) || !d.isCode) raiseCode(cpu, Vec.TS, (cs & 0xfffc) | ext);
  if (d.conforming ? d.dpl > (cs & 3) : d.dpl !== (cs & 3)) raiseCode(cpu, Vec.TS, (cs & 0xfffc) | ext);
  if (!d.present) raiseCode(cpu, Vec.NP, (cs & 0xfffc) | ext);
  setAccessed(cpu, d);
  setCs(cpu, cs, d, cs & 3);

  const ss = cpu.segSel[Seg.SS];
  if ((ss & 0xfffc) === 0 || !readDesc(cpu, ss, d)) raiseCode(cpu, Vec.TS, (ss & 0xfffc) | ext);
  if ((ss & 3) !== cpu.cpl || d.dpl !== cpu.cpl || !d.isData || !d.rw) raiseCode(cpu, Vec.TS, (ss & 0xfffc) | ext);
  if (!d.present) raiseCode(cpu, Vec.SS, (ss & 0xfffc) | ext);
  setAccessed(cpu, d);
  setSegFromDesc(cpu, Seg.SS, ss, d);

  for (let s = 0; s < 6; s++) {
    if (s === Seg.CS || s === Seg.SS) continue;
    const sel = cpu.segSel[s];
    if ((sel & 0xfffc) === 0) {
      setNullSeg(cpu, s, sel);
      continue;
    }
    if (!readDesc(cpu, sel, d) || !d.isCodeData || (d.isCode && !d.rw)) raiseCode(cpu, Vec.TS, (sel & 0xfffc) | ext);
    if (!d.conforming && (d.dpl < cpu.cpl || d.dpl < (sel & 3))) raiseCode(cpu, Vec.TS, (sel & 0xfffc) | ext);
    if (!d.present) raiseCode(cpu, Vec.NP, (sel & 0xfffc) | ext);
    setAccessed(cpu, d);
    setSegFromDesc(cpu, s, sel, d);
  }
}
