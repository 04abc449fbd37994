/**
 * A translated (or translation-refused) basic block of guest code, as the code cache keeps it.
 *
 * A block starts at one guest-physical address, lies inside one 4 KiB physical page, and is valid
 * only for the CPU mode it was decoded in (`mode`, see mode.ts) and for the linear address / EIP it
 * was entered at (its EIP constants are baked into the generated code). `insns` are the block's own
 * copies of the decoded instructions (the generated code passes them to interpreter handlers).
 */
import type { Insn } from '../frontend/insn.js';
import type { Cpu } from '../cpu/cpu.js';
import type { JitRuntime } from './runtime.js';

/**
 * The dispatcher's entry into translated code at a block: runs the block and, inside a region (or a
 * self-loop block), the blocks it continues into, within `lim` guest instructions in all; returns
 * the exit code: the index (in its region) of the block that exited, times 4, plus an Exit code.
 * Leaves every register, flag, EIP and `cpu.icount` as the interpreter would after the same
 * instructions.
 */
export type BlockFn = (cpu: Cpu, rt: JitRuntime, lim: number) => number;

/** A translated function of several blocks: entered at block `pc` whose first instruction has the
 *  region-wide index `ib` (README.md "Regions"). A one-block function ignores `pc` and `ib`. */
export type RegionFn = (cpu: Cpu, rt: JitRuntime, lim: number, pc: number, ib: number) => number;

/** Exit codes of a block function; the dispatcher follows `Block.next[code]` for 0 and 1. */
export const Exit = {
  /** Direct branch taken: EIP = the block's static branch target. */
  TAKEN: 0,
  /** Fell through (or not taken): EIP = the address after the block's last instruction. */
  FALLTHROUGH: 1,
  /** Anything else (indirect branch, far transfer, stop after a write into code...): full lookup. */
  OTHER: 2,
} as const;

export class Block {
  /** Generated function, or null when the block could not be translated (interpret it). */
  fn: BlockFn | null = null;
  /** Generated source (kept for tests, verify mode and profiles). */
  source = '';
  /** False once invalidated (self-modifying code); links to it are then ignored. */
  valid = true;
  /** Successor blocks for Exit.TAKEN / Exit.FALLTHROUGH, set by the dispatcher (chaining). */
  next0: Block | null = null;
  next1: Block | null = null;
  /** The link next0 / next1 leads to another linear or physical page: it is followed only while
   *  that page still maps where the successor was decoded (engine.ts `mapped`). */
  cross0 = false;
  cross1 = false;
  /** The last two distinct blocks the dispatcher found after an indirect exit of this block (RET,
   *  JMP/CALL through a register or memory): the predictions a region checks such an exit
   *  against to continue inside its function (emit.ts transferIndirect). */
  nextI: Block | null = null;
  nextI2: Block | null = null;
  /** Times the dispatcher entered the block, and guest instructions retired from those entries
   *  (in a region: also by the blocks it continued into) (for profiles). */
  runs = 0;
  retired = 0;
  /** Instructions of the block its translation runs inline, as interpreter-handler calls, and of
   *  those calls the x87/SSE ones (for `--stats`: Jit.inlineShare). */
  inlineInsns = 0;
  /** Per instruction: 1 when its translation runs it inline, 0 for a handler call (tests). */
  inlined: Uint8Array = new Uint8Array(0);
  handlerInsns = 0;
  fpuCalls = 0;
  /** The block ends with a near branch (JMP, Jcc, CALL, RET, LOOPcc, JCXZ): none of its
   *  instructions can change the mode, IF, TF/RF, DR7, halt or an interrupt shadow, so after any
   *  exit of it the dispatcher may look the next block up in its target cache and enter it
   *  without its other checks (engine.ts runChain). */
  nearExit = false;
  /** True when the block branches back to its own start (compiled as a loop). */
  selfLoop = false;
  /** The translation the dispatcher enters through `fn`: the block's own, or the region holding
   *  it (then `index` is its position there). Exit codes index `region.blocks`. */
  region: Region | null = null;
  index = 0;
  /** Region-wide index of the block's first instruction (the region function's `ib`). */
  ib = 0;
  /** The entry counter of the block's physical page (engine.ts: when to build its region). */
  home: PageHeat | null = null;
  /** Region functions built with this block in them (engine.ts caps it: each build is another
   *  TurboFan compile of the block's code). */
  regionBuilds = 0;
  /** The block's own translation (kept while a region runs it, for when the region is dropped). */
  own: Region | null = null;

  constructor(
    /** Guest-physical address of the first byte. */
    readonly phys: number,
    /** Linear address and EIP it was decoded at. */
    readonly lin: number,
    readonly eip: number,
    /** Mode key (mode.ts). */
    readonly mode: number,
    /** Decoded instructions (own copies). */
    readonly insns: Insn[],
    /** EIP of each instruction, and the EIP after the last one. */
    readonly eips: Int32Array,
    /** Total byte length. */
    readonly bytes: number,
  ) {}

  /** Number of guest instructions in one pass of the block. */
  get length(): number {
    return this.insns.length;
  }
}

/** One generated function: a single block, or the blocks of a region (README.md "Regions"). */
export class Region {
  /** False once a write into one of its blocks dropped it. */
  valid = true;
  /**
   * For a region whose blocks lie in several linear pages with paging on: (linear page, physical
   * page) pairs of its blocks, which must all still hold in the TLB when it is entered (the
   * function continues from block to block without looking up; no mapping can change while it
   * runs, as every instruction that flushes the TLB ends its block with an exit to the
   * dispatcher). Null for one page, or with paging off (linear = physical).
   */
  span: Int32Array | null = null;
  constructor(
    readonly blocks: readonly Block[],
    readonly fn: RegionFn,
    readonly source: string,
  ) {}
}

/** Dispatcher entries into the blocks of one physical page since its last region check. */
export class PageHeat {
  entries = 0;
}
