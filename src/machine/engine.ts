/**
 * The execution engine of a machine: the interpreter (`--mode interp`, the baseline) or the JIT
 * (`--mode jit`), both with the contract of Cpu.run: run up to `budget` instructions, return how
 * many retired, stop early on HLT, deliver faults and interrupts.
 */
import type { Cpu } from '../cpu/cpu.js';
import type { PhysMemory } from '../mem/phys.js';
import type { JitOptions as JitEngineOptions } from '../jit/engine.js';

export type EngineMode = 'jit' | 'interp';

export interface Engine {
  run(budget: number): number;
  /** Engine statistics for `--stats` (the JIT's; the interpreter has none). */
  statsLines?(): string[];
}

/** The JIT's options (src/jit/engine.ts) and, for the machine, its source maps. */
export interface JitOptions extends JitEngineOptions {
  /**
   * Source maps for the generated code (src/jit/compile.ts, source-map.ts): inline in every
   * generated function, and also one `.map` file per function in `dir` when given. `symbolize`
   * names guest code (linear address -> `function+0xoff`, or null). Process-wide once set.
   */
  sourceMaps?: { dir?: string | null; symbolize?: ((linear: number) => string | null) | null } | null;
}

export async function createEngine(mode: EngineMode, cpu: Cpu, phys: PhysMemory, opts: JitOptions): Promise<Engine> {
  if (mode === 'interp') return cpu;
  // Loaded lazily so the interpreter-only path does not pay for the JIT's module graph.
  const { Jit } = await import('../jit/engine.js');
  if (opts.sourceMaps) await enableSourceMaps(cpu, phys, opts.sourceMaps);
  return new Jit(cpu, phys, opts);
}

/**
 * Switch the JIT's source maps on. The callbacks run while a function is compiled, with the CPU
 * at the code being translated, so an instruction's linear address is CS base + its EIP, and its
 * bytes are read without side effects (GuestPeek) for the listing's disassembly.
 */
async function enableSourceMaps(cpu: Cpu, phys: PhysMemory, o: NonNullable<JitOptions['sourceMaps']>): Promise<void> {
  const [{ setSourceMaps }, { GuestPeek }, { decode }, { Insn, Seg }, { formatInsn }] = await Promise.all([
    import('../jit/compile.js'),
    import('../cpu/guest-peek.js'),
    import('../frontend/decoder.js'),
    import('../frontend/insn.js'),
    import('../frontend/disasm.js'),
  ]);
  const peek = new GuestPeek(cpu, phys);
  const insn = new Insn();
  const symbolize = o.symbolize;
  setSourceMaps({
    dir: o.dir ?? null,
    symbolize: symbolize ? (eip) => symbolize((cpu.segBase[Seg.CS] + eip) >>> 0) : null,
    disassemble: (eip) => {
      const lin = (cpu.segBase[Seg.CS] + eip) | 0;
      peek.ok = true;
      decode(insn, peek, lin, cpu.code32);
      return peek.ok && insn.len > 0 ? formatInsn(insn, eip, cpu.code32) : null;
    },
  });
}
