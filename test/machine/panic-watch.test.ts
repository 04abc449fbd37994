/** PanicWatch: a Linux panic seen on the console (kernel/panic.c panic()'s output). */
import { describe, expect, it } from 'vitest';
import { PanicWatch } from '../../src/machine/panic-watch.js';

function feed(w: PanicWatch, text: string): number[] {
  const done: number[] = [];
  const bytes = Buffer.from(text, 'latin1');
  bytes.forEach((b, k) => {
    if (w.feed(b)) done.push(k);
  });
  return done;
}

const PANIC = '[    2.412345] Kernel panic - not syncing: No working init found.  Try passing init= option to kernel.\r\n';
const STACK = '[    2.412400] CPU: 0 PID: 1 Comm: swapper Not tainted 6.1.0-57-686 #1\r\n[    2.412500] Call Trace:\r\n';

describe('PanicWatch', () => {
  it('panic=N: the panic is complete at "Rebooting in N seconds.."', () => {
    const w = new PanicWatch();
    expect(feed(w, `[    0.1] booting\r\n${PANIC}${STACK}`)).toEqual([]);
    expect(w.panicLine).toBe('Kernel panic - not syncing: No working init found.  Try passing init= option to kernel.');
    const tail = '[    2.413000] Rebooting in 1 seconds..\r\n';
    expect(feed(w, tail)).toEqual([tail.length - 1]);
  });

  it('panic=0: complete at the "---[ end Kernel panic" line', () => {
    const w = new PanicWatch();
    feed(w, PANIC + STACK);
    expect(feed(w, '[    2.5] ---[ end Kernel panic - not syncing: No working init found. ]---\r\n')).toHaveLength(1);
  });

  it('ignores an ordinary boot, and a Rebooting line without a panic', () => {
    const w = new PanicWatch();
    expect(feed(w, '[    1.0] Run /init as init process\r\nRebooting in 1 seconds..\r\n')).toEqual([]);
    expect(w.panicLine).toBeNull();
  });
});
