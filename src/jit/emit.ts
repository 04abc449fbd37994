/**
 * Block translator: one Block (decoded instructions) -> JavaScript source -> function.
 *
 * Semantics are written once (STYLE.md §2): every instruction is a call to its interpreter handler
 * `H<k>(cpu, I<k>)` with the interpreter's bookkeeping (cpu.insnEip, cpu.eip, cpu.icount), except
 * the hot ones that emit-inline.ts writes out (MOV, LEA, ALU, PUSH/POP, branches...). Guest
 * registers the inline code uses live in JS locals `r0`..`r7`, loaded at entry, written back before
 * each handler call (and reloaded after it), at every exit and in the fault path.
 *
 * Precise faults: before an instruction that can fault, the local `k` holds its index; the catch
 * clause writes the registers back, sets `cpu.icount` to the instructions retired before it and
 * `cpu.insnEip` to its EIP, and rethrows; the dispatcher then does what Cpu.run does (rewind EIP to
 * insnEip and deliver). Inline code performs every access that can fault before it changes a
 * register, like the handlers (handlers.ts contract).
 *
 * Regions (README.md "Regions"): several blocks translated into one function, one `case` per
 * block inside `for (;;) switch (pc)`; instruction indexes (H/I/X, `k`) are region-wide, and a
 * direct branch or fall-through to a block of the function continues there (transfer()), as does
 * an indirect one to a predicted block (transferIndirect()).
 *
 * Generated shape of one block (see README.md for the runtime API and test/jit for snapshots):
 *   "use strict"; const H0 = H[0], I0 = I[0], ...;
 *   return function blk(cpu, rt, lim) { const R = cpu.regs, ...; let r0 = R[0] ...;
 *     try { ...instructions...; exits: write back, cpu.eip = ..., cpu.icount = ic0 + n, return code }
 *     catch (e) { write back; cpu.icount = ic0 + k; cpu.insnEip = X[k]; throw e; } }
 *   //# sourceURL=x86jit/block_<physaddr hex>.js
 */
import { OpKind, type Insn } from '../frontend/insn.js';
import { flushLocalFlags, getAF, getCF, getOF, getPF, getSF, getZF, LOCAL_FLAG_GETTERS, PARITY, testCC, testLocalCC } from '../cpu/flags.js';
import { raise } from '../cpu/fault.js';
import { bindHandler } from '../cpu/sem/interp-gen.js';
import { Block, Exit, type RegionFn } from './block.js';
import { ModeBit } from './mode.js';
import { emitInline, canInline, fullyDefinesFlags, flushFlags, flushText, FLAGS_DYN } from './emit-inline.js';
import { Flag } from '../frontend/table-types.js';
import { Mn, mnemonicName } from '../frontend/mnemonics.js';
import { compileGenerated } from './compile.js';

/** Predicted targets an indirect exit of a region block is compared with, at most. */
const MAX_INDIRECT_TARGETS = 4;

/** Parameters of a block factory (README.md: the runtime API). */
export const BLOCK_FACTORY_PARAMS = ['H', 'I', 'X', 'TC', 'GF', 'FL', 'RAISE', 'PARITY', 'LG', 'LT'] as const;

/** Flag getters by flag-exprs.ts FlagIx (GF). */
const FLAG_GETTERS = [getCF, getPF, getAF, getZF, getSF, getOF];

const PLACE_RELOAD = '\u0001RELOAD';


export class BlockEmitter {
  private readonly out: string[] = [];
  /** Registers the block keeps in locals / has ever written / written since the last sync. */
  used = 0;
  written = 0;
  dirty = 0;
  /** Where the arithmetic flags are (emit-inline.ts): FLAGS_IN_CPU (-1), FLAGS_DYN (-2), or the
   *  lazy kind pending in the locals fa/fb/fr/fx. */
  flagOp = -1;
  /** Scratch locals q0.. the templates used. */
  tmps = 0;
  /** Index of the instruction being emitted. */
  k = 0;
  /** Set by a template that emitted a store (emit-inline.ts). */
  stored = false;
  /** Instructions emitted as handler calls. */
  readonly calls = new Set<number>();
  readonly code32: boolean;
  readonly flat: boolean;
  readonly stack32: boolean;
  readonly paging: boolean;

  /** Region-wide index of this block's first instruction (H/I/X and `k` are region-wide). */
  readonly base: number;
  /** Set when the block ended with a transfer into the region (needs the loop). */
  transfers = 0;

  constructor(
    readonly blk: Block,
    /** The region being translated and this block's index in it. */
    readonly plan: RegionPlan,
    readonly bi: number,
  ) {
    this.base = plan.base[bi];
    this.code32 = (blk.mode & ModeBit.CODE32) !== 0;
    this.flat = (blk.mode & ModeBit.FLAT) !== 0;
    this.stack32 = (blk.mode & ModeBit.STACK32) !== 0;
    this.paging = (blk.mode & ModeBit.PG) !== 0;
  }

  line(s: string): void {
    this.out.push(s);
  }

  /** Local holding register `r` (read). */
  r(reg: number): string {
    this.used |= 1 << reg;
    return `r${reg}`;
  }

  /** Local holding register `r`, about to be written. */
  w(reg: number): string {
    this.used |= 1 << reg;
    this.written |= 1 << reg;
    this.dirty |= 1 << reg;
    return `r${reg}`;
  }

  /** Expression for 8-bit register `r` (AL..BH), zero-extended. */
  r8(reg: number): string {
    return reg < 4 ? `(${this.r(reg)} & 255)` : `((${this.r(reg - 4)} >> 8) & 255)`;
  }

  /** Statement writing expression `v` to 8-bit register `reg`. */
  w8(reg: number, v: string): string {
    if (reg < 4) {
      const n = this.w(reg);
      return `${n} = (${n} & -256) | ((${v}) & 255);`;
    }
    const n = this.w(reg - 4);
    return `${n} = (${n} & -65281) | (((${v}) & 255) << 8);`;
  }

  /** EIP of instruction `k` (k = length: the EIP after the block). */
  eipAt(k: number): number {
    return this.blk.eips[k];
  }

  /** Write back the registers changed since the last sync. */
  private writeBack(): string {
    let s = '';
    for (let r = 0; r < 8; r++) if ((this.dirty >> r) & 1) s += `R[${r}] = r${r}; `;
    return s;
  }

  /**
   * Leave the block after `retired` instructions of this pass. `eip` is an expression for the next
   * EIP, or null when a handler has already set cpu.eip (read into `xe` by the caller). `code` is
   * an Exit code. Every exit only assigns number literals (or locals) to `xe xn xc` and breaks to
   * the function's one epilogue, which writes back registers and flags and sets eip/insnEip/icount:
   * a path that first runs after TurboFan compiled the function then meets no operation without
   * type feedback (a first-time keyed store, named store or `+` deoptimises the function).
   */
  exit(eip: string | null, retired: number, code: number): void {
    let s = eip !== null && eip !== 'xe' ? `xe = ${eip}; ` : '';
    s += `xn = ${this.base + retired}; xc = ${this.code(code)}; break out;`;
    this.line(s);
  }

  /** A return code: this block's index in the region times 4 plus the Exit code. */
  private code(code: number): number {
    return (this.bi << 2) | code;
  }

  /**
   * Leave the block after `retired` instructions for the static EIP `target` (exit `code`): when
   * `target` starts a block of the region, continue there inside the function (if the budget
   * allows that whole block, no interrupt can be deliverable and no store hit the region), else
   * return to the dispatcher. `last` = nothing follows in this block's code (so a transfer to the
   * next case falls into it).
   */
  transfer(target: number, retired: number, code: number, last: boolean, storeBefore: boolean): void {
    const plan = this.plan;
    const j = plan.index.get(target);
    if (j === undefined) {
      this.exit(String(target), retired, code);
      return;
    }
    this.transfers++;
    const dst = plan.blocks[j];
    const d = this.base + retired - plan.base[j];
    // The flags stay in the locals (the blocks of a looped function start in state FLAGS_DYN);
    // leaving flushes them (the epilogue). The budget check is made before ic0 moves to the
    // target block's numbering (ic0 + d > ie - (base + length)), so the exit is the ordinary one.
    const leave = this.exitText(String(target), retired, code);
    const stop = storeBefore ? ' || rt.stop !== 0' : '';
    // Interrupts: the dispatcher polled before entering (Cpu.pollInterrupts), so whatever was
    // pending then is not deliverable (IF, the NMI block, TF/RF/DR7 and interrupt shadows cannot
    // change inside a region); only a change at the controllers (intrDirty: MMIO, delivery, a new
    // slice) can make something deliverable.
    this.line(`if (ic0 > ie - ${plan.base[j] + dst.length + d} || cpu.intrDirty${stop}) { ${leave} }`);
    if (d !== 0) this.line(`ic0 += ${d};`);
    if (plan.blocks.length === 1) this.line(`continue;`);
    else if (!(last && j === this.bi + 1)) this.line(`pc = ${j}; continue;`);
  }

  /**
   * Leave the block after `retired` instructions for the EIP in local `t`, reached by an indirect
   * near branch (RET; JMP/CALL through a register or memory, run by their handler): a region first
   * compares `t` with the blocks predicted for it (RegionPlan.indirect) and continues inside the
   * function at a match, under transfer()'s conditions. Same page mappings (Region.span), mode and
   * CS base hold for every block of the region, so the EIP alone identifies the block.
   */
  transferIndirect(t: string, retired: number, storeBefore: boolean): void {
    const plan = this.plan;
    const stop = storeBefore ? ' && rt.stop === 0' : '';
    for (const j of plan.indirect[this.bi]) {
      this.transfers++;
      const dst = plan.blocks[j];
      const d = this.base + retired - plan.base[j];
      this.line(`if (${t} === ${dst.eips[0]} && ic0 <= ie - ${plan.base[j] + dst.length + d} && !cpu.intrDirty${stop}) { ${d !== 0 ? `ic0 += ${d}; ` : ''}pc = ${j}; continue; }`);
    }
    this.exit(t, retired, Exit.OTHER);
  }

  /**
   * The check after an instruction that stored: into a page holding code (SMC, rt.stop), or into
   * MMIO, which may have made an interrupt deliverable (the machine sets cpu.intrDirty on every
   * MMIO access; it is clear at every block entry, as the dispatcher polls first): leave, so the
   * interrupt is taken after this instruction as the interpreter takes it. Only a store that took
   * cpu.writeMem can have done either (the fast path writes RAM of a page without code), and it
   * sets `sw`: a loop of fast stores then tests one local instead of two fields.
   */
  stopCheck(): void {
    const k = this.k;
    this.line(`if (sw !== 0 && (rt.stop !== 0 || cpu.intrDirty)) { ${this.exitText(String(this.eipAt(k + 1)), k + 1, Exit.OTHER)} }`);
  }

  private exitText(eip: string | null, retired: number, code: number): string {
    const n = this.out.length;
    this.exit(eip, retired, code);
    return this.out.splice(n, 1)[0];
  }

  /** Mark the current instruction as one that can fault (for the catch clause). */
  faultPoint(): void {
    this.line(`k = ${this.base + this.k};`);
  }

  /** Emit the instruction as a call to its interpreter handler. */
  emitHandlerCall(i: Insn, last: boolean): void {
    const k = this.k;
    const g = this.base + k;
    this.calls.add(g);
    flushFlags(this);
    this.line(`k = ${g}; ${this.writeBack()}cpu.icount = ic0 + ${g}; cpu.insnEip = ${this.eipAt(k)}; cpu.eip = ${this.eipAt(k + 1)};`);
    this.dirty = 0;
    // c = 1 while the handler runs: if it throws, cpu.regs hold the truth (REP string ops commit
    // their progress before a fault) and the catch must not overwrite them with the locals.
    this.line(`c = 1; H${g}(cpu, I${g}); c = 0;`);
    this.line(PLACE_RELOAD);
    this.flagOp = -1;
    if (last) this.handlerExit(i);
    else {
      // A handler may leave EIP elsewhere than the next instruction (a REP string instruction
      // yielding after a chunk rewinds it to itself): leave the block then, as after a store into
      // the running block or an MMIO access (stopCheck).
      const next = this.eipAt(k + 1);
      this.line(`xe = cpu.eip;`);
      this.line(`if (rt.stop !== 0 || xe !== ${next} || cpu.intrDirty) { ${this.exitText(null, k + 1, Exit.OTHER)} }`);
    }
  }

  /**
   * Exit after a block-ending handler call. Only a relative branch (which cannot change the mode)
   * may report TAKEN/FALLTHROUGH, the codes the dispatcher chains on (and may continue inside the
   * region); anything else is OTHER.
   */
  private handlerExit(i: Insn): void {
    const k = this.k;
    this.line(`xe = cpu.eip;`);
    if (i.k0 !== OpKind.Rel) {
      // The handler may have stored (CALL's return address): the checks test rt.stop.
      this.transferIndirect('xe', k + 1, true);
      return;
    }
    const fall = this.eipAt(k + 1);
    const t = relTarget(i, fall);
    const plan = this.plan;
    if (plan.index.has(t) || plan.index.has(fall)) {
      // The handler may have stored (CALL in a non-flat mode): the transfer checks rt.stop.
      this.line(`if (xe === ${t}) {`);
      this.transfer(t, k + 1, Exit.TAKEN, false, true);
      this.line(`}`);
      if (fall !== t) {
        this.line(`if (xe === ${fall}) {`);
        this.transfer(fall, k + 1, Exit.FALLTHROUGH, false, true);
        this.line(`}`);
      }
      this.exit(null, k + 1, Exit.OTHER);
      return;
    }
    // Both comparisons run on every pass (no first-time compare on a rare side).
    this.line(`xn = ${this.base + k + 1}; xc = xe === ${fall} ? ${this.code(Exit.FALLTHROUGH)} : ${this.code(Exit.OTHER)}; if (xe === ${t}) xc = ${this.code(Exit.TAKEN)}; break out;`);
  }

  /** Number of lines emitted so far. */
  mark(): number {
    return this.out.length;
  }

  /**
   * Drop, among the lines emitted since `from`, assignments `qN = <expr>;` to a scratch that no
   * later line reads, when `<expr>` calls nothing but the flag getters (GF, LG) (e.g. the old flags a
   * template gathered for a flag write that dead-flag elimination dropped). Loads stay: they fault.
   */
  dropDeadScratch(from: number): void {
    const out = this.out;
    for (let changed = true; changed; ) {
      changed = false;
      for (let n = out.length - 1; n >= from; n--) {
        const m = /^(q\d+) = ([^;]*);$/.exec(out[n]);
        if (m === null || /[A-Za-z_$\]]\s*\(/.test(m[2].replace(/GF\[\d\]\(cpu\)|LG\[\d\]\(cpu, fo, fa, fb, fr, fx\)/g, '0'))) continue;
        const re = new RegExp(`\\b${m[1]}\\b`);
        let read = false;
        for (let j = n + 1; j < out.length && !read; j++) read = re.test(out[j]);
        if (!read) {
          out.splice(n, 1);
          changed = true;
        }
      }
    }
  }

  /** The emitted lines (PLACE_RELOAD marks where registers are reloaded after a handler call). */
  lines(): readonly string[] {
    return this.out;
  }
}

/** Target EIP of a relative branch ending at `next` (SDM Vol. 2 JMP/Jcc: 16-bit operand size
 *  truncates EIP to 16 bits). */
export function relTarget(i: Insn, next: number): number {
  return i.osize === 2 ? (next + i.v0) & 0xffff : (next + i.v0) | 0;
}

/**
 * Dead-flag analysis: true when the arithmetic flags written by instruction `k` are overwritten by
 * a later inline instruction of this block before anything can read or observe them (a read, a
 * handler call, a possible fault, a block exit, including the SMC exit after `k`'s own store).
 */
export function flagsDeadAfter(em: BlockEmitter, k: number): boolean {
  const insns = em.blk.insns;
  // A memory destination may end the block right after this instruction (a store into the
  // running block stops it): the flags are then live at that exit.
  if (mayFault(em, insns[k])) return false;
  // Per-flag liveness from the table: the flags of `k` still to be redefined.
  let live = Flag.ARITH;
  for (let j = k + 1; j < insns.length - 1; j++) {
    const i = insns[j];
    if (!canInline(em, i)) return false;
    const e = i.entry;
    if (e === null) return false;
    const x = flagUse(i, e.flagsRead, e.flagsWritten, e.flagsUndefined);
    if ((x.uses & live) !== 0) return false;
    if (mayFault(em, i)) return false;
    live &= fullyDefinesFlags(i) ? 0 : ~x.defs;
    if (live === 0) return true;
  }
  return false;
}

const SHIFTS = new Uint8Array(512);
for (const mn of [Mn.SHL, Mn.SAL, Mn.SHR, Mn.SAR, Mn.ROL, Mn.ROR, Mn.RCL, Mn.RCR]) SHIFTS[mn] = 1;
const flagUseOut = { uses: 0, defs: 0 };

/**
 * The arithmetic flags `i` reads and the ones it sets regardless of their old values, from the
 * table. A flag the instruction leaves undefined counts as neither (the templates may keep it).
 * Shifts and rotates by a non-zero immediate (or by one) read nothing but RCL/RCR's CF, and define
 * every flag they write, OF included (the table lists the zero-count case, where all pass through).
 */
function flagUse(i: Insn, read: number, written: number, undef: number): { uses: number; defs: number } {
  const o = flagUseOut;
  if (SHIFTS[i.mn] !== 0 && (i.k1 === OpKind.None || (i.k1 === OpKind.Imm && (i.v1 & 31) !== 0))) {
    o.uses = i.mn === Mn.RCL || i.mn === Mn.RCR ? Flag.CF : 0;
    // SHL/SHR/SAR also clear AF (undefined; Intel clears it, exec as the templates do).
    o.defs = i.mn === Mn.ROL || i.mn === Mn.ROR || i.mn === Mn.RCL || i.mn === Mn.RCR ? written & Flag.ARITH : Flag.ARITH;
    return o;
  }
  o.uses = read & Flag.ARITH;
  o.defs = written & ~undef & Flag.ARITH;
  return o;
}

/**
 * Can inline code for `i` raise a guest fault? Any memory access can: even with flat segments and
 * paging off, an access that wraps past 4 GiB fails the limit check (#GP, SDM Vol. 3 §5.3).
 */
export function mayFault(em: BlockEmitter, i: Insn): boolean {
  void em;
  const m = OpKind.Mem, o = OpKind.Moffs;
  return i.k0 === m || i.k1 === m || i.k2 === m || i.k0 === o || i.k1 === o || IMPLICIT_FAULT[i.mn] !== 0;
}

/** Instructions that can fault without a memory operand: implicit stack or string accesses, #DE. */
const IMPLICIT_FAULT = new Uint8Array(512);
for (const mn of [Mn.PUSH, Mn.POP, Mn.LEAVE, Mn.ENTER, Mn.PUSHA, Mn.POPA, Mn.DIV, Mn.IDIV, Mn.XLAT, Mn.CALL, Mn.RET,
  Mn.MOVS, Mn.STOS, Mn.LODS, Mn.CMPS, Mn.SCAS, Mn.BOUND]) IMPLICIT_FAULT[mn] = 1;

/**
 * What a translation covers: the blocks of one function (one block, or a region: blocks of one
 * physical page in one mode, entered at any of them), the region-wide index of each block's first
 * instruction, and which EIPs start a block of the function.
 */
export class RegionPlan {
  readonly base: Int32Array;
  readonly index = new Map<number, number>();
  /** Region-wide instruction count; X = EIP of each instruction. */
  readonly count: number;
  readonly eips: Int32Array;

  /**
   * Per block ending in an indirect near branch: the blocks of the region its target is checked
   * against to continue inside the function (transferIndirect). They are the successors the
   * dispatcher last saw (Block.nextI/nextI2) and, after a RET, the return sites of the region's
   * CALLs; at most MAX_INDIRECT_TARGETS.
   */
  readonly indirect: number[][];

  constructor(readonly blocks: readonly Block[]) {
    this.base = new Int32Array(blocks.length);
    let n = 0;
    for (let j = 0; j < blocks.length; j++) {
      this.base[j] = n;
      n += blocks[j].length;
      this.index.set(blocks[j].eip, j);
    }
    this.count = n;
    this.eips = new Int32Array(n + 1);
    for (let j = 0; j < blocks.length; j++) this.eips.set(blocks[j].eips.subarray(0, blocks[j].length), this.base[j]);
    const returnSites: number[] = [];
    for (const b of blocks) {
      const j = b.length > 0 && b.insns[b.length - 1].mn === Mn.CALL ? this.index.get(b.eips[b.length]) : undefined;
      if (j !== undefined && !returnSites.includes(j)) returnSites.push(j);
    }
    this.indirect = blocks.map((b) => {
      const out: number[] = [];
      if (blocks.length < 2 || !b.nearExit) return out;
      const lastMn = b.insns[b.length - 1].mn;
      const add = (j: number | undefined): void => {
        if (j !== undefined && !out.includes(j) && out.length < MAX_INDIRECT_TARGETS) out.push(j);
      };
      for (const p of [b.nextI, b.nextI2]) {
        const j = p !== null ? this.index.get(p.eip) : undefined;
        if (j !== undefined && blocks[j] === p) add(j);
      }
      if (lastMn === Mn.RET) for (const j of returnSites) add(j);
      return out;
    });
  }
}

/** Emit every instruction of block `bi` of `plan`; `initialDirty` = registers to treat as changed at entry. */
function emitBlock(plan: RegionPlan, bi: number, initialDirty: number, looped: boolean): BlockEmitter {
  const blk = plan.blocks[bi];
  const em = new BlockEmitter(blk, plan, bi);
  // Entered from another block of the function, a block finds the flags wherever that block left
  // them (fo says): transfers keep them in the locals, so a loop stores no flags per iteration.
  if (looped) em.flagOp = FLAGS_DYN;
  em.dirty = initialDirty;
  em.written = initialDirty;
  em.used = initialDirty;
  const insns = blk.insns;
  const n = insns.length;
  let ended = false;
  for (let k = 0; k < n; k++) {
    em.k = k;
    const i = insns[k];
    const last = k === n - 1;
    em.line(`// 0x${(blk.eips[k] >>> 0).toString(16)} ${mnemonicName[i.mn]}`);
    if (canInline(em, i)) ended = emitInline(em, i, last);
    else {
      em.emitHandlerCall(i, last);
      ended = last;
    }
  }
  if (!ended) em.transfer(blk.eips[n], n, Exit.FALLTHROUGH, true, em.stored);
  return em;
}

/** Factory of a translated function. */
type Factory = (h: unknown[], i: Insn[], x: Int32Array, tc: typeof testCC, gf: typeof FLAG_GETTERS, fl: typeof flushLocalFlags, rs: typeof raise, par: Uint8Array, lg: typeof LOCAL_FLAG_GETTERS, lt: typeof testLocalCC) => RegionFn;

/**
 * Translate `blocks` (one block, or the blocks of a region: same mode and CS base, up to 4 linear
 * pages) into one function and its source. A block's direct branches and fall-through to a block of
 * the same function continue inside it, and so do its predicted indirect branches (README.md
 * "Regions").
 */
export function translateRegion(blocks: readonly Block[]): { fn: RegionFn; source: string; calls: Set<number> } {
  const plan = new RegionPlan(blocks);
  let ems = blocks.map((_, j) => emitBlock(plan, j, 0, false));
  let written = 0;
  let transfers = 0;
  for (const em of ems) {
    written |= em.written;
    transfers += em.transfers;
  }
  // Registers stay in locals across blocks: every register any block writes may be dirty at any
  // exit once control can pass from block to block, so emit again with those marked dirty.
  const looped = transfers > 0;
  if (looped) ems = blocks.map((_, j) => emitBlock(plan, j, written, true));
  if (blocks.length === 1) blocks[0].selfLoop = looped;
  const source = assemble(plan, ems, looped);
  const factory = compileGenerated<Factory>(BLOCK_FACTORY_PARAMS, source);
  const insns: Insn[] = [];
  for (const b of blocks) for (const i of b.insns) insns.push(i);
  const hs = insns.map((i) => bindHandler(i));
  const calls = new Set<number>();
  for (const em of ems) for (const g of em.calls) calls.add(g);
  return { fn: factory(hs, insns, plan.eips, testCC, FLAG_GETTERS, flushLocalFlags, raise, PARITY, LOCAL_FLAG_GETTERS, testLocalCC), source, calls };
}

/** Assemble the function source from the emitted blocks. */
function assemble(plan: RegionPlan, ems: BlockEmitter[], looped: boolean): string {
  const multi = plan.blocks.length > 1;
  const first = plan.blocks[0];
  let used = 0;
  let written = 0;
  const names: string[] = [];
  for (const em of ems) {
    used |= em.used;
    written |= em.written;
    for (const g of [...em.calls].sort((x, y) => x - y)) names.push(`H${g} = H[${g}], I${g} = I[${g}]`);
  }
  const loads: string[] = [];
  const reload: string[] = [];
  const catchWb: string[] = [];
  for (let r = 0; r < 8; r++) {
    if ((used >> r) & 1) {
      loads.push(`r${r} = R[${r}]`);
      reload.push(`r${r} = R[${r}];`);
    }
    if ((written >> r) & 1) catchWb.push(`R[${r}] = r${r};`);
  }
  const reloadText = reload.join(' ');
  const body: string[] = [];
  for (let j = 0; j < ems.length; j++) {
    if (multi) body.push(`case ${j}:`);
    for (const l of ems[j].lines()) body.push(l === PLACE_RELOAD ? reloadText : l);
  }
  const tlbSuffix = ((first.mode >> ModeBit.CPL_SHIFT) & 3) === 3 ? 'U' : 'S';
  // Declare only the runtime views and scratch locals the body uses (smaller source: faster to
  // compile, less work per entry).
  const text = body.join('\n');
  const uses = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(text);
  const views: string[] = [];
  if (loads.length > 0 || catchWb.length > 0 || uses('R')) views.push('R = cpu.regs');
  if (uses('LF')) views.push('LF = cpu.lf');
  const tr = uses('TR'), tw = uses('TW');
  if (tr || tw) views.push('M = cpu.mmu');
  if (tr) views.push(`TR = M.tlbRead${tlbSuffix}`);
  if (tw) views.push(`TW = M.tlbWrite${tlbSuffix}`);
  if (uses('CP')) views.push('CP = rt.codePages');
  if (uses('SB')) views.push('SB = cpu.segBase');
  if (uses('M8')) views.push('M8 = rt.u8');
  if (uses('M16')) views.push('M16 = rt.u16');
  if (uses('M32')) views.push('M32 = rt.i32');
  // ic0 + g = cpu.icount before region-wide instruction g of the block being run; ie = the icount
  // the budget allows.
  const scratch = multi ? ['ic0 = cpu.icount - ib'] : ['ic0 = cpu.icount'];
  if (looped) scratch.push(multi ? 'ie = ic0 + ib + lim' : 'ie = ic0 + lim');
  scratch.push('k = 0', 'c = 0', 'xe = 0', 'xn = 0', 'xc = 0');
  // The catch flushes the flag locals whenever the body keeps flags in them (fo).
  const fo = uses('fo');
  for (const v of ['a', 'o', 'l', 'h', 't', 'u', 'sw', 'fa', 'fb', 'fr', 'fx']) if (uses(v) || (fo && v[0] === 'f')) scratch.push(`${v} = 0`);
  if (fo) scratch.push('fo = -1');
  let tmps = 0;
  for (const em of ems) tmps = Math.max(tmps, em.tmps);
  for (let n = 0; n < tmps; n++) scratch.push(`q${n} = 0`);
  const hex = (x: number) => (x >>> 0).toString(16);
  const what = multi
    ? `// guest region: ${plan.blocks.length} blocks of physical page 0x${hex(first.phys >>> 12 << 12)}, mode ${first.mode}`
    : `// guest block at physical 0x${hex(first.phys)}, EIP 0x${hex(first.eip)}, mode ${first.mode}`;
  const head = [
    `"use strict";`,
    what,
    names.length > 0 ? `const ${names.join(', ')};` : '',
    multi ? `return (function region(cpu, rt, lim, pc, ib) {` : `return (function block(cpu, rt, lim) {`,
    views.length > 0 ? `const ${views.join(', ')};` : '',
    `let ${scratch.join(', ')};`,
    loads.length > 0 ? `let ${loads.join(', ')};` : '',
    `try {`,
    `out: {`,
    looped ? `for (;;) {` : '',
    multi ? `switch (pc) {` : '',
  ];
  const url = multi
    ? `region_${hex(first.phys >>> 12).padStart(5, '0')}_${first.mode}`
    : `block_${hex(first.phys).padStart(8, '0')}_${first.mode}`;
  // The one epilogue (BlockEmitter.exit): every exit sets xe (next EIP), xn (region-wide index
  // after the last instruction retired) and xc (the return code) and breaks here. Every register
  // the function writes is written back: one the exiting path did not change holds what R holds.
  const epilogue = `${catchWb.join(' ')}${fo ? ' if (fo >= 0) FL(cpu, fo, fa, fb, fr, fx);' : ''} cpu.eip = xe; cpu.insnEip = X[xn - 1]; cpu.icount = ic0 + xn; return xc;`;
  const tail = [
    multi ? `}` : '',
    looped ? `}` : '',
    `}`,
    epilogue.trimStart(),
    `} catch (e) { if (c === 0) { ${catchWb.join(' ')}${fo ? ' if (fo >= 0) FL(cpu, fo, fa, fb, fr, fx);' : ''} } cpu.icount = ic0 + k; cpu.insnEip = X[k]; throw e; }`,
    `});`,
    `//# sourceURL=x86jit/${url}.js`,
  ];
  return [...head, ...body, ...tail].filter((l) => l !== '').join('\n');
}
