/**
 * A profiling session on one Machine: the sampler (both engines) plus, with the JIT, exact
 * per-block counters. The hook a machine or CLI needs is one call after `machine.init()`:
 *
 *   const prof = Profiler.attach(machine, { period: 10_000 });  // wraps machine.engine
 *   await machine.run();
 *   const data = prof.collect(symbols);                          // profile-data.ts
 *
 * Nothing is installed unless attach is called, so a run without profiling pays nothing.
 */
import type { Cpu } from '../cpu/cpu.js';
import type { PhysMemory } from '../mem/phys.js';
import { BlockCounter, isProfiledJit } from './block-counter.js';
import { Sampler, SamplingEngine, type ProfiledEngine } from './sampler.js';

/** What the profiler needs of a machine (src/machine/machine.ts `Machine` has all of it). */
export interface ProfiledMachine {
  readonly cpu: Cpu;
  readonly phys: PhysMemory;
  engine: ProfiledEngine;
  readonly hv: { statsLines(): string[] };
}

export interface ProfilerOptions {
  /** Guest instructions per sample (default 10007, a prime: no lock-step with guest loops). */
  period?: number;
  /** Frames per sample, leaf included (default 16; 1 = no stack walk). */
  maxDepth?: number;
  /** Kernel text range for the stack walker (default 0xc0000000..4 GiB). */
  textLow?: number;
  textHigh?: number;
  /** Exact per-block counts with the JIT (default true); false = samples only, less overhead. */
  exactBlocks?: boolean;
}

export const DEFAULT_PERIOD = 10007;

export class Profiler {
  readonly sampler: Sampler;
  readonly blocks: BlockCounter | null;
  readonly engineName: 'jit' | 'interp';
  private readonly samplingEngine: SamplingEngine;
  /** Host time at attach (ms), for the report's wall-clock line. */
  readonly startTime = performance.now();
  endTime = 0;

  private constructor(readonly machine: ProfiledMachine, opts: ProfilerOptions) {
    this.sampler = new Sampler(machine.cpu, machine.phys, {
      period: opts.period ?? DEFAULT_PERIOD,
      maxDepth: opts.maxDepth ?? 16,
      textLow: opts.textLow,
      textHigh: opts.textHigh,
    });
    this.blocks = opts.exactBlocks === false ? null : BlockCounter.attach(machine.engine, (phys, len) => copyGuestBytes(machine.phys, phys, len));
    this.engineName = isProfiledJit(machine.engine) ? 'jit' : 'interp';
    this.samplingEngine = new SamplingEngine(machine.engine, machine.cpu, this.sampler);
    machine.engine = this.samplingEngine;
  }

  /** Start profiling `machine` (after `machine.init()`; loading may happen before or after). */
  static attach(machine: ProfiledMachine, opts: ProfilerOptions = {}): Profiler {
    return new Profiler(machine, opts);
  }

  /** Count from now (e.g. after loading a guest that ran setup code). Counts start again. */
  restart(): void {
    this.sampler.restart();
    if (this.blocks !== null) this.blocks.reset();
  }

  /** Guest instructions retired since profiling started. */
  retired(): number {
    return this.sampler.retired();
  }

  /** Stop profiling: restore the machine's own engine and the JIT's block functions (the counts
   *  taken so far stay readable). */
  detach(): void {
    if (this.machine.engine === this.samplingEngine) this.machine.engine = this.samplingEngine.inner;
    if (this.blocks !== null) this.blocks.detach();
    this.endTime = performance.now();
  }
}

/** Guest RAM bytes without touching devices (empty where there is no RAM). */
function copyGuestBytes(ram: PhysMemory, phys: number, len: number): Uint8Array {
  const h = ram.hostOffset(phys);
  if (h < 0 || ram.hostOffset(phys + len - 1) !== h + len - 1) return new Uint8Array(0);
  return ram.u8.slice(h, h + len);
}
