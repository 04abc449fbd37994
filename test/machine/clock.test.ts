/** VirtualClock modes (issue 14 item 3): only `fast` and `deterministic` skip idle time. */
import { describe, expect, it } from 'vitest';
import { DETERMINISTIC_NS_PER_INSN, VirtualClock } from '../../src/machine/clock.js';

describe('VirtualClock', () => {
  it('realtime: skipTo is refused, time is host time', () => {
    const c = new VirtualClock('realtime');
    expect(c.skipsIdle).toBe(false);
    const t0 = c.now();
    c.skipTo(t0 + 3600e9);
    expect(c.now() - t0).toBeLessThan(1e9);
  });

  it('fast: skipTo jumps ahead of host time', () => {
    const c = new VirtualClock('fast');
    expect(c.skipsIdle).toBe(true);
    const t0 = c.now();
    c.skipTo(t0 + 3600e9);
    expect(c.now() - t0).toBeGreaterThanOrEqual(3600e9);
  });

  it('deterministic: instructions plus skipped time', () => {
    const c = new VirtualClock('deterministic');
    let n = 1000;
    c.icount = () => n;
    expect(c.now()).toBe(1000 * DETERMINISTIC_NS_PER_INSN);
    c.skipTo(1e6);
    n = 2000;
    expect(c.now()).toBe(1e6 + 1000 * DETERMINISTIC_NS_PER_INSN);
  });
});
