/**
 * Runs generated sequences in the interpreter (PhysMemory + Mmu + Cpu from src/) in the same
 * user-mode environment the native harness gives them: flat 32-bit segments with the Linux user
 * selectors (a small GDT holds their descriptors, so segment loads work), CPL 3, IOPL 0, the code
 * and scratch pages at the same linear addresses (paging off; the nested page table maps them).
 *
 * The x87 state goes in and out through the interpreter's own FRSTOR / FNSAVE, executed from a
 * private page, so the test does not depend on how src/cpu/fpu represents registers.
 *
 * While stepping, the runner also derives which arithmetic flags the executed instructions leave
 * undefined: the decoder's table entry (`entry.flagsWritten` / `entry.flagsUndefined`) refined
 * with the operand-dependent rules the SDM states for shifts and rotates (count 0: flags
 * unchanged; OF only defined for a count of 1; SHL/SHR CF undefined for counts >= the width; SHLD/
 * SHRD 16-bit counts > 16: everything undefined; RCL/RCR rotating by 0 mod 9/17 keep CF).
 */
import { Cpu } from '../../src/cpu/cpu.js';
import { FAULT } from '../../src/cpu/fault.js';
import { getEflags, setEflags } from '../../src/cpu/flags.js';
import { OpKind, Rep } from '../../src/frontend/insn.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { entries } from '../../src/frontend/table.js';
import { Jit } from '../../src/jit/engine.js';
import { ModeBit } from '../../src/jit/mode.js';
import type { ExitHandler, VmExit } from '../../src/cpu/exit.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { NPT_UNMAPPED, PhysMemory } from '../../src/mem/phys.js';
import { CODE_ADDR, FSAVE, initialScratch, type Outcome, RO_PAGE, SCRATCH_ADDR, SCRATCH_SIZE, type Sequence, STRADDLE_OFF, USER_CS, USER_DS, view, VIEW_SIZE } from './format.js';

/** Steps per sequence: an addr16 LOOP with CX = 0 runs 65,536 times (two instructions each). */
const MAX_STEPS = 140_000;

/** Private page of the runner: GDT, FRSTOR/FNSAVE images and the two helper instructions. */
const AUX_ADDR = 0x30000000;
const AUX_GDT = 0x000;
const AUX_FPU_IN = 0x100;
const AUX_FPU_OUT = 0x200;
const AUX_CODE = 0x800;
/** Host pages inside the runner's PhysMemory. */
const HOST_CODE = 1, HOST_SCRATCH = 2, HOST_AUX = 3, HOST_SCRATCH2 = 4;
/** Paging structures (guest-physical, identity mapping of the pages above): a page directory and
 *  three page tables, in host pages 5-8. */
const PAGING_PHYS = 0x31000000;
const HOST_PD = 5;
/** The read-only scratch page (zeros; host page 9). The absent page has no mapping at all. */
const HOST_RO = 9;

const ARITH = 0x8d5;
/** Mnemonics whose flag effects depend on the count (see the file comment). */
const SHIFTS = new Set<number>([Mn.ROL, Mn.ROR, Mn.RCL, Mn.RCR, Mn.SHL, Mn.SAL, Mn.SHR, Mn.SAR]);

class NullHv implements ExitHandler {
  exits = 0;
  handleExit(x: VmExit): void {
    void x;
    this.exits++;
  }
}

/** What the interpreter did, beyond the architectural outcome. */
export interface InterpResult extends Outcome {
  /** Arithmetic flags left undefined by the executed instructions (table + SDM count rules). */
  undefFlags: number;
  /** False when an executed instruction had no table entry (the generator's mask is used then). */
  traced: boolean;
  /** An exception other than a guest fault (emulator bug), or an unimplemented mnemonic. */
  error: string;
  steps: number;
}

export class InterpRunner {
  /** Table entries executed at least once (by Entry.id), for the coverage report. */
  readonly executed = new Uint8Array(entries.length);
  /** JIT campaign, by Entry.id: the operand sizes (bit = osize: 1, 2, 4) the interpreter executed
   *  in sequences that then ran through the JIT (markRunForJit), and those the JIT translated inline. */
  readonly jitExpected = new Uint8Array(entries.length);
  readonly jitInlined = new Uint8Array(entries.length);
  /** ... and those it translated as a handler call. */
  readonly jitCalled = new Uint8Array(entries.length);
  /** ... as a handler call in a block of non-flat mode (a sequence loaded a segment register). */
  readonly jitCalledNonFlat = new Uint8Array(entries.length);
  /** Entry ids and osize bits of the last interpreter run, as id * 8 + bit. */
  private lastRun: number[] = [];
  readonly phys: PhysMemory;
  readonly cpu: Cpu;
  private readonly hv = new NullHv();
  private unimplemented = '';

  /**
   * `hostGs`: the GS selector the native process runs with (glibc's TLS segment; measured by the
   * campaign with a probe sequence), so that reading GS gives the same value here.
   */
  constructor(readonly hostGs = 0x63) {
    this.phys = new PhysMemory(16 * 4096, new MmioBus());
    // Nothing at low addresses (native user space has nothing there either): only our three pages.
    this.phys.mapRange(0, 16 * 4096, NPT_UNMAPPED);
    this.phys.npt[CODE_ADDR >>> 12] = HOST_CODE;
    this.phys.npt[SCRATCH_ADDR >>> 12] = HOST_SCRATCH;
    this.phys.npt[(SCRATCH_ADDR >>> 12) + 1] = HOST_SCRATCH2;
    this.phys.npt[AUX_ADDR >>> 12] = HOST_AUX;
    this.cpu = new Cpu(this.phys, this.hv, { tsc: () => 0 });
    this.cpu.onUnimplemented = (name) => {
      this.unimplemented = name;
    };
    // GDT: 0x20 = flat code DPL 3, 0x28 = flat data DPL 3 (the Linux i386 user segments).
    const gdt = new DataView(this.phys.buffer, HOST_AUX * 4096 + AUX_GDT, 64);
    gdt.setUint32(0x20, 0x0000ffff, true);
    gdt.setUint32(0x24, 0x00cffb00, true);
    gdt.setUint32(0x28, 0x0000ffff, true);
    gdt.setUint32(0x2c, 0x00cff300, true);
    for (let k = 0; k < 4; k++) this.phys.npt[(PAGING_PHYS >>> 12) + k] = HOST_PD + k;
    this.phys.npt[RO_PAGE >>> 12] = HOST_RO;
    // frstor [AUX_FPU_IN]; fnsave ss:[AUX_FPU_OUT]
    const code = this.phys.u8.subarray(HOST_AUX * 4096 + AUX_CODE);
    code.set([0xdd, 0x25, ...le32(AUX_ADDR + AUX_FPU_IN), 0x36, 0xdd, 0x35, ...le32(AUX_ADDR + AUX_FPU_OUT)]);
  }

  /**
   * Identity page tables for the code, scratch and private pages (user, writable), with the
   * accessed/dirty bits clear so every sequence goes through the walks that set them (SDM Vol. 3
   * §4.3, §4.8).
   */
  private writePageTables(): void {
    const pd = new DataView(this.phys.buffer, HOST_PD * 4096, 4 * 4096);
    for (let k = 0; k < 4 * 1024; k++) pd.setUint32(4 * k, 0, true);
    const tables: Array<[number, number[]]> = [[CODE_ADDR, [CODE_ADDR]], [SCRATCH_ADDR, [SCRATCH_ADDR, SCRATCH_ADDR + 4096]], [AUX_ADDR, [AUX_ADDR]]];
    tables.forEach(([region, pages], k) => {
      const pt = PAGING_PHYS + 4096 * (k + 1);
      pd.setUint32(4 * (region >>> 22), pt | 7, true);
      for (const p of pages) pd.setUint32(4096 * (k + 1) + 4 * ((p >>> 12) & 0x3ff), (p | 7) >>> 0, true);
    });
    // the read-only page: present, user, not writable (as the native PROT_READ mapping)
    pd.setUint32(4096 * 2 + 4 * ((RO_PAGE >>> 12) & 0x3ff), (RO_PAGE | 5) >>> 0, true);
  }

  private resetCpu(s: Sequence): void {
    const cpu = this.cpu;
    cpu.reset();
    // PE MP ET NE WP AM as Linux runs user code; odd sequences with paging on (identity tables),
    // even ones with paging off: both memory paths of the MMU
    const paging = (s.id & 1) === 1;
    if (paging) this.writePageTables();
    cpu.cr3 = paging ? PAGING_PHYS : 0;
    cpu.cr0 = paging ? 0x80050033 | 0 : 0x00050033;
    for (let seg = 0; seg < 6; seg++) {
      // FS: null (as in a Linux i386 process); GS: the host's TLS selector (never used for memory)
      const code = seg === 1, nul = seg === 4;
      cpu.segSel[seg] = code ? USER_CS : nul ? 0 : seg === 5 ? this.hostGs : USER_DS;
      cpu.segBase[seg] = 0;
      cpu.segLimit[seg] = nul ? 0 : -1;
      cpu.segAttr[seg] = code ? 0xcffb : nul ? 0 : 0xcff3;
    }
    cpu.gdtBase = AUX_ADDR + AUX_GDT;
    cpu.gdtLimit = 0x3f;
    cpu.idtBase = 0;
    cpu.idtLimit = 0;
    cpu.code32 = cpu.stack32 = true;
    cpu.cpl = 3;
    cpu.mmu.flush(true);
    cpu.regs.set(s.regs);
    // IF is set in user mode; IOPL 0.
    setEflags(cpu, (s.eflags & 0x0cd5) | 0x202);
  }

  private jit: Jit | null = null;
  /** The JIT's counters (blocks compiled/run, instructions interpreted cold), or null. */
  get jitStats(): Jit['stats'] | null {
    return this.jit === null ? null : this.jit.stats;
  }
  private jitEngine(): Jit {
    if (this.jit === null) {
      const jit = new Jit(this.cpu, this.phys, { threshold: 0, verify: false });
      jit.onCompile = (b) => {
        for (let k = 0; k < b.length; k++) {
          const e = b.insns[k].entry;
          if (e === null) continue;
          if (b.inlined[k] === 1) this.jitInlined[e.id] |= b.insns[k].osize & 7;
          else if ((b.mode & ModeBit.FLAT) !== 0) this.jitCalled[e.id] |= b.insns[k].osize & 7;
          else this.jitCalledNonFlat[e.id] |= b.insns[k].osize & 7;
        }
      };
      this.jit = jit;
    }
    return this.jit;
  }

  /** The last interpreter run's sequence goes through the JIT next: what it executed is expected inline. */
  markRunForJit(): void {
    for (const x of this.lastRun) this.jitExpected[x >> 3] |= x & 7;
  }

  /** Run the helper at AUX_CODE + off (FRSTOR / FNSAVE); returns an error text or ''. */
  private helper(off: number): string {
    const cpu = this.cpu;
    const saveCpl = cpu.cpl;
    cpu.eip = AUX_ADDR + AUX_CODE + off;
    try {
      cpu.step();
    } catch (e) {
      return e === FAULT ? `x87 helper faulted (vector ${cpu.excVector})` : `x87 helper threw: ${String(e)}`;
    } finally {
      cpu.cpl = saveCpl;
    }
    return '';
  }

  /**
   * Run `s` in the interpreter (cpu.step, instruction by instruction), or, with `jit`, through the
   * JIT engine (src/jit/engine.ts, every block translated on first sight) for exactly `jit.budget`
   * instructions: the number the interpreter retired for the same sequence. In JIT mode the
   * undefined-flag mask comes from `jit.undefFlags` (the interpreter's trace).
   */
  run(s: Sequence, jit: { budget: number; undefFlags: number } | null = null): InterpResult {
    const cpu = this.cpu;
    const u8 = this.phys.u8;
    this.resetCpu(s);
    this.unimplemented = '';
    const init = initialScratch(s);
    u8.set(init.subarray(0, 4096), HOST_SCRATCH * 4096);
    u8.fill(0, HOST_SCRATCH2 * 4096, HOST_SCRATCH2 * 4096 + 4096);
    u8.set(init.subarray(4096), HOST_SCRATCH2 * 4096);
    u8.fill(0xcc, HOST_CODE * 4096, HOST_CODE * 4096 + 4096);
    u8.set(s.code, HOST_CODE * 4096);
    // JIT: a `jmp $+2` after the sequence ends its last block there (a block that decoded into
    // the INT3 filler would be longer than the budget, and run cold, instruction by instruction)
    if (jit !== null) u8.set([0xeb, 0x00], HOST_CODE * 4096 + s.code.length);
    // written behind the CPU's back: the interpreter's pre-decoded blocks (the JIT's cold path)
    // are valid by page generation, which only PhysMemory sees changes through (6a0214a)
    this.phys.codeChanged(HOST_CODE * 4096, 4096);
    let error = '';
    if (s.fpu !== 'none') {
      u8.set(s.fsave, HOST_AUX * 4096 + AUX_FPU_IN);
      error = this.helper(0);
    } else cpu.fpu.init();

    const end = CODE_ADDR + s.code.length;
    cpu.eip = CODE_ADDR;
    let status = 0, vector = 0, errorCode = 0, steps = 0;
    let undef = 0, traced = true;
    if (!error && jit !== null) {
      const engine = this.jitEngine();
      engine.flush(); // the code page was rewritten behind its back
      try {
        steps = engine.run(jit.budget + 1) - 1;
      } catch (e) {
        error = `JIT threw: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (cpu.halted) error = `JIT: a fault was delivered (vector ${cpu.excVector}) and the CPU shut down`;
      else if (!error && cpu.eip !== end + 2) error = `JIT: after ${steps} instructions (the interpreter's count) EIP is ${hex(cpu.eip)}, not the end`;
      else cpu.eip = end;
      undef = jit.undefFlags;
    } else if (!error) {
      this.lastRun.length = 0;
      try {
        for (; steps < MAX_STEPS && cpu.eip !== end; steps++) {
          const ecx = cpu.regs[1];
          cpu.step();
          const i = cpu.insn;
          if (i.entry === null) { traced = false; continue; }
          this.executed[i.entry.id] = 1;
          this.lastRun.push(i.entry.id * 8 + (i.osize & 7));
          undef = flagEffect(undef, i.mn, i.entry.flagsWritten & ARITH, i.entry.flagsUndefined & ARITH, countOf(i, ecx), i.osize, i.rep !== Rep.None && (i.asize === 2 ? ecx & 0xffff : ecx) === 0);
        }
        if (cpu.eip !== end) error = `did not reach the end of the sequence after ${steps} steps (EIP ${hex(cpu.eip)})`;
      } catch (e) {
        if (e !== FAULT) error = `interpreter threw: ${e instanceof Error ? e.message : String(e)}`;
        else {
          if (cpu.insn.entry !== null) this.executed[cpu.insn.entry.id] = 1; // the faulting instruction
          status = 1;
          vector = cpu.excVector;
          errorCode = cpu.excHasCode ? cpu.excCode : 0;
          cpu.eip = cpu.insnEip;
        }
      }
    }
    if (this.unimplemented) error = `unimplemented mnemonic ${this.unimplemented}`;
    const eipOff = (cpu.eip - CODE_ADDR) | 0;
    const regs = Int32Array.from(cpu.regs);
    const eflags = getEflags(cpu);
    const es = cpu.segSel[0], ds = cpu.segSel[3], fs = cpu.segSel[4], gs = cpu.segSel[5];
    let fsave = new Uint8Array(FSAVE.SIZE);
    if (s.fpu !== 'none') {
      const e2 = this.helper(6); // fnsave follows the 6-byte frstor
      if (e2 && !error) error = e2;
      fsave = u8.slice(HOST_AUX * 4096 + AUX_FPU_OUT, HOST_AUX * 4096 + AUX_FPU_OUT + FSAVE.SIZE);
    }
    const scratch = view(u8.subarray(HOST_SCRATCH * 4096, HOST_SCRATCH * 4096 + SCRATCH_SIZE),
      Uint8Array.of(...u8.subarray(HOST_SCRATCH * 4096 + STRADDLE_OFF, HOST_SCRATCH * 4096 + 4096), ...u8.subarray(HOST_SCRATCH2 * 4096, HOST_SCRATCH2 * 4096 + VIEW_SIZE - 4096)));
    const cr2 = vector === 14 ? cpu.cr2 >>> 0 : 0;
    return { status, vector, errorCode, eipOff, regs, eflags, es, ds, fs, gs, cr2, fsave, scratch, undefFlags: undef, traced, error, steps };
  }
}

/** Count operand of a shift/rotate/SHLD/SHRD (imm, CL before the instruction, or 1). */
function countOf(i: { k1: number; v1: number; k2: number; v2: number; mn: number }, ecx: number): number {
  if (i.mn === Mn.SHLD || i.mn === Mn.SHRD) return i.k2 === OpKind.Imm ? i.v2 : ecx & 0xff;
  if (i.k1 === OpKind.Imm) return i.v1;
  if (i.k1 === OpKind.Reg) return ecx & 0xff;
  return 1;
}

/**
 * Update the undefined-flags set after one instruction: table effects, refined by the SDM's
 * operand-dependent rules (Vol. 2: ROL/RCL "Flags Affected", SAL/SAR/SHL/SHR, SHLD, SHRD, CMPS/SCAS
 * with a zero count).
 */
export function flagEffect(undef: number, mn: number, written: number, undefined: number, count: number, size: number, repZero: boolean): number {
  if (repZero && (mn === Mn.CMPS || mn === Mn.SCAS)) return undef; // no iteration: flags unchanged
  if (SHIFTS.has(mn) || mn === Mn.SHLD || mn === Mn.SHRD) {
    const c = count & 0x1f;
    if (c === 0) return undef;
    let u = undefined;
    let wr = written;
    // OF: defined for 1-bit shifts only, whatever the table's static mask says
    if (c !== 1) u |= 0x800;
    else u &= ~0x800;
    if ((mn === Mn.SHL || mn === Mn.SAL || mn === Mn.SHR) && c >= size * 8) u |= 1; // CF
    if (mn === Mn.RCL || mn === Mn.RCR) {
      const t = size === 1 ? c % 9 : size === 2 ? c % 17 : c;
      if (t === 0) wr &= ~1;
    }
    if ((mn === Mn.SHLD || mn === Mn.SHRD) && size === 2 && c > 16) u |= ARITH;
    return (undef & ~(wr | u)) | u;
  }
  return (undef & ~(written | undefined)) | undefined;
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function hex(v: number): string {
  return (v >>> 0).toString(16).padStart(8, '0');
}
