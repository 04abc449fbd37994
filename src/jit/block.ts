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
 * A generated block function. Runs the block (or, for a self-loop block, up to `maxIter` iterations
 * of it) and returns an exit code (Exit). Leaves every register, flag, EIP and `cpu.icount` as the
 * interpreter would after the same instructions.
 */
export type BlockFn = (cpu: Cpu, rt: JitRuntime, maxIter: number) => number;

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
  /** Times the dispatcher entered the block (for profiles). */
  runs = 0;
  /** True when the block branches back to its own start (compiled as a loop). */
  selfLoop = false;

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
