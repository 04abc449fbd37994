/**
 * The interpreter CPU: fetch, decode (the one table), dispatch to the handler of the mnemonic, and
 * deliver faults and interrupts at instruction boundaries. The CPU knows no device: port I/O, CPUID,
 * MSRs, HLT... leave through `hv` as VM exits (exit.ts).
 */
import { BlockCache } from './block-cache.js';
import { DecodeCache } from './decode-cache.js';
import { Insn, OpKind, Seg } from '../frontend/insn.js';
import { ExitHandler, VmExit } from './exit.js';
import { Mmu } from '../mem/mmu.js';
import type { PhysMemory } from '../mem/phys.js';
import { FAULT, raise, raiseCode, Vec } from './fault.js';
import type { Handler } from './handlers.js';
import { bindHandler } from './sem/interp-gen.js';
import { CpuState, CR0, EF } from './state.js';
import { deliverException, deliverInterrupt, deliverNmi, IntKind, isNmiBlocked, singleStepTrap } from './system/interrupts.js';
import { instructionBreakpoint } from './system/debug.js';
import { Mn } from '../frontend/mnemonics.js';
import './exec-all.js';

/** Where external interrupts come from (the PIC/APIC router in hv/). */
export interface InterruptSource {
  hasInterrupt(): boolean;
  /** INTA cycle: the vector of the highest-priority pending interrupt. */
  acknowledge(): number;
  /** A pending NMI (from the NMI pin or an APIC NMI IPI), without consuming it. */
  hasNmi?(): boolean;
  /** Consume the pending NMI; true if there was one. */
  takeNmi?(): boolean;
}

/** Where the TSC comes from (the machine's virtual clock). */
export interface TimeSource {
  /** Time-stamp counter as a double (exact below 2^53). */
  tsc(): number;
}

const noInterrupts: InterruptSource = { hasInterrupt: () => false, acknowledge: () => 0 };

export class Cpu extends CpuState {
  /** The instruction being executed by `step`, or the last one `runBlock` retired (owned by the
   *  caches: read only). */
  insn: Insn = new Insn();
  readonly decodeCache: DecodeCache;
  /** Pre-decoded blocks for `run` / `runBlock` (block-cache.ts). */
  readonly blockCache: BlockCache;
  /** The one VM exit record (exit.ts). */
  readonly exit = new VmExit();
  intr: InterruptSource = noInterrupts;
  /**
   * The interrupt controllers' state may have changed since the last poll: set by port I/O (here),
   * by MMIO (the machine hooks the MMIO bus), by every delivery, and by the machine before each
   * slice (device timers fire between slices). Cleared when pollInterrupts asks the controllers.
   */
  intrDirty = true;
  /**
   * Result of the last question to the controllers: an interrupt or NMI is pending. Public for the
   * JIT: generated code that stays in a region may keep running while `!intrDirty && !intrPending`.
   */
  intrPending = false;
  /**
   * Linear addresses of the last 64 block starts (the target of every block-ending instruction), for
   * crash reports: `trail[(trailPos - 1) & 63]` is the newest.
   */
  readonly trail = new Int32Array(64);
  trailPos = 0;
  /** Called when an unimplemented mnemonic is executed (the machine reports it). */
  onUnimplemented: (name: string) => void = () => {};

  /** Linear -> physical translation for this CPU (the Mmu reads CR0/CR3/CR4 and CPL from it). */
  readonly mmu: Mmu;
  private readonly phys: PhysMemory;
  // The MMU's TLB tables and the RAM views, held here for readMem/writeMem's inline fast path.
  private readonly tlbReadS: Int32Array;
  private readonly tlbReadU: Int32Array;
  private readonly tlbWriteS: Int32Array;
  private readonly tlbWriteU: Int32Array;
  private readonly codePages: Uint8Array;
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly i32: Int32Array;

  constructor(
    phys: PhysMemory,
    readonly hv: ExitHandler,
    public time: TimeSource,
  ) {
    super();
    // The CPU owns its MMU: the two reference each other, so the MMU is built here, on `this`.
    this.mmu = new Mmu(phys, this);
    this.decodeCache = new DecodeCache(this.mmu, phys.u8);
    this.blockCache = new BlockCache(phys);
    this.phys = phys;
    this.tlbReadS = this.mmu.tlbReadS;
    this.tlbReadU = this.mmu.tlbReadU;
    this.tlbWriteS = this.mmu.tlbWriteS;
    this.tlbWriteU = this.mmu.tlbWriteU;
    this.codePages = phys.codePages;
    this.u8 = phys.u8;
    this.u16 = phys.u16;
    this.i32 = phys.i32;
    // A store into the running block ends it: the run loop then polls (exact, merely early) and
    // fetches the next instruction anew.
    phys.onWatchHit = () => {
      this.intrDirty = true;
    };
    this.reset();
  }

  /** The MMU's page fault (mem/mmu.ts PagingCpu): CR2 = the faulting linear address, then #PF
   *  with the walk's error code (SDM Vol. 3 §4.7). */
  pageFault(lin: number, code: number): never {
    this.cr2 = lin | 0;
    raiseCode(this, Vec.PF, code);
  }

  /** Power-on state (SDM Vol. 3 §9.1.1, Table 9-1): real mode at F000:FFF0, base FFFF0000. */
  reset(): void {
    this.regs.fill(0);
    this.regs[2] = 0x0663; // EDX: family 6 model 6 stepping 3 (a Pentium II class i686)
    this.eflags = 2;
    this.lf.op = 0;
    this.eip = 0xfff0;
    for (let s = 0; s < 6; s++) {
      this.segSel[s] = 0;
      this.segBase[s] = 0;
      this.segLimit[s] = 0xffff;
      this.segAttr[s] = 0x93; // present, writable data, accessed
    }
    this.segSel[Seg.CS] = 0xf000;
    this.segBase[Seg.CS] = 0xffff0000 | 0;
    this.segAttr[Seg.CS] = 0x9b;
    this.cr0 = 0x60000010;
    this.cr2 = this.cr3 = this.cr4 = 0;
    this.cpl = 0;
    this.code32 = this.stack32 = false;
    this.gdtBase = this.idtBase = 0;
    this.gdtLimit = this.idtLimit = 0xffff;
    this.halted = false;
    this.intShadow = false;
    this.fpu.reset(); // x87 power-on state: CW 0040H, TW 5555H (SDM Vol. 3 Table 9-1)
  }

  unimplemented(name: string): void {
    this.onUnimplemented(name);
  }

  // ---------------------------------------------------------------- execution

  /**
   * Run up to `budget` instructions; returns how many were retired. Stops early when the CPU
   * halts. Faults are delivered here; anything else thrown (MachineStop, emulator bugs) propagates.
   */
  run(budget: number): number {
    let done = 0;
    this.intrDirty = true;
    while (done < budget) {
      try {
        while (done < budget) {
          this.runIcount = this.icount;
          if (!this.intShadow) {
            if (this.intrDirty || this.intrPending) this.pollInterrupts();
            if (this.halted) return done;
            if (this.debugging()) {
              this.stepDebug();
              done++;
            } else done += this.runBlock(budget - done);
          } else {
            // The one instruction of an interrupt shadow runs alone: the next boundary polls.
            this.intShadow = false;
            if (this.halted) return done;
            if (this.debugging()) this.stepDebug();
            else this.step();
            done++;
          }
        }
      } catch (e) {
        if (e !== FAULT) throw e;
        done += (this.icount - this.runIcount + 1) | 0;
        this.eip = this.insnEip;
        this.deliverFault();
      }
    }
    return done;
  }

  /**
   * Run the pre-decoded block at CS:EIP (block-cache.ts), at most `max` (>= 1) instructions;
   * returns how many were retired. Exactly what `max` calls of `step` would do with the run loop's
   * checks between them, because those checks cannot change their outcome inside a block: the
   * interrupt poll (Cpu.pollInterrupts) can only deliver something new after `intrDirty` is set,
   * which ends the block here; IF, NMI blocking, TF/RF, DR7, HLT and interrupt shadows change only
   * through instructions that end a block (the table's `end`/`stop`, as for translated blocks);
   * so do mode changes (CS.D, CPL, paging: the block's host address stays valid). A handler that
   * moves EIP elsewhere (a REP chunk yielding) and a store into the block's own bytes (the code
   * watch of PhysMemory, which sets `intrDirty`) end it too. `insn` is set once, to the last
   * instruction retired (so with EFLAGS.AC set, whose checks read it, this runs `step`). Faults
   * propagate with `insnEip` and `icount` exact. Where no block can be used (TLB miss,
   * page-crossing or over-long instruction, 16-bit IP wrap) it runs one `step`. Engines may call it for cold code: it stops at the same block ends as translated
   * blocks (src/jit/block-end.ts), or earlier.
   */
  runBlock(max: number): number {
    const lin = (this.segBase[Seg.CS] + this.eip) | 0;
    const cpl = this.cpl;
    const page = (cpl === 3 ? this.mmu.tlbReadU : this.mmu.tlbReadS)[lin >>> 12];
    // EFLAGS.AC: alignment checks name the instruction (`insn`), which only `step` keeps per instruction.
    if (page < 0 || (this.eflags & EF.AC) !== 0) {
      this.step();
      return 1;
    }
    const host = page | (lin & 0xfff);
    const code32 = this.code32;
    const b = this.blockCache.lookup(host, (code32 ? 1 : 0) | (cpl << 1));
    let eip = this.eip;
    if (b.n === 0 || (!code32 && eip + b.lastOff > 0xffff)) {
      this.step();
      return 1;
    }
    this.phys.watch(host, host + b.bytes);
    const insns = b.insns;
    const hs = b.handlers;
    const n = b.n < max ? b.n : max;
    let k = 0;
    let i = insns[0];
    for (;;) {
      this.insnEip = eip;
      eip = code32 ? (eip + i.len) | 0 : (eip + i.len) & 0xffff;
      this.eip = eip;
      hs[k](this, i);
      this.icount++;
      // intrDirty: set by port I/O and MMIO, and by a store into this block (the code watch).
      if (++k === n || this.eip !== eip || this.intrDirty) break;
      i = insns[k];
    }
    this.insn = i;
    if (i.entry!.blockEnd) {
      this.trail[this.trailPos] = (this.segBase[Seg.CS] + this.eip) | 0;
      this.trailPos = (this.trailPos + 1) & 63;
    }
    return k;
  }

  /**
   * At an instruction boundary outside an interrupt shadow: deliver a pending NMI (unless an NMI
   * handler is still running) or, with IF set, a pending maskable interrupt (SDM Vol. 3 §6.9:
   * NMI has priority over INTR). Either wakes a halted CPU. Engines call this between blocks.
   */
  pollInterrupts(): void {
    const intr = this.intr;
    if (this.intrDirty) {
      // Ask the controllers only when their state may have changed (see intrDirty): this poll
      // runs before every instruction.
      this.intrDirty = false;
      this.intrPending = intr.hasInterrupt() || (intr.hasNmi !== undefined && intr.hasNmi());
    }
    if (!this.intrPending) return;
    if (intr.takeNmi !== undefined && intr.hasNmi!() && !isNmiBlocked(this) && intr.takeNmi()) {
      this.intrDirty = true;
      deliverNmi(this);
    } else if ((this.eflags & EF.IF) !== 0 && intr.hasInterrupt()) {
      this.halted = false;
      this.intrDirty = true;
      deliverInterrupt(this, intr.acknowledge(), IntKind.External, false, 0);
    }
  }

  /** Deliver the pending fault; a fault during delivery escalates (handled by the system code). */
  private deliverFault(): void {
    deliverException(this);
  }

  /** `icount` before the block or instruction `run` is executing: a fault's retired count comes
   *  from it (a field, not a local: a double local live in the catch would be boxed per block). */
  private runIcount = 0;

  /** A single-step trap deferred past the instruction after MOV SS / POP SS (SDM Vol. 3 §6.8.3). */
  pendingStepTrap = false;

  /** The debug facilities are on (TF/RF, a DR7 execute breakpoint, a deferred single-step trap):
   *  engines then run one instruction at a time through `stepDebug`. */
  debugging(): boolean {
    return (this.eflags & (EF.TF | EF.RF)) !== 0 || (this.dr[7] & 0xff) !== 0 || this.pendingStepTrap;
  }

  /**
   * One instruction with the debug facilities on (EFLAGS.TF or RF set, or a DR7 execute
   * breakpoint enabled): instruction breakpoints fault before it, RF is cleared after it (except
   * by IRET, which loads it), and TF traps after it completes (not after INT n/INT3/INTO/INT1,
   * whose handler runs with TF clear; deferred by one instruction after MOV SS / POP SS).
   * SDM Vol. 3 §17.3.1.
   */
  stepDebug(): void {
    if ((this.dr[7] & 0xff) !== 0 && instructionBreakpoint(this)) return;
    const ef = this.eflags;
    const deferred = this.pendingStepTrap;
    this.pendingStepTrap = false;
    this.step();
    const i = this.insn;
    const mn = i.mn;
    if ((ef & EF.RF) !== 0 && mn !== Mn.IRET) this.eflags &= ~EF.RF;
    const softInt = mn === Mn.INT || mn === Mn.INT3 || mn === Mn.INTO || mn === Mn.INT1;
    const movSs = (mn === Mn.MOVSEG || mn === Mn.POP) && i.k0 === OpKind.Sreg && i.v0 === Seg.SS;
    if ((ef & EF.TF) !== 0 && !softInt) {
      if (movSs) this.pendingStepTrap = true;
      else singleStepTrap(this);
    } else if (deferred) singleStepTrap(this);
  }

  /** Decode (through the decoded-instruction cache) and execute one instruction (no interrupt check). */
  step(): void {
    this.insnEip = this.eip;
    const i = this.decodeCache.lookup((this.segBase[Seg.CS] + this.eip) | 0, this.code32, this.cpl === 3);
    this.insn = i;
    if (i.len > 15) raiseCode(this, Vec.GP, 0);
    this.eip = this.code32 ? (this.eip + i.len) | 0 : (this.eip + i.len) & 0xffff;
    if (i.entry !== null && i.entry.privileged && this.cpl !== 0) raiseCode(this, Vec.GP, 0);
    const h = i.x as Handler | null;
    if (h !== null) h(this, i);
    else bindHandler(i)(this, i);
    this.icount++;
    if (i.entry !== null && i.entry.blockEnd) {
      this.trail[this.trailPos] = (this.segBase[Seg.CS] + this.eip) | 0;
      this.trailPos = (this.trailPos + 1) & 63;
    }
  }

  // ---------------------------------------------------------------- registers

  /** Read general register `r` at `size` bytes: zero-extended for 1 and 2, int32 for 4. */
  getReg(r: number, size: number): number {
    if (size === 4) return this.regs[r];
    if (size === 2) return this.regs[r] & 0xffff;
    return r < 4 ? this.regs[r] & 0xff : (this.regs[r - 4] >> 8) & 0xff;
  }

  setReg(r: number, size: number, v: number): void {
    if (size === 4) this.regs[r] = v;
    else if (size === 2) this.regs[r] = (this.regs[r] & ~0xffff) | (v & 0xffff);
    else if (r < 4) this.regs[r] = (this.regs[r] & ~0xff) | (v & 0xff);
    else this.regs[r - 4] = (this.regs[r - 4] & ~0xff00) | ((v & 0xff) << 8);
  }

  // ---------------------------------------------------------------- memory through segments

  /** Effective address (offset within the segment) of the memory operand of `i`. */
  ea(i: Insn): number {
    let a = i.disp;
    if (i.base >= 0) a = (a + this.regs[i.base]) | 0;
    if (i.index >= 0) a = (a + (this.regs[i.index] << i.scale)) | 0;
    return i.asize === 2 ? a & 0xffff : a;
  }

  /**
   * Linear address of seg:off for an access of `size` bytes, with the limit check of SDM Vol. 3
   * §5.3 (#SS for SS, #GP otherwise). Expand-down segments use the inverted range.
   */
  lin(seg: number, off: number, size: number): number {
    const limit = this.segLimit[seg] >>> 0;
    const end = (off >>> 0) + size - 1;
    if ((this.segAttr[seg] & 0x1c) === 0x14) {
      // expand-down data segment: valid offsets are limit+1 .. (B ? 0xFFFFFFFF : 0xFFFF)
      const upper = (this.segAttr[seg] & 0x4000) !== 0 ? 0xffffffff : 0xffff;
      if ((off >>> 0) <= limit || end > upper) this.segFault(seg);
    } else if (end > limit) this.segFault(seg);
    return (this.segBase[seg] + off) | 0;
  }

  /**
   * #AC(0): a misaligned data access at CPL 3 with CR0.AM and EFLAGS.AC set (SDM Vol. 3 §6.15,
   * interrupt 17). Checked per access of the integer instructions; x87/SSE/FXSAVE operands are
   * assembled from several accesses whose alignment rules differ (SDM Table 6-7), so they are not
   * checked (not modelled).
   */
  private alignmentCheck(lin: number, size: number): void {
    if ((lin & (size - 1)) === 0 || this.cpl !== 3 || (this.cr0 & CR0.AM) === 0) return;
    const mn = this.insn.mn;
    if (mn >= Mn.FLD || mn === Mn.FXSAVE || mn === Mn.FXRSTOR) return;
    raiseCode(this, Vec.AC, 0);
  }

  private segFault(seg: number): never {
    if (seg === Seg.SS) raiseCode(this, Vec.SS, 0);
    raiseCode(this, Vec.GP, 0);
  }

  readMem(seg: number, off: number, size: number): number {
    // Protected mode: an execute-only code segment cannot be read (SDM Vol. 3 §5.5).
    if ((this.segAttr[seg] & 0x0a) === 0x08 && (this.cr0 & 1) !== 0 && (this.eflags & EF.VM) === 0) this.segFault(seg);
    const a = this.lin(seg, off, size);
    if ((this.eflags & EF.AC) !== 0) this.alignmentCheck(a, size);
    // The MMU's fast path inline (a TLB hit on an aligned access); anything else through the MMU.
    const h = (this.cpl === 3 ? this.tlbReadU : this.tlbReadS)[a >>> 12];
    if (h >= 0) {
      const o = h | (a & 0xfff);
      if (size === 4) {
        if ((a & 3) === 0) return this.i32[o >>> 2];
      } else if (size === 1) return this.u8[o];
      else if ((a & 1) === 0) return this.u16[o >>> 1];
    }
    if (size === 4) return this.mmu.read32(a);
    if (size === 2) return this.mmu.read16(a);
    return this.mmu.read8(a);
  }

  writeMem(seg: number, off: number, size: number, v: number): void {
    // Protected mode: only writable data segments can be written (SDM Vol. 3 §5.5); real mode and
    // VM86 have no type checks.
    if ((this.segAttr[seg] & 0x0a) !== 0x02 && (this.cr0 & 1) !== 0 && (this.eflags & EF.VM) === 0) this.segFault(seg);
    const a = this.lin(seg, off, size);
    if ((this.eflags & EF.AC) !== 0) this.alignmentCheck(a, size);
    // The MMU's fast path inline: a TLB hit on an aligned access to a page without code.
    const h = (this.cpl === 3 ? this.tlbWriteU : this.tlbWriteS)[a >>> 12];
    if (h >= 0 && this.codePages[h >>> 12] === 0) {
      const o = h | (a & 0xfff);
      if (size === 4) {
        if ((a & 3) === 0) {
          this.i32[o >>> 2] = v;
          return;
        }
      } else if (size === 1) {
        this.u8[o] = v;
        return;
      } else if ((a & 1) === 0) {
        this.u16[o >>> 1] = v;
        return;
      }
    }
    if (size === 4) this.mmu.write32(a, v);
    else if (size === 2) this.mmu.write16(a, v);
    else this.mmu.write8(a, v);
  }

  // ---------------------------------------------------------------- operands

  /** Read operand `slot` (0-2) of `i`: zero-extended for sizes 1 and 2, int32 for 4. */
  readOp(i: Insn, slot: number): number {
    const k = slot === 0 ? i.k0 : slot === 1 ? i.k1 : i.k2;
    const v = slot === 0 ? i.v0 : slot === 1 ? i.v1 : i.v2;
    const s = slot === 0 ? i.s0 : slot === 1 ? i.s1 : i.s2;
    switch (k) {
      case OpKind.Reg:
        return this.getReg(v, s);
      case OpKind.Mem:
        return this.readMem(i.seg, this.ea(i), s);
      case OpKind.Moffs:
        return this.readMem(i.seg, i.asize === 2 ? i.disp & 0xffff : i.disp, s);
      case OpKind.Imm:
        return s === 4 ? v | 0 : s === 2 ? v & 0xffff : v & 0xff;
      case OpKind.Sreg:
        return this.segSel[v];
      default:
        throw new Error(`readOp: operand kind ${k} not readable`);
    }
  }

  writeOp(i: Insn, slot: number, value: number): void {
    const k = slot === 0 ? i.k0 : slot === 1 ? i.k1 : i.k2;
    const v = slot === 0 ? i.v0 : slot === 1 ? i.v1 : i.v2;
    const s = slot === 0 ? i.s0 : slot === 1 ? i.s1 : i.s2;
    switch (k) {
      case OpKind.Reg:
        return this.setReg(v, s, value);
      case OpKind.Mem:
        return this.writeMem(i.seg, this.ea(i), s, value);
      case OpKind.Moffs:
        return this.writeMem(i.seg, i.asize === 2 ? i.disp & 0xffff : i.disp, s, value);
      default:
        throw new Error(`writeOp: operand kind ${k} not writable`);
    }
  }

  // ---------------------------------------------------------------- stack

  /** Stack pointer as an offset in SS (ESP or SP per SS.B). */
  get sp(): number {
    return this.stack32 ? this.regs[4] : this.regs[4] & 0xffff;
  }

  private setSp(v: number): void {
    if (this.stack32) this.regs[4] = v;
    else this.regs[4] = (this.regs[4] & ~0xffff) | (v & 0xffff);
  }

  push16(v: number): void {
    const sp = this.stack32 ? (this.regs[4] - 2) | 0 : (this.regs[4] - 2) & 0xffff;
    this.writeMem(Seg.SS, sp, 2, v);
    this.setSp(sp);
  }

  push32(v: number): void {
    const sp = this.stack32 ? (this.regs[4] - 4) | 0 : (this.regs[4] - 4) & 0xffff;
    this.writeMem(Seg.SS, sp, 4, v);
    this.setSp(sp);
  }

  push(v: number, size: number): void {
    if (size === 4) this.push32(v);
    else this.push16(v);
  }

  pop16(): number {
    const v = this.readMem(Seg.SS, this.sp, 2);
    this.setSp(this.sp + 2);
    return v;
  }

  pop32(): number {
    const v = this.readMem(Seg.SS, this.sp, 4);
    this.setSp(this.sp + 4);
    return v;
  }

  pop(size: number): number {
    return size === 4 ? this.pop32() : this.pop16();
  }

  // ---------------------------------------------------------------- segments

  /** Load a segment register in real mode (or VM86): base = selector << 4, limit unchanged. */
  loadSegReal(seg: number, sel: number): void {
    this.segSel[seg] = sel & 0xffff;
    this.segBase[seg] = (sel & 0xffff) << 4;
    if (seg === Seg.CS) this.code32 = false;
  }

  // ---------------------------------------------------------------- VM exits

  /** Port input through the hypervisor (IN/INS). */
  ioIn(port: number, size: number): number {
    const x = this.exit;
    x.reason = 0; // ExitReason.IoIn
    x.port = port & 0xffff;
    x.size = size;
    x.value = 0;
    this.hv.handleExit(x);
    this.intrDirty = true;
    return size === 4 ? x.value | 0 : size === 2 ? x.value & 0xffff : x.value & 0xff;
  }

  /** Port output through the hypervisor (OUT/OUTS). */
  ioOut(port: number, size: number, value: number): void {
    const x = this.exit;
    x.reason = 1; // ExitReason.IoOut
    x.port = port & 0xffff;
    x.size = size;
    x.value = value;
    this.hv.handleExit(x);
    this.intrDirty = true;
  }
}

export { raise, raiseCode, Vec };
