/**
 * The defaults `x86jit boot` and the library API share (one place, so the two cannot drift).
 */
import type { ClockMode } from './clock.js';

/**
 * The default clock: fast. A boot spends tens of seconds of guest time halted in delays and
 * timeouts that realtime sits out (the reference boot to BOOT-OK, 2 loaded cores: 62-77 s fast,
 * 97 s realtime), and the benchmarks (../shared/peers) and CI's boot tests run without --clock.
 */
export const DEFAULT_CLOCK: ClockMode = 'fast';

/**
 * Executions before the JIT translates a block: measured best on the reference boot
 * (src/jit/README.md, "Threshold", bench/README.md session 6): kernel init code is wide and warm,
 * and translating blocks that run a few hundred times costs more than it saves.
 */
export const DEFAULT_JIT_THRESHOLD = 3000;

/** Guest RAM, as QEMU's default. */
export const DEFAULT_MEMORY = 128 * 1024 * 1024;
