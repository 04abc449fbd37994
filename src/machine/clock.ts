/**
 * The virtual clock behind PIT, RTC, APIC timer and TSC (DESIGN.md "Time").
 *
 * - `deterministic`: time is a function of instructions retired (a fixed virtual instruction rate)
 *   plus the time skipped while the guest was halted, so the same boot prints the same log.
 * - `realtime`: host wall time (monotonic), plus the time skipped while halted.
 * In both modes an idle guest (HLT with nothing pending) jumps straight to the next timer deadline:
 * idle waits cost no wall time.
 */
import type { TimeSource } from '../cpu/cpu.js';

export type ClockMode = 'realtime' | 'deterministic';

/** Virtual instruction rate in deterministic mode: 1 instruction = 10 ns (100 MIPS). */
export const DETERMINISTIC_NS_PER_INSN = 10;
/** TSC frequency: 1 GHz, so the TSC counts virtual nanoseconds. */
export const TSC_HZ = 1_000_000_000;

export class VirtualClock implements TimeSource {
  /** Nanoseconds added by halt skips. */
  private skipped = 0;
  private readonly hostStart = process.hrtime.bigint();
  /** Source of the instruction count (the CPU), set by the machine. */
  icount: () => number = () => 0;

  constructor(readonly mode: ClockMode) {}

  /** Virtual time in nanoseconds (a double). */
  now(): number {
    if (this.mode === 'deterministic') return this.icount() * DETERMINISTIC_NS_PER_INSN + this.skipped;
    return Number(process.hrtime.bigint() - this.hostStart) + this.skipped;
  }

  /** Jump forward to `t` (ns) while the guest is idle; never goes back. */
  skipTo(t: number): void {
    const n = this.now();
    if (t > n) this.skipped += t - n;
  }

  tsc(): number {
    return Math.floor((this.now() * TSC_HZ) / 1e9);
  }

  /** Instructions that fit before virtual time `t` in deterministic mode (Infinity in realtime). */
  insnsUntil(t: number): number {
    if (this.mode !== 'deterministic') return Infinity;
    return Math.max(1, Math.ceil((t - this.now()) / DETERMINISTIC_NS_PER_INSN));
  }
}
