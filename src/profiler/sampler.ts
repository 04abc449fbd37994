/**
 * Guest-EIP sampler: every `period` retired guest instructions, record where the guest is (linear
 * EIP) and, in kernel mode, a shallow call stack from the frame-pointer chain.
 *
 *   const sampler = new Sampler(cpu, phys, { period: 10_000, maxDepth: 16 });
 *   machine.engine = new SamplingEngine(machine.engine, cpu, sampler);  // profile-hooks.ts does this
 *
 * Sampling is by instruction count, like a PMU counting INST_RETIRED: SamplingEngine splits each
 * engine slice so that it ends exactly at the next multiple of `period` (counted from the moment
 * sampling started), so `samples === floor(instructions retired / period)` and each sample stands
 * for `period` instructions. The host time at each sample is kept too (time shares of the host).
 *
 * No allocation per sample: counts per EIP live in an open-addressing hash table of typed arrays,
 * the sample log in a growable Int32Array (grown by doubling, so amortised).
 *
 * Stack walk (CPL 0 only): Linux i386 is built with frame pointers (no ORC unwinder on 32-bit), so
 * [EBP] = caller's EBP and [EBP+4] = return address. If the sample falls where the newest frame
 * is not linked (at `push ebp` or `ret`: return address at [ESP]; at `mov ebp,esp`: at [ESP+4]), the
 * caller's return address is read from the stack first, so the direct caller is not skipped. A frame that leaves the
 * stack window, goes downwards, or returns outside the text range ends the walk.
 */
import type { Cpu } from '../cpu/cpu.js';
import { Seg } from '../frontend/insn.js';
import type { PhysMemory } from '../mem/phys.js';
import { GuestPeek } from '../cpu/guest-peek.js';

/** What the profiler runs and wraps: a machine's execution engine (src/machine/engine.ts `Engine`,
 *  the interpreter or the JIT), declared here so that the profiler imports nothing of machine/. */
export interface ProfiledEngine {
  run(budget: number): number;
  statsLines?(): string[];
}

export interface SamplerOptions {
  /** Guest instructions per sample (>= 1). */
  period: number;
  /** Frames recorded per sample, the sampled EIP included (1 = no stack walk). */
  maxDepth: number;
  /** Return addresses outside [textLow, textHigh) end a stack walk (e.g. the kernel's text). */
  textLow?: number;
  textHigh?: number;
}

/** Sample header word: frame count in bits 0-7, flags above. */
export const SampleFlag = {
  /** Sampled at CPL 3 (user mode): no stack walk. */
  USER: 1 << 8,
} as const;

/** Largest distance from ESP at which a frame pointer is believed (two 8 KiB thread stacks). */
const STACK_WINDOW = 0x4000;

export class Sampler {
  readonly period: number;
  readonly maxDepth: number;
  readonly textLow: number;
  readonly textHigh: number;
  /** Guest instruction count when sampling started. */
  startIcount: number;
  /** Instruction count at which the next sample is due. */
  nextAt: number;
  samples = 0;
  /** Host time (performance.now()) when sampling started, and at each sample (ms). */
  startTime: number;
  times = new Float64Array(1024);
  /** Sample log: per sample a header (SampleFlag | depth) then `depth` linear addresses, leaf first. */
  log = new Int32Array(4096);
  logLen = 0;
  /** EIP histogram: open addressing, `used` marks a slot, capacity a power of two. */
  keys = new Int32Array(4096);
  used = new Uint8Array(4096);
  counts = new Int32Array(4096);
  distinct = 0;
  /** 32 - log2(capacity of the histogram). */
  private hashShift = 20;
  private readonly peek: GuestPeek;

  constructor(
    private readonly cpu: Cpu,
    phys: PhysMemory,
    opts: SamplerOptions,
  ) {
    if (!(opts.period >= 1) || !Number.isInteger(opts.period)) throw new Error(`sampling period must be a positive integer (got ${opts.period})`);
    this.period = opts.period;
    this.maxDepth = Math.max(1, Math.min(64, opts.maxDepth | 0));
    this.textLow = (opts.textLow ?? 0xc0000000) >>> 0;
    this.textHigh = opts.textHigh ?? 0x100000000;
    this.peek = new GuestPeek(cpu, phys);
    this.startIcount = cpu.icount;
    this.nextAt = cpu.icount + this.period;
    this.startTime = performance.now();
  }

  /** Start counting from the CPU's current instruction count (after loading, before running). */
  restart(): void {
    this.startIcount = this.cpu.icount;
    this.nextAt = this.startIcount + this.period;
    this.startTime = performance.now();
    this.samples = 0;
    this.logLen = 0;
    this.used.fill(0);
    this.counts.fill(0);
    this.distinct = 0;
  }

  /** Instructions retired since sampling started. */
  retired(): number {
    return this.cpu.icount - this.startIcount;
  }

  /** Record one sample of the current guest state. */
  sample(): void {
    const cpu = this.cpu;
    const eip = (cpu.segBase[Seg.CS] + cpu.eip) | 0;
    this.count(eip);
    if (this.samples === this.times.length) this.times = grow64(this.times);
    this.times[this.samples] = performance.now();
    this.samples++;
    if (this.logLen + this.maxDepth + 1 > this.log.length) this.log = grow32(this.log);
    const log = this.log;
    const head = this.logLen;
    log[head + 1] = eip;
    let depth = 1;
    if (cpu.cpl === 3) log[head] = SampleFlag.USER | 1;
    else {
      if (this.maxDepth > 1 && cpu.code32) depth = this.walk(head + 1, eip);
      log[head] = depth;
    }
    this.logLen = head + 1 + depth;
  }

  /** Frame-pointer walk; writes return addresses after the leaf at log[at]; returns the depth. */
  private walk(at: number, eip: number): number {
    const cpu = this.cpu;
    const peek = this.peek;
    const log = this.log;
    const ssBase = cpu.segBase[Seg.SS];
    const esp = cpu.regs[4] >>> 0;
    let ebp = cpu.regs[5] >>> 0;
    let depth = 1;
    peek.ok = true;
    // In a prologue the newest frame is not linked yet: take the return address from the stack.
    const op = peek.read8(eip);
    let ret = 0;
    if (op === 0x55 || op === 0xc3 || op === 0xc2) ret = peek.read32((ssBase + esp) | 0);
    else if (op === 0x89 && peek.read8((eip + 1) | 0) === 0xe5) ret = peek.read32((ssBase + esp + 4) | 0);
    if (peek.ok && ret !== 0 && this.inText(ret)) log[at + depth++] = ret | 0;
    peek.ok = true;
    while (depth < this.maxDepth) {
      if ((ebp & 3) !== 0 || ebp < esp || ebp - esp > STACK_WINDOW) break;
      const next = peek.read32((ssBase + ebp) | 0);
      ret = peek.read32((ssBase + ebp + 4) | 0);
      if (!peek.ok || !this.inText(ret)) break;
      log[at + depth++] = ret | 0;
      if (next <= ebp) break;
      ebp = next;
    }
    return depth;
  }

  private inText(a: number): boolean {
    return a >= this.textLow && a < this.textHigh;
  }

  /** Fibonacci hashing: the top log2(capacity) bits of eip * 2^32/phi. */
  private slot(eip: number): number {
    return Math.imul(eip, 0x9e3779b1) >>> this.hashShift;
  }

  private count(eip: number): void {
    const mask = this.keys.length - 1;
    let i = this.slot(eip);
    for (;;) {
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.keys[i] = eip;
        this.counts[i] = 1;
        if (++this.distinct * 2 > this.keys.length) this.rehash();
        return;
      }
      if (this.keys[i] === eip) {
        this.counts[i]++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  private rehash(): void {
    const { keys, used, counts } = this;
    const cap = keys.length * 2;
    this.keys = new Int32Array(cap);
    this.used = new Uint8Array(cap);
    this.counts = new Int32Array(cap);
    const mask = cap - 1;
    this.hashShift--;
    for (let j = 0; j < keys.length; j++) {
      if (used[j] === 0) continue;
      let i = this.slot(keys[j]);
      while (this.used[i] !== 0) i = (i + 1) & mask;
      this.used[i] = 1;
      this.keys[i] = keys[j];
      this.counts[i] = counts[j];
    }
  }

  /** Samples per linear EIP (unsigned keys), for reports. */
  histogram(): Map<number, number> {
    const out = new Map<number, number>();
    for (let i = 0; i < this.keys.length; i++) if (this.used[i] !== 0) out.set(this.keys[i] >>> 0, this.counts[i]);
    return out;
  }

  /** Calls `fn(frames, user)` for every sample (frames leaf first, unsigned; the array is reused). */
  forEachSample(fn: (frames: number[], user: boolean, index: number) => void): void {
    const frames: number[] = [];
    let p = 0;
    for (let s = 0; s < this.samples; s++) {
      const head = this.log[p];
      const depth = head & 0xff;
      frames.length = 0;
      for (let k = 0; k < depth; k++) frames.push(this.log[p + 1 + k] >>> 0);
      fn(frames, (head & SampleFlag.USER) !== 0, s);
      p += 1 + depth;
    }
  }
}

/**
 * An Engine that runs the machine's engine in pieces ending exactly at sample points. Same
 * contract as Cpu.run: returns the instructions retired (faults counted as the inner engine counts
 * them), never more than `budget`, early on HLT.
 */
export class SamplingEngine implements ProfiledEngine {
  constructor(
    readonly inner: ProfiledEngine,
    private readonly cpu: Cpu,
    readonly sampler: Sampler,
  ) {}

  run(budget: number): number {
    const cpu = this.cpu;
    const sampler = this.sampler;
    let done = 0;
    while (done < budget) {
      const until = sampler.nextAt - cpu.icount;
      if (until <= 0) {
        sampler.sample();
        sampler.nextAt += sampler.period;
        continue;
      }
      const n = this.inner.run(Math.min(budget - done, until));
      done += n;
      if (cpu.icount >= sampler.nextAt) {
        sampler.sample();
        sampler.nextAt += sampler.period;
      }
      if (n === 0 || cpu.halted) break;
    }
    return done;
  }
}

function grow32(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function grow64(a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}
