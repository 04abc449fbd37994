/**
 * Delivery of exceptions and interrupts (SDM Vol. 3 chapter 6; real mode §20.1.4).
 *
 * Real mode: the IVT. Protected mode: interrupt, trap and task gates of the IDT, with a stack
 * switch from the TSS on a privilege change (§6.12.1), the VM86 variant (§20.3.1.1) and error
 * codes with the EXT bit. The frame is written through a FrameWriter and the registers are
 * committed only after every push succeeded, so a fault during delivery sees the state of the
 * interrupted instruction.
 *
 * A fault while delivering an exception or external interrupt is combined with the first event per
 * the class table (§6.15, Table 6-5): contributory + contributory, or page fault + contributory or
 * page fault, gives #DF; a fault while delivering #DF is a triple fault, a VM exit
 * (ExitReason.TripleFault); the CPU stays halted (shutdown) unless the handler resets it. A fault
 * while delivering a software interrupt (INT n) propagates to the run loop, which restarts the INT
 * instruction and delivers the fault on its own (INT n is benign).
 */
import type { Cpu } from '../cpu.js';
import { Seg } from '../../frontend/insn.js';
import { ExitReason } from '../exit.js';
import { FAULT, raise, raiseCode, Vec } from '../fault.js';
import { getEflags, setEflags } from '../flags.js';
import { CR0, EF } from '../state.js';
import { Desc, readDesc, setAccessed } from './descriptors.js';
import { setCs, setNullSeg, setSegFromDesc } from './segments.js';
import { frame } from './stack-frame.js';
import { TaskReason, taskSwitch } from './task.js';

/** What caused a delivery (SDM Vol. 3 §6.4). Icebp: INT1 (F1), a trap with no gate DPL check. */
export const IntKind = { Exception: 0, External: 1, Software: 2, Icebp: 3 } as const;

const gate = new Desc();
const target = new Desc();
const stackDesc = new Desc();

const BENIGN = 0;
const CONTRIBUTORY = 1;
const PAGE_FAULT = 2;

function classOf(vector: number): number {
  if (vector === Vec.PF) return PAGE_FAULT;
  if (vector === Vec.DE || (vector >= Vec.TS && vector <= Vec.GP)) return CONTRIBUTORY;
  return BENIGN;
}

/** Faults (as opposed to traps and aborts) push RF = 1 in the EFLAGS image (SDM Vol. 3 §17.3.1.1). */
function isFaultClass(vector: number): boolean {
  return vector === Vec.DE || vector === Vec.BR || vector === Vec.UD || vector === Vec.NM ||
    (vector >= Vec.TS && vector <= Vec.PF) || vector === Vec.MF || vector === Vec.AC || vector === Vec.XM;
}

/** Deliver the exception stored in cpu.excVector/excCode (EIP already rewound to the fault). */
export function deliverException(cpu: Cpu): void {
  deliverInterrupt(cpu, cpu.excVector, IntKind.Exception, cpu.excHasCode, cpu.excCode);
}

export function deliverInterrupt(cpu: Cpu, vector: number, kind: number, hasCode: boolean, code: number): void {
  if (kind === IntKind.Software) {
    deliverOnce(cpu, vector, kind, hasCode, code);
    return;
  }
  let vec = vector;
  let k = kind;
  let hc = hasCode;
  let c = code;
  for (;;) {
    try {
      deliverOnce(cpu, vec, k, hc, c);
      return;
    } catch (e) {
      if (e !== FAULT) throw e;
      const second = classOf(cpu.excVector);
      const first = k === IntKind.Exception ? classOf(vec) : BENIGN;
      if (k === IntKind.Exception && vec === Vec.DF) {
        tripleFault(cpu);
        return;
      }
      if ((first === CONTRIBUTORY && second === CONTRIBUTORY) || (first === PAGE_FAULT && second !== BENIGN)) {
        vec = Vec.DF;
        hc = true;
        c = 0;
      } else {
        vec = cpu.excVector;
        hc = cpu.excHasCode;
        c = cpu.excCode;
      }
      k = IntKind.Exception;
    }
  }
}

/**
 * NMI blocking (SDM Vol. 3 §6.7.1): after an NMI is delivered, further NMIs wait until the next
 * IRET. Kept here, beside delivery and IRET, as the set of CPUs currently blocking NMIs.
 */
const nmiBlockedCpus = new WeakSet<Cpu>();

export function isNmiBlocked(cpu: Cpu): boolean {
  return nmiBlockedCpus.has(cpu);
}

/** Called by IRET: NMIs are accepted again. */
export function unblockNmi(cpu: Cpu): void {
  nmiBlockedCpus.delete(cpu);
}

/** Deliver an NMI (vector 2, no IF check, no gate DPL check) and block further NMIs. */
export function deliverNmi(cpu: Cpu): void {
  nmiBlockedCpus.add(cpu);
  cpu.halted = false;
  deliverInterrupt(cpu, Vec.NMI, IntKind.External, false, 0);
}

/** A source of NMIs (the interrupt router's APIC NMI pin). */
interface NmiSource {
  hasNmi?(): boolean;
  takeNmi?(): boolean;
}

/**
 * For the run loop, at an instruction boundary outside an interrupt shadow: take and deliver a
 * pending NMI if the CPU accepts one. Returns true when one was delivered.
 */
export function pollNmi(cpu: Cpu): boolean {
  const src = cpu.intr as NmiSource;
  if (src.hasNmi === undefined || !src.hasNmi() || nmiBlockedCpus.has(cpu)) return false;
  if (src.takeNmi !== undefined && !src.takeNmi()) return false;
  deliverNmi(cpu);
  return true;
}

/**
 * Single-step trap (SDM Vol. 3 §17.3.1.4): for the run loop, after an instruction that started
 * with EFLAGS.TF = 1 completed without a fault. Sets DR6.BS and delivers #DB as a trap (the saved
 * EIP is the next instruction).
 */
export function singleStepTrap(cpu: Cpu): void {
  cpu.dr[6] |= 0x4000;
  deliverInterrupt(cpu, Vec.DB, IntKind.Exception, false, 0);
}

function tripleFault(cpu: Cpu): void {
  cpu.halted = true;
  cpu.exit.reason = ExitReason.TripleFault;
  cpu.hv.handleExit(cpu.exit);
}

function deliverOnce(cpu: Cpu, vector: number, kind: number, hasCode: boolean, code: number): void {
  if ((cpu.cr0 & CR0.PE) === 0) {
    deliverReal(cpu, vector);
    return;
  }
  // EXT: the event was not caused by INT n / INT3 / INTO (SDM Vol. 3 §6.13).
  const ext = kind === IntKind.Software ? 0 : 1;
  const idtCode = (vector << 3) | 2 | ext;
  if ((vector << 3) + 7 > cpu.idtLimit >>> 0) raiseCode(cpu, Vec.GP, idtCode);
  const g = gate;
  const ga = (cpu.idtBase + (vector << 3)) | 0;
  g.addr = ga;
  g.lo = cpu.mmu.sysRead32(ga);
  g.hi = cpu.mmu.sysRead32((ga + 4) | 0);
  g.decode();
  const type = g.attr & 0x1f; // S bit included: gates are system descriptors
  if (type !== 5 && type !== 6 && type !== 7 && type !== 14 && type !== 15) raiseCode(cpu, Vec.GP, idtCode);
  if (kind === IntKind.Software && g.dpl < cpu.cpl) raiseCode(cpu, Vec.GP, idtCode);
  if (!g.present) raiseCode(cpu, Vec.NP, idtCode);

  if (type === 5) {
    taskSwitch(cpu, g.gateSel, null, TaskReason.Int, hasCode, code, ext);
    return;
  }

  const gate32 = (type & 8) !== 0;
  const isTrap = (type & 1) !== 0;
  const offset = gate32 ? g.gateOffset : g.lo & 0xffff;
  const sel = g.gateSel;
  const t = target;
  if ((sel & 0xfffc) === 0) raiseCode(cpu, Vec.GP, ext);
  if (!readDesc(cpu, sel, t)) raiseCode(cpu, Vec.GP, (sel & 0xfffc) | ext);
  if (!t.isCode || t.dpl > cpu.cpl) raiseCode(cpu, Vec.GP, (sel & 0xfffc) | ext);
  if (!t.present) raiseCode(cpu, Vec.NP, (sel & 0xfffc) | ext);

  const vm = (cpu.eflags & EF.VM) !== 0;
  const size = gate32 ? 4 : 2;
  let flags = getEflags(cpu);
  if (kind === IntKind.Exception && isFaultClass(vector)) flags |= EF.RF;
  const f = frame;

  if (vm || (!t.conforming && t.dpl < cpu.cpl)) {
    // Interrupt to an inner privilege level: the stack comes from the TSS (§6.12.1).
    if (vm && (t.dpl !== 0 || t.conforming)) raiseCode(cpu, Vec.GP, (sel & 0xfffc) | ext);
    const newCpl = t.dpl;
    const ss = loadTssStack(cpu, newCpl, ext);
    const sd = stackDesc;
    f.fromDesc(sd.base, sd.limit, sd.attr, tssEsp, false, (ss & 0xfffc) | ext);
    if (!inLimitOffset(t, offset)) raiseCode(cpu, Vec.GP, ext);
    if (vm) {
      f.push(cpu, size, cpu.segSel[Seg.GS]);
      f.push(cpu, size, cpu.segSel[Seg.FS]);
      f.push(cpu, size, cpu.segSel[Seg.DS]);
      f.push(cpu, size, cpu.segSel[Seg.ES]);
    }
    f.push(cpu, size, cpu.segSel[Seg.SS]);
    f.push(cpu, size, cpu.regs[4]);
    f.push(cpu, size, flags);
    f.push(cpu, size, cpu.segSel[Seg.CS]);
    f.push(cpu, size, cpu.eip);
    if (hasCode) f.push(cpu, size, code);
    // Commit.
    setAccessed(cpu, sd);
    setAccessed(cpu, t);
    if (vm) {
      setNullSeg(cpu, Seg.GS, 0);
      setNullSeg(cpu, Seg.FS, 0);
      setNullSeg(cpu, Seg.DS, 0);
      setNullSeg(cpu, Seg.ES, 0);
    }
    setSegFromDesc(cpu, Seg.SS, (ss & 0xfffc) | newCpl, sd);
    f.commitSp(cpu);
    setCs(cpu, sel, t, newCpl);
  } else {
    if (!t.conforming && t.dpl !== cpu.cpl) raiseCode(cpu, Vec.GP, (sel & 0xfffc) | ext);
    f.fromCurrent(cpu, ext);
    if (!inLimitOffset(t, offset)) raiseCode(cpu, Vec.GP, ext);
    f.push(cpu, size, flags);
    f.push(cpu, size, cpu.segSel[Seg.CS]);
    f.push(cpu, size, cpu.eip);
    if (hasCode) f.push(cpu, size, code);
    setAccessed(cpu, t);
    f.commitSp(cpu);
    setCs(cpu, sel, t, cpu.cpl);
  }
  cpu.eip = offset;
  let nf = getEflags(cpu) & ~(EF.TF | EF.NT | EF.RF | EF.VM);
  if (!isTrap) nf &= ~EF.IF;
  setEflags(cpu, nf);
  cpu.halted = false;
}

function inLimitOffset(t: Desc, offset: number): boolean {
  return (offset >>> 0) <= (t.limit >>> 0);
}

/** ESP read from the TSS by the last loadTssStack. */
let tssEsp = 0;

/**
 * Read SS:ESP for privilege level `dpl` from the current TSS, check the stack segment (§6.12.1,
 * #TS/#SS with its selector) into `stackDesc`, and return the SS selector. Also used by far CALL
 * through a call gate.
 */
export function loadTssStack(cpu: Cpu, dpl: number, ext: number): number {
  let ss: number;
  if ((cpu.trAttr & 8) !== 0) {
    const off = 4 + 8 * dpl;
    if (off + 7 > cpu.trLimit >>> 0) raiseCode(cpu, Vec.TS, (cpu.trSel & 0xfffc) | ext);
    tssEsp = cpu.mmu.sysRead32((cpu.trBase + off) | 0);
    ss = cpu.mmu.sysRead16((cpu.trBase + off + 4) | 0);
  } else {
    const off = 2 + 4 * dpl;
    if (off + 3 > cpu.trLimit >>> 0) raiseCode(cpu, Vec.TS, (cpu.trSel & 0xfffc) | ext);
    tssEsp = cpu.mmu.sysRead16((cpu.trBase + off) | 0);
    ss = cpu.mmu.sysRead16((cpu.trBase + off + 2) | 0);
  }
  const sd = stackDesc;
  if ((ss & 0xfffc) === 0) raiseCode(cpu, Vec.TS, ext);
  if (!readDesc(cpu, ss, sd)) raiseCode(cpu, Vec.TS, (ss & 0xfffc) | ext);
  if ((ss & 3) !== dpl || sd.dpl !== dpl || !sd.isData || !sd.rw) raiseCode(cpu, Vec.TS, (ss & 0xfffc) | ext);
  if (!sd.present) raiseCode(cpu, Vec.SS, (ss & 0xfffc) | ext);
  return ss;
}

/** The stack descriptor and ESP found by the last loadTssStack. */
export function tssStackDesc(): Desc {
  return stackDesc;
}
export function tssStackEsp(): number {
  return tssEsp;
}

/** Real mode: the IVT at idtBase, 4 bytes per vector (SDM Vol. 3 §20.1.4). */
function deliverReal(cpu: Cpu, vector: number): void {
  if (vector * 4 + 3 > cpu.idtLimit >>> 0) raise(cpu, Vec.GP);
  const ent = cpu.mmu.sysRead32((cpu.idtBase + vector * 4) | 0);
  const f = frame.fromCurrent(cpu, 0);
  f.push(cpu, 2, getEflags(cpu));
  f.push(cpu, 2, cpu.segSel[Seg.CS]);
  f.push(cpu, 2, cpu.eip);
  f.commitSp(cpu);
  cpu.eflags &= ~(EF.IF | EF.TF | EF.AC | EF.RF);
  cpu.segSel[Seg.CS] = ent >>> 16;
  cpu.segBase[Seg.CS] = (ent >>> 16) << 4;
  cpu.code32 = false;
  cpu.eip = ent & 0xffff;
  cpu.halted = false;
}
