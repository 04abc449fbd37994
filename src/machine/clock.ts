/**
 * The virtual clock behind PIT, RTC, APIC timer and TSC (DESIGN.md "Time").
 *
 * - `realtime`: host wall time (monotonic). A halted guest waits in real time for its next timer
 *   (the machine sleeps), so guest `sleep 10` takes 10 s and the guest's date follows the host's.
 * - `fast`: host wall time plus the time skipped while the guest was halted: an idle guest jumps
 *   straight to its next timer deadline, so idle waits cost no wall time, and guest time runs ahead
 *   of the host's by the idle time skipped (a boot's delays and timeouts take no time).
 * - `deterministic`: time is a function of instructions retired (a fixed virtual instruction rate)
 *   plus the time skipped while halted, so the same boot prints the same log.
 */
import type { TimeSource } from '../cpu/cpu.js';

export type ClockMode = 'realtime' | 'fast' | 'deterministic';
export const CLOCK_MODES: readonly ClockMode[] = ['realtime', 'fast', 'deterministic'];

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
  /** Idle time is skipped (`fast`, `deterministic`); under `realtime` the machine waits instead. */
  readonly skipsIdle: boolean;

  constructor(readonly mode: ClockMode) {
    this.skipsIdle = mode !== 'realtime';
  }

  /** Virtual time in nanoseconds (a double). */
  now(): number {
    if (this.mode === 'deterministic') return this.icount() * DETERMINISTIC_NS_PER_INSN + this.skipped;
    return Number(process.hrtime.bigint() - this.hostStart) + this.skipped;
  }

  /** Jump forward to `t` (ns) while the guest is idle; never goes back. Not under `realtime`. */
  skipTo(t: number): void {
    if (!this.skipsIdle) return;
    const n = this.now();
    if (t > n) this.skipped += t - n;
  }

  tsc(): number {
    return Math.floor((this.now() * TSC_HZ) / 1e9);
  }

  /** Instructions that fit before virtual time `t` in deterministic mode (Infinity otherwise). */
  insnsUntil(t: number): number {
    if (this.mode !== 'deterministic') return Infinity;
    return Math.max(1, Math.ceil((t - this.now()) / DETERMINISTIC_NS_PER_INSN));
  }
}
