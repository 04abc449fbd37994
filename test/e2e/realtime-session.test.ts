/**
 * One interactive session of the reference guest under `--clock realtime -m 96` (issue 14 items
 * 3-5), sharing two kernel boots among several checks:
 * - input piped before the guest reads it is executed (held on the host side, not dropped);
 * - -m 96 is 96 MiB (the guest's MemTotal);
 * - the guest's date matches the host's within a second, and guest `sleep 10` takes 10 s ± 5%;
 * - `reboot -f` boots the guest again (a fresh machine), and the shell comes back;
 * - Ctrl-A H lists the console keys, Ctrl-A X quits with status 130.
 */
import { expect, test } from 'vitest';
import { BANNER } from '../../src/guest/init-script.js';
import { GuestSession } from './session.js';

const BOOT_TIMEOUT = Number(process.env.X86JIT_BOOT_TIMEOUT_MS ?? 240_000);
const PROMPT = /# $/m;

async function waitForStderr(s: GuestSession, re: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(s.err)) {
    if (Date.now() > deadline || s.proc.exitCode !== null) throw new Error(`no ${re} on stderr:\n${s.err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('realtime session: piped input, memory, date, sleep 10, reboot, Ctrl-A keys', async () => {
  const s = new GuestSession(['boot', '--clock', 'realtime', '-m', '96']);
  try {
    // Typed before the kernel has even started: it waits until the shell reads it.
    s.send('echo hi-$((6*7))\n');
    let at = await s.waitFor(/^hi-42\r?$/m, BOOT_TIMEOUT);
    at = await s.waitFor(PROMPT, 60_000, at);
    const run = async (cmd: string, marker: string): Promise<{ text: string; at: number }> => {
      s.send(`${cmd}; echo ${marker}-$((1+1))\n`);
      const end = await s.waitFor(new RegExp(`${marker}-2\\r?\\n`), 120_000, at);
      const text = s.out.slice(at, end);
      at = end;
      return { text, at: Date.now() };
    };

    const mem = /MemTotal:\s+(\d+) kB/.exec((await run('grep MemTotal /proc/meminfo', 'M')).text);
    expect(mem).not.toBeNull();
    // 96 MiB less the 8 MiB reserved region, the kernel and firmware areas.
    expect(Number(mem![1])).toBeGreaterThan(70 * 1024);
    expect(Number(mem![1])).toBeLessThanOrEqual(88 * 1024);

    // Wait in the guest for its next second to begin, then print it: the host's clock at that
    // moment must read the same second, within one.
    const edge = await run('t=$(date +%s); while [ "$(date +%s)" = "$t" ]; do :; done; echo EDGE-$(date +%s)', 'E');
    const guestSec = Number(/EDGE-(\d+)/.exec(edge.text)![1]);
    expect(Math.abs(edge.at / 1000 - guestSec)).toBeLessThan(1);

    // Guest sleep 10 against host time, from the first marker's arrival to the second's.
    s.send('echo S0-$((2+2)); sleep 10; echo S1-$((2+2))\n');
    at = await s.waitFor(/S0-4\r?\n/, 60_000, at);
    const t0 = Date.now();
    at = await s.waitFor(/S1-4\r?\n/, 60_000, at);
    const slept = (Date.now() - t0) / 1000;
    expect(slept).toBeGreaterThan(9.5);
    expect(slept).toBeLessThan(10.5);

    s.send('\x01h');
    await waitForStderr(s, /Ctrl-A X +quit/, 10_000);

    s.send('reboot -f\n');
    at = await s.waitFor(new RegExp(BANNER), BOOT_TIMEOUT, at);
    expect(s.err).toMatch(/the guest reset the machine: booting it again/);
    expect(s.out.split(BANNER)).toHaveLength(3); // the banner twice
    at = await s.waitFor(PROMPT, 60_000, at);
    expect((await run('echo again-$((5*5))', 'A')).text).toMatch(/^again-25\r?$/m);

    s.send('\x01x');
    expect(await s.exited).toBe(130);
    expect(s.err).toMatch(/^x86jit: Ctrl-A X: quitting$/m);
  } finally {
    s.kill();
  }
}, 2 * BOOT_TIMEOUT + 120_000);
