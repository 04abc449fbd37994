/**
 * What the random-sequence fuzzers share (test/jit/fuzz.ts, test/hv/reserved-fuzz.ts): a small
 * deterministic PRNG, so a seed names a case for good, and the reset of a CPU to the flat
 * protected-mode start every sequence runs from.
 *
 *   const rng = new Rng(seed);
 *   const n = 4 + rng.below(24);
 *   startSequence(cpu, { gdt: 0x500, gdtLimit: 23, regs });
 */
import type { Cpu } from '../../src/cpu/cpu.js';
import { setEflags } from '../../src/cpu/flags.js';
import { setFlatSegments } from './machine.js';

/** Deterministic PRNG (xorshift32); a zero seed is replaced by a fixed non-zero one. */
export class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  below(n: number): number {
    return this.next() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.below(a.length)];
  }
}

export interface SequenceStart {
  /** GDT base and limit (the caller writes the descriptors: test/support/machine.ts putFlatDescriptors). */
  gdt: number;
  gdtLimit: number;
  /** The eight general registers, EAX first. */
  regs: readonly number[];
  code16?: boolean;
}

/**
 * Reset `cpu` (power-on state, instruction count 0), then: the GDT register, flat protected mode in
 * the segment caches (setFlatSegments), the general registers and EFLAGS = 2. The IDT, paging,
 * EIP and anything else a fuzzer varies are set by the caller afterwards.
 */
export function startSequence(cpu: Cpu, s: SequenceStart): void {
  cpu.reset();
  cpu.icount = 0;
  cpu.gdtBase = s.gdt;
  cpu.gdtLimit = s.gdtLimit;
  setFlatSegments(cpu, s.code16);
  for (let r = 0; r < 8; r++) cpu.regs[r] = s.regs[r];
  setEflags(cpu, 2);
}
