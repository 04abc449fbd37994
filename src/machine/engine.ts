/**
 * The execution engine of a machine: the interpreter (`--mode interp`, the baseline) or the JIT
 * (`--mode jit`), both with the contract of Cpu.run: run up to `budget` instructions, return how
 * many retired, stop early on HLT, deliver faults and interrupts.
 */
import type { Cpu } from '../cpu/cpu.js';
import type { PhysMemory } from '../mem/phys.js';

export type EngineMode = 'jit' | 'interp';

export interface Engine {
  run(budget: number): number;
}

export interface JitOptions {
  threshold: number;
  verify: boolean;
}

export async function createEngine(mode: EngineMode, cpu: Cpu, phys: PhysMemory, opts: JitOptions): Promise<Engine> {
  if (mode === 'interp') return cpu;
  // Loaded lazily so the interpreter-only path does not pay for the JIT's module graph.
  const modPath = '../jit/engine.js';
  const mod = (await import(modPath)) as { Jit: new (cpu: Cpu, phys: PhysMemory, o: JitOptions) => Engine };
  return new mod.Jit(cpu, phys, opts);
}
