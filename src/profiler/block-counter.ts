/**
 * Exact per-block counts of the JIT's translated blocks: entries and guest instructions retired.
 *
 *   const counter = BlockCounter.attach(machine.engine);   // null for the interpreter
 *
 * Zero cost when profiling is off: nothing is installed. When on, the counter registers itself as
 * the JIT's `onCompile` listener. The JIT's dispatcher counts every block's entries and the
 * instructions retired from them (`Block.runs` / `Block.retired`, fault paths included; src/jit
 * since ca2b84a), so the counter only reads those, relative to their values when it started: the
 * sum over blocks plus the instructions the JIT interpreted (cold code) is exactly the
 * instructions the run retired. Self-loop blocks and loop regions run several passes per entry;
 * `retired` counts them all, on the block the dispatcher entered.
 *
 * Each block's bytes are copied when it is translated (`code`), so a listing shows what was
 * translated even after the guest rewrote that memory (self-modifying code, a page reused).
 *
 * For a JIT without those counters, each new block's function is replaced by a counting wrapper
 * (one closure per compiled block, none per execution) that reads `cpu.icount` before and after.
 *
 * The JIT is reached through the small structural interface below (src/jit/engine.ts `Jit`), so this
 * file depends on no JIT internals. Once the JIT compiles regions (several blocks in one function,
 * no return to the dispatcher between them), counting moves into the generated code: see
 * README.md in this folder, "What the JIT provides".
 */
import type { Cpu } from '../cpu/cpu.js';
import type { Insn } from '../frontend/insn.js';

/** What the profiler reads of a JIT block (src/jit/block.ts `Block`). */
export interface ProfiledBlock {
  readonly phys: number;
  readonly lin: number;
  readonly eip: number;
  readonly mode: number;
  readonly insns: Insn[];
  readonly eips: Int32Array;
  readonly bytes: number;
  readonly length: number;
  fn: ((cpu: Cpu, rt: never, maxIter: number) => number) | null;
  source: string;
  valid: boolean;
  /** Dispatcher entries (src/jit/block.ts). */
  readonly runs?: number;
  /** Instructions retired, when the JIT counts them itself (README.md, request 2). */
  readonly retired?: number;
}

/** What the profiler reads of the JIT engine (src/jit/engine.ts `Jit`). */
export interface ProfiledJit {
  onCompile: ((b: never) => void) | null;
  readonly stats: { blocksCompiled: number; coldInstructions: number; invalidations: number; compileMs?: number; [k: string]: number | undefined };
  blocks(): IterableIterator<ProfiledBlock>;
}

/** A copy of `len` guest-physical bytes from `phys` (one page at most: a block never crosses one). */
export type CodeReader = (phys: number, len: number) => Uint8Array;

export function isProfiledJit(e: unknown): e is ProfiledJit {
  const j = e as ProfiledJit;
  return typeof e === 'object' && e !== null && 'onCompile' in j && typeof j.blocks === 'function' && typeof j.stats === 'object';
}

export class BlockCounter {
  /** Every block compiled while profiling, invalidated ones included, by id. */
  readonly blocks: ProfiledBlock[] = [];
  /** Per block id: its guest bytes as they were when it was translated (empty if unreadable). */
  readonly code: Uint8Array[] = [];
  entries = new Float64Array(1024);
  retired = new Float64Array(1024);
  /** Host milliseconds spent in compile() (measured here when the JIT does not report it). */
  compileMs = 0;
  /** Blocks whose counts the JIT keeps itself (`runs`/`retired`), with the values at registration
   *  or reset, subtracted when reading. Such blocks are not wrapped. */
  private readonly native: { id: number; runs0: number; retired0: number }[] = [];
  /** What detach() undoes, in reverse order. */
  private readonly undo: (() => void)[] = [];
  private detached = false;

  private constructor(readonly jit: ProfiledJit, private readonly readCode: CodeReader | null) {}

  /** Attach to `engine` if it is the JIT (else null). Blocks compiled before this are not counted.
   *  `readCode` copies a block's bytes at translation (none kept without it). */
  static attach(engine: unknown, readCode: CodeReader | null = null): BlockCounter | null {
    if (!isProfiledJit(engine)) return null;
    const c = new BlockCounter(engine, readCode);
    const jit = engine as { onCompile: ((b: ProfiledBlock) => void) | null };
    const previous = jit.onCompile;
    const listener = (b: ProfiledBlock) => {
      if (previous !== null) previous(b);
      c.register(b);
    };
    jit.onCompile = listener;
    c.undo.push(() => {
      if (jit.onCompile === listener) jit.onCompile = previous;
    });
    c.timeCompiles();
    return c;
  }

  /**
   * Stop counting: the JIT gets its own listener, compile method and block functions back (so a
   * run after profiling pays nothing). The counts taken so far stay readable.
   */
  detach(): void {
    this.sync();
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]();
    this.undo.length = 0;
    this.detached = true;
  }

  /** Zero every count (blocks stay registered). */
  reset(): void {
    this.entries.fill(0);
    this.retired.fill(0);
    for (const n of this.native) {
      const b = this.blocks[n.id];
      n.runs0 = b.runs ?? 0;
      n.retired0 = b.retired ?? 0;
    }
  }

  /** Bring the counts of blocks the JIT counts itself into `entries` / `retired`. */
  sync(): void {
    if (this.detached) return;
    for (const n of this.native) {
      const b = this.blocks[n.id];
      this.entries[n.id] = (b.runs ?? 0) - n.runs0;
      this.retired[n.id] = (b.retired ?? 0) - n.retired0;
    }
  }

  /** Instructions retired inside counted blocks. */
  totalRetired(): number {
    this.sync();
    let t = 0;
    for (let i = 0; i < this.blocks.length; i++) t += this.retired[i];
    return t;
  }

  private register(b: ProfiledBlock): void {
    const inner = b.fn;
    if (inner === null || this.detached) return;
    const id = this.blocks.length;
    this.blocks.push(b);
    this.code.push(this.readCode !== null ? this.readCode(b.phys, b.bytes) : new Uint8Array(0));
    if (id === this.entries.length) {
      this.entries = grow(this.entries);
      this.retired = grow(this.retired);
    }
    if (typeof b.retired === 'number' && typeof b.runs === 'number') {
      this.native.push({ id, runs0: b.runs, retired0: b.retired });
      return;
    }
    const self = this;
    const counted = (b.fn = function counted(cpu: Cpu, rt: never, maxIter: number): number {
      const before = cpu.icount;
      try {
        return inner(cpu, rt, maxIter);
      } finally {
        self.entries[id]++;
        self.retired[id] += cpu.icount - before;
      }
    });
    this.undo.push(() => {
      if (b.fn === counted) b.fn = inner;
    });
  }

  /**
   * Compile time: taken from `stats.compileMs` when the JIT keeps it; until then, by timing the
   * JIT's `compile` method from outside (a wrapper installed on this instance only).
   */
  private timeCompiles(): void {
    const jit = this.jit as unknown as { compile?: (...a: unknown[]) => unknown };
    if (typeof this.jit.stats.compileMs === 'number' || typeof jit.compile !== 'function') return;
    const original = jit.compile;
    const own = Object.prototype.hasOwnProperty.call(jit, 'compile');
    const self = this;
    this.undo.push(() => {
      if (own) jit.compile = original;
      else delete jit.compile;
    });
    jit.compile = function timedCompile(this: unknown, ...a: unknown[]): unknown {
      const t0 = performance.now();
      try {
        return original.apply(this, a);
      } finally {
        self.compileMs += performance.now() - t0;
      }
    };
  }

  /** Compile time in ms: the JIT's own figure if it keeps one, else ours. */
  compileTimeMs(): number {
    const own = this.jit.stats.compileMs;
    return typeof own === 'number' ? own : this.compileMs;
  }
}

function grow(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
