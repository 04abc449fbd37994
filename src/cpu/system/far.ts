/**
 * Far control transfers: JMP far, CALL far, RET far, IRET (SDM Vol. 2 JMP/CALL/RET/IRET pseudocode,
 * Vol. 3 §5.8 privilege checks for control transfers, §7.3 task switches).
 *
 * Real mode and VM86: CS = selector << 4. Protected mode: direct transfers to conforming and
 * non-conforming code, call gates (same privilege and, for CALL, inner privilege with a stack switch
 * and parameter copy), TSS and task gates (task switch), returns to the same or an outer level.
 * Everything that can fault is checked, and every frame written, before any register changes.
 */
import { OpKind, Seg, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { raise, raiseCode, Vec } from '../fault.js';
import { getEflags, setEflags } from '../flags.js';
import { def } from '../handlers.js';
import { CR0, EF } from '../state.js';
import { Desc, DescType, readDescOrFault, setAccessed } from './descriptors.js';
import { loadTssStack, tssStackDesc, tssStackEsp, unblockNmi } from './interrupts.js';
import { isProtected, loadSegRealMode, nullInaccessibleDataSegs, setCs, setSegFromDesc } from './segments.js';
import { adjustSp, frame, peekStack } from './stack-frame.js';
import { TaskReason, taskSwitch } from './task.js';

const desc = new Desc();
const codeDesc = new Desc();
const ssDesc = new Desc();
/** Parameters copied through a call gate (at most 31). */
const params = new Int32Array(32);

/** Far pointer operand of JMPF/CALLF: sets farOff/farSel. */
let farOff = 0;
let farSel = 0;
function readFarPointer(cpu: Cpu, i: Insn): void {
  if (i.k0 === OpKind.Far) {
    farOff = i.osize === 4 ? i.v0 : i.v0 & 0xffff;
    farSel = i.farSel & 0xffff;
    return;
  }
  if (i.k0 !== OpKind.Mem) raise(cpu, Vec.UD);
  const off = cpu.ea(i);
  farOff = cpu.readMem(i.seg, off, i.osize);
  farSel = cpu.readMem(i.seg, i.asize === 2 ? (off + i.osize) & 0xffff : (off + i.osize) | 0, 2);
}

function checkCsLimit(cpu: Cpu, limit: number, eip: number): void {
  if ((eip >>> 0) > (limit >>> 0)) raiseCode(cpu, Vec.GP, 0);
}

/**
 * Protected-mode transfer to `off` in the code segment `c` (selector `sel`) at privilege `cpl`:
 * the limit check (#GP(0)), the accessed bit, then CS and EIP. Everything else that can fault must
 * have been checked before.
 */
function enterCode(cpu: Cpu, c: Desc, sel: number, cpl: number, off: number): void {
  checkCsLimit(cpu, c.limit, off);
  setAccessed(cpu, c);
  setCs(cpu, sel, c, cpl);
  cpu.eip = off;
}

/** Push the return address CS, EIP of a far CALL into `frame` (not yet committed to ESP). */
function pushReturnAddress(cpu: Cpu, size: number): void {
  frame.push(cpu, size, cpu.segSel[Seg.CS]);
  frame.push(cpu, size, cpu.eip);
}

/** Entry offset of the call gate read by the last gateTarget. */
let gateOff = 0;

/**
 * Checks of a call gate `g` (selector `sel`) used by a far JMP or CALL and of the code segment it
 * names (SDM Vol. 3 §5.8.4): reads that segment into codeDesc and the entry offset into gateOff. A
 * JMP may not change privilege (a non-conforming target needs DPL = CPL); a CALL may go inward
 * (DPL <= CPL).
 */
function gateTarget(cpu: Cpu, g: Desc, sel: number, jmp: boolean): Desc {
  const err = sel & 0xfffc;
  if (g.dpl < cpu.cpl || g.dpl < (sel & 3)) raiseCode(cpu, Vec.GP, err);
  if (!g.present) raiseCode(cpu, Vec.NP, err);
  const csel = g.gateSel;
  gateOff = g.type === DescType.CALL_GATE32 ? g.gateOffset : g.lo & 0xffff;
  if ((csel & 0xfffc) === 0) raiseCode(cpu, Vec.GP, 0);
  const c = codeDesc;
  readDescOrFault(cpu, csel, c, Vec.GP);
  const badDpl = jmp && !c.conforming ? c.dpl !== cpu.cpl : c.dpl > cpu.cpl;
  if (!c.isCode || badDpl) raiseCode(cpu, Vec.GP, csel & 0xfffc);
  if (!c.present) raiseCode(cpu, Vec.NP, csel & 0xfffc);
  return c;
}

// ------------------------------------------------------------------------------------------ JMP, CALL

/**
 * JMP far and CALL far, one handler for both (registered directly, without a wrapper that V8 would
 * not inline). A CALL first pushes CS:EIP on the current stack (through a call gate to an inner
 * level: on the new one, see callGate); ESP changes only once nothing can fault any more.
 */
function farJmpCall(cpu: Cpu, i: Insn): void {
  const call = i.mn === Mn.CALLF;
  readFarPointer(cpu, i);
  const off = farOff;
  const sel = farSel;
  const size = i.osize;
  const f = frame;
  if (!isProtected(cpu)) {
    checkCsLimit(cpu, cpu.segLimit[Seg.CS], off);
    if (call) {
      f.fromCurrent(cpu, 0);
      pushReturnAddress(cpu, size);
      f.commitSp(cpu);
    }
    loadSegRealMode(cpu, Seg.CS, sel);
    cpu.eip = off;
    return;
  }
  if ((sel & 0xfffc) === 0) raiseCode(cpu, Vec.GP, 0);
  const d = desc;
  readDescOrFault(cpu, sel, d, Vec.GP);
  const err = sel & 0xfffc;
  if (d.isCode) {
    checkDirectCode(cpu, d, sel);
    if (call) {
      f.fromCurrent(cpu, 0);
      pushReturnAddress(cpu, size);
    }
    enterCode(cpu, d, sel, cpu.cpl, off); // ESP is not read by these steps: committed after
    if (call) f.commitSp(cpu);
    return;
  }
  if (d.isCodeData) raiseCode(cpu, Vec.GP, err);
  if (d.type === DescType.CALL_GATE16 || d.type === DescType.CALL_GATE32) {
    if (call) {
      callGate(cpu, d, sel);
      return;
    }
    const c = gateTarget(cpu, d, sel, true);
    enterCode(cpu, c, d.gateSel, cpu.cpl, gateOff);
  } else if (isTaskTarget(d.type)) transferToTask(cpu, d, sel, call ? TaskReason.Call : TaskReason.Jmp);
  else raiseCode(cpu, Vec.GP, err);
}

def(Mn.JMPF, farJmpCall);
def(Mn.CALLF, farJmpCall);

/** System descriptor types a far JMP/CALL switches tasks through: a TSS (available or busy) or a task gate. */
function isTaskTarget(type: number): boolean {
  return type === DescType.TASK_GATE || type === DescType.TSS16_AVAIL || type === DescType.TSS32_AVAIL ||
    type === DescType.TSS16_BUSY || type === DescType.TSS32_BUSY;
}

/** Privilege checks of a direct JMP/CALL to a code segment (SDM Vol. 3 §5.8.1). */
function checkDirectCode(cpu: Cpu, d: Desc, sel: number): void {
  if (d.conforming) {
    if (d.dpl > cpu.cpl) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  } else if ((sel & 3) > cpu.cpl || d.dpl !== cpu.cpl) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  if (!d.present) raiseCode(cpu, Vec.NP, sel & 0xfffc);
}

/** JMP/CALL to a TSS or task gate (SDM Vol. 3 §7.3). */
function transferToTask(cpu: Cpu, d: Desc, sel: number, reason: number): void {
  const err = sel & 0xfffc;
  if (d.dpl < cpu.cpl || d.dpl < (sel & 3)) raiseCode(cpu, Vec.GP, err);
  if (d.type === DescType.TASK_GATE) {
    if (!d.present) raiseCode(cpu, Vec.NP, err);
    const tsel = d.gateSel;
    if ((tsel & 4) !== 0) raiseCode(cpu, Vec.GP, tsel & 0xfffc);
    taskSwitch(cpu, tsel, null, reason, false, 0, 0);
    return;
  }
  if ((d.type & 2) !== 0) raiseCode(cpu, Vec.GP, err); // busy
  taskSwitch(cpu, sel, d, reason, false, 0, 0);
}

/** CALL through a call gate (SDM Vol. 3 §5.8.5, §5.8.6 stack switching). */
function callGate(cpu: Cpu, g: Desc, sel: number): void {
  const c = gateTarget(cpu, g, sel, false);
  const size = g.type === DescType.CALL_GATE32 ? 4 : 2;
  const csel = g.gateSel;
  const gOff = gateOff;
  const f = frame;
  if (!c.conforming && c.dpl < cpu.cpl) {
    // More privileged: new stack from the TSS, copy the parameters (§5.8.6).
    const newCpl = c.dpl;
    const ss = loadTssStack(cpu, newCpl, 0);
    const sd = tssStackDesc();
    ssDesc.copyFrom(sd);
    f.fromDesc(sd.base, sd.limit, sd.attr, tssStackEsp(), false, ss & 0xfffc);
    const n = g.gateParams;
    for (let k = 0; k < n; k++) params[k] = peekStack(cpu, k * size, size);
    f.push(cpu, size, cpu.segSel[Seg.SS]);
    f.push(cpu, size, cpu.regs[4]);
    for (let k = n - 1; k >= 0; k--) f.push(cpu, size, params[k]);
    pushReturnAddress(cpu, size);
    checkCsLimit(cpu, c.limit, gOff);
    setAccessed(cpu, ssDesc);
    setAccessed(cpu, c);
    setSegFromDesc(cpu, Seg.SS, (ss & 0xfffc) | newCpl, ssDesc);
    f.commitSp(cpu);
    setCs(cpu, csel, c, newCpl);
    cpu.eip = gOff;
  } else {
    if (!c.conforming && c.dpl !== cpu.cpl) raiseCode(cpu, Vec.GP, csel & 0xfffc);
    f.fromCurrent(cpu, 0);
    pushReturnAddress(cpu, size);
    enterCode(cpu, c, csel, cpu.cpl, gOff); // ESP is not read by these steps: committed after
    f.commitSp(cpu);
  }
}

// ------------------------------------------------------------------------------------------ RET

def(Mn.RETF, (cpu: Cpu, i: Insn) => {
  const n = i.k0 === OpKind.Imm ? i.v0 & 0xffff : 0;
  const size = i.osize;
  const off = size === 4 ? peekStack(cpu, 0, 4) : peekStack(cpu, 0, 2);
  const sel = peekStack(cpu, size, 2);
  if (!isProtected(cpu)) {
    checkCsLimit(cpu, cpu.segLimit[Seg.CS], off);
    loadSegRealMode(cpu, Seg.CS, sel);
    cpu.eip = off;
    adjustSp(cpu, 2 * size + n);
    return;
  }
  const c = checkReturnCs(cpu, sel);
  const rpl = sel & 3;
  if (rpl === cpu.cpl) {
    enterCode(cpu, c, sel, rpl, off);
    adjustSp(cpu, 2 * size + n);
    return;
  }
  // Return to an outer level: SS:ESP follow the parameters (§5.8.6).
  const newSp = peekStack(cpu, 2 * size + n, size);
  const newSs = peekStack(cpu, 3 * size + n, 2);
  enterOuterCode(cpu, c, sel, rpl, off, newSs);
  loadOuterStack(cpu, newSs, (newSp + n) | 0);
});

/** Checks of the return CS of RET far / IRET (SDM Vol. 2 RET pseudocode). Reads into codeDesc. */
function checkReturnCs(cpu: Cpu, sel: number): Desc {
  if ((sel & 0xfffc) === 0) raiseCode(cpu, Vec.GP, 0);
  const c = codeDesc;
  readDescOrFault(cpu, sel, c, Vec.GP);
  const rpl = sel & 3;
  if (!c.isCode || rpl < cpu.cpl) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  if (c.conforming ? c.dpl > rpl : c.dpl !== rpl) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  if (!c.present) raiseCode(cpu, Vec.NP, sel & 0xfffc);
  return c;
}

/**
 * CS:EIP of a return to the outer level `rpl` (RET far, IRET), after the checks of its SS `newSs`
 * (read into ssDesc); the caller then loads SS:ESP with loadOuterStack.
 */
function enterOuterCode(cpu: Cpu, c: Desc, sel: number, rpl: number, off: number, newSs: number): void {
  checkReturnSs(cpu, newSs, rpl);
  checkCsLimit(cpu, c.limit, off);
  setAccessed(cpu, c);
  setAccessed(cpu, ssDesc);
  setCs(cpu, sel, c, rpl);
  cpu.eip = off;
}

/**
 * The outer stack of a return (after enterOuterCode): SS from ssDesc, ESP (SP only for a 16-bit
 * stack) = `sp`; then the data segments the outer level may not use become null.
 */
function loadOuterStack(cpu: Cpu, ss: number, sp: number): void {
  setSegFromDesc(cpu, Seg.SS, ss, ssDesc);
  if (cpu.stack32) cpu.regs[4] = sp;
  else cpu.regs[4] = (cpu.regs[4] & ~0xffff) | (sp & 0xffff);
  nullInaccessibleDataSegs(cpu);
}

/** Checks of the outer SS of a return; reads into ssDesc. */
function checkReturnSs(cpu: Cpu, ss: number, rpl: number): void {
  if ((ss & 0xfffc) === 0) raiseCode(cpu, Vec.GP, 0);
  const s = ssDesc;
  readDescOrFault(cpu, ss, s, Vec.GP);
  if ((ss & 3) !== rpl || s.dpl !== rpl || !s.isData || !s.rw) raiseCode(cpu, Vec.GP, ss & 0xfffc);
  if (!s.present) raiseCode(cpu, Vec.SS, ss & 0xfffc);
}

// ------------------------------------------------------------------------------------------ IRET

def(Mn.IRET, (cpu: Cpu, i: Insn) => {
  const size = i.osize;
  unblockNmi(cpu);
  if ((cpu.cr0 & CR0.PE) === 0) {
    iretReal(cpu, size);
    return;
  }
  if ((cpu.eflags & EF.VM) !== 0) {
    // VM86 (no VME): IOPL 3 returns like real mode without changing IOPL; else #GP(0) (§20.2.7).
    if (((cpu.eflags >> EF.IOPL_SHIFT) & 3) !== 3) raiseCode(cpu, Vec.GP, 0);
    const off = peekStack(cpu, 0, size);
    const sel = peekStack(cpu, size, 2);
    const fl = peekStack(cpu, 2 * size, size);
    checkCsLimit(cpu, cpu.segLimit[Seg.CS], size === 4 ? off : off & 0xffff);
    loadSegRealMode(cpu, Seg.CS, sel);
    cpu.eip = size === 4 ? off : off & 0xffff;
    adjustSp(cpu, 3 * size);
    const keep = EF.IOPL | EF.VM | EF.VIF | EF.VIP | (size === 2 ? 0xffff0000 : 0);
    setEflags(cpu, (getEflags(cpu) & keep) | (fl & ~keep & (size === 2 ? 0xffff : 0x3f7fd5)));
    return;
  }
  if ((cpu.eflags & EF.NT) !== 0) {
    // Return from a nested task: the back link of the current TSS (§7.3).
    const link = cpu.mmu.sysRead16(cpu.trBase);
    if ((link & 4) !== 0) raiseCode(cpu, Vec.TS, link & 0xfffc);
    taskSwitch(cpu, link, null, TaskReason.Iret, false, 0, 0);
    return;
  }
  const off = peekStack(cpu, 0, size);
  const sel = peekStack(cpu, size, 2);
  const fl = size === 4 ? peekStack(cpu, 8, 4) : peekStack(cpu, 4, 2);
  if ((fl & EF.VM) !== 0 && cpu.cpl === 0 && size === 4) {
    iretToVm86(cpu, off, sel, fl);
    return;
  }
  const c = checkReturnCs(cpu, sel);
  const rpl = sel & 3;
  const oldCpl = cpu.cpl;
  if (rpl === cpu.cpl) {
    enterCode(cpu, c, sel, rpl, off);
    adjustSp(cpu, 3 * size);
    iretFlags(cpu, fl, size, oldCpl);
    return;
  }
  const newSp = peekStack(cpu, 3 * size, size);
  const newSs = peekStack(cpu, 4 * size, 2);
  enterOuterCode(cpu, c, sel, rpl, off, newSs);
  iretFlags(cpu, fl, size, oldCpl);
  loadOuterStack(cpu, newSs, newSp);
});

/**
 * EFLAGS written by a protected-mode IRET (SDM Vol. 2 IRET): IOPL only at CPL 0, IF only when
 * CPL <= IOPL, VM/VIF/VIP only at CPL 0 (VM handled by iretToVm86), RF/AC/ID/NT and the rest always.
 * `oldCpl` is the privilege the IRET executed at.
 */
function iretFlags(cpu: Cpu, fl: number, size: number, oldCpl: number): void {
  const cur = getEflags(cpu);
  let mask = 0x257fd5 & ~(EF.IOPL | EF.IF | EF.VM | EF.VIF | EF.VIP);
  if (oldCpl === 0) mask |= EF.IOPL | EF.VIF | EF.VIP;
  if (oldCpl <= ((cur >> EF.IOPL_SHIFT) & 3)) mask |= EF.IF;
  if (size === 2) mask &= 0xffff;
  setEflags(cpu, (cur & ~mask) | (fl & mask));
}

function iretReal(cpu: Cpu, size: number): void {
  const off = peekStack(cpu, 0, size);
  const sel = peekStack(cpu, size, 2);
  const fl = peekStack(cpu, 2 * size, size);
  const eip = size === 4 ? off : off & 0xffff;
  checkCsLimit(cpu, cpu.segLimit[Seg.CS], eip);
  loadSegRealMode(cpu, Seg.CS, sel);
  cpu.eip = eip;
  adjustSp(cpu, 3 * size);
  // Real mode: every flag is writable except VM/VIF/VIP (SDM Vol. 2 IRET, real-address mode).
  const mask = size === 4 ? 0x257fd5 : 0x7fd5;
  setEflags(cpu, (getEflags(cpu) & ~mask) | (fl & mask));
}

/** IRET from CPL 0 to virtual-8086 mode (SDM Vol. 2 IRET, RETURN-TO-VIRTUAL-8086-MODE). */
function iretToVm86(cpu: Cpu, off: number, sel: number, fl: number): void {
  const esp = peekStack(cpu, 12, 4);
  const ss = peekStack(cpu, 16, 4) & 0xffff;
  const es = peekStack(cpu, 20, 4) & 0xffff;
  const ds = peekStack(cpu, 24, 4) & 0xffff;
  const fs = peekStack(cpu, 28, 4) & 0xffff;
  const gs = peekStack(cpu, 32, 4) & 0xffff;
  setEflags(cpu, fl & 0x3f7fd5);
  cpu.eflags |= EF.VM;
  loadSegRealMode(cpu, Seg.CS, sel & 0xffff);
  loadSegRealMode(cpu, Seg.SS, ss);
  loadSegRealMode(cpu, Seg.ES, es);
  loadSegRealMode(cpu, Seg.DS, ds);
  loadSegRealMode(cpu, Seg.FS, fs);
  loadSegRealMode(cpu, Seg.GS, gs);
  cpu.stack32 = false;
  cpu.regs[4] = esp;
  cpu.eip = off & 0xffff;
  cpu.cpl = 3;
}
