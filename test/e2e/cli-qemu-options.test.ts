/**
 * The CLI as QEMU users expect it (issue 14 item 5): -m in MiB, errors that name the option given,
 * QEMU's single-dash options, an exact --max-instructions, --stats' engine figures, the console's
 * Ctrl-A keys on a pipe. Tiny flat guests only: no kernel boot.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ECHO_GUEST, LOOP_GUEST, RESET_GUEST, flatArgs, writeFlatGuest } from './flat-guests.js';
import { GuestSession, runCli } from './session.js';

const NO_STACK = /\n\s+at .*\(.*:\d+:\d+\)/;

async function waitForStderr(s: GuestSession, re: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!re.test(s.err)) {
    if (Date.now() > deadline || s.proc.exitCode !== null) throw new Error(`no ${re} on stderr:\n${s.err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function oneClearLine(r: { code: number; err: string }, re: RegExp): void {
  expect(r.code).toBe(1);
  expect(r.err).toMatch(re);
  expect(r.err).not.toMatch(NO_STACK);
  expect(r.err.trim().split('\n')).toHaveLength(1);
}

describe('-m / --mem', () => {
  test('a plain number is MiB, as in QEMU; suffixes give other units', async () => {
    const loop = writeFlatGuest('loop', LOOP_GUEST);
    const base = flatArgs(loop).filter((a, k, all) => a !== '-m' && all[k - 1] !== '-m');
    for (const [arg, mib] of [['128', 128], ['64M', 64], ['1G', 1024], ['4096K', 4]] as const) {
      const r = await runCli([...base, '-m', arg, '--max-instructions', '10', '--stats']);
      expect(r.code, r.err).toBe(124);
      expect(r.err).toContain(`; ${mib} MiB of guest RAM`);
    }
  });

  test('errors name -m/--mem, never --reserve', async () => {
    const loop = writeFlatGuest('loop', LOOP_GUEST);
    for (const spelling of ['-m', '--mem']) {
      const r = await runCli(['boot', '--kernel', loop, '--flat', '0x1000', spelling, '0']);
      oneClearLine(r, /-m, --mem/);
      expect(r.err).not.toMatch(/--reserve/);
    }
    oneClearLine(await runCli(['boot', '--kernel', loop, '--flat', '0x1000', '-m', '4096']), /-m, --mem.*4096 MiB/);
    // 4 MiB is valid RAM but leaves no room for the default 8M reserved region.
    oneClearLine(await runCli(['boot', '--kernel', loop, '--flat', '0x1000', '-m', '4']), /-m\/--mem 4M leaves no room/);
  });
});

describe("QEMU's single-dash options", () => {
  test('-nographic, -no-reboot, -serial mon:stdio, -smp 1 are accepted; -no-reboot is honoured', async () => {
    const reset = writeFlatGuest('reset', RESET_GUEST);
    const r = await runCli([...flatArgs(reset), '-nographic', '-no-reboot', '-serial', 'mon:stdio', '-smp', '1']);
    expect(r.code, r.err).toBe(6);
    expect(r.out).toBe('HI\n');
  });

  test('-smp 2, -serial other than stdio and -s are refused with one clear line', async () => {
    const loop = writeFlatGuest('loop', LOOP_GUEST);
    const base = flatArgs(loop);
    oneClearLine(await runCli([...base, '-smp', '2']), /only -smp 1 is supported/);
    oneClearLine(await runCli([...base, '-smp', 'cpus=1,cores=2']), /only -smp 1 is supported/);
    oneClearLine(await runCli([...base, '-serial', 'tcp::4444']), /only "stdio" or "mon:stdio"/);
    oneClearLine(await runCli([...base, '-s']), /-s .*gdb stub.* not supported/);
  });

  test('an option value that looks like a QEMU option is left alone', async () => {
    const loop = writeFlatGuest('loop', LOOP_GUEST);
    const r = await runCli([...flatArgs(loop), '--append', '-s', '--max-instructions', '10']);
    expect(r.code, r.err).toBe(124);
  });
});

describe('--max-instructions and --stats', () => {
  for (const mode of ['interp', 'jit'] as const) {
    test(`--max-instructions stops at exactly N (${mode})`, async () => {
      const loop = writeFlatGuest('loop', LOOP_GUEST);
      for (const n of [1000, 100_003]) {
        const r = await runCli([...flatArgs(loop), '--mode', mode, '--jit-threshold', '2', '--max-instructions', String(n), '--stats']);
        expect(r.code, r.err).toBe(124);
        expect(r.err).toContain(`stopped after ${n} guest instructions`);
        expect(r.err).toMatch(new RegExp(`^x86jit: ${n} guest instructions$`, 'm'));
      }
    });
  }

  test("--stats prints the JIT's blocks, inline share and invalidations", async () => {
    const loop = writeFlatGuest('loop', LOOP_GUEST);
    const r = await runCli([...flatArgs(loop), '--jit-threshold', '2', '--max-instructions', '200000', '--stats']);
    const blocks = /JIT: (\d+) blocks translated.* (\d+) invalidations/.exec(r.err);
    expect(blocks, r.err).not.toBeNull();
    expect(Number(blocks![1])).toBeGreaterThan(0);
    const share = /translated code retired (\d+) instructions: ([\d.]+)% inline/.exec(r.err);
    expect(share, r.err).not.toBeNull();
    expect(Number(share![1])).toBeGreaterThan(100_000);
    expect(Number(share![2])).toBeGreaterThan(50);
  });
});

describe('the console on a pipe', () => {
  test('bytes reach the guest (Ctrl-C too), Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A H lists the keys, Ctrl-A X quits with its line', async () => {
    const echo = writeFlatGuest('echo', ECHO_GUEST);
    const s = new GuestSession(flatArgs(echo));
    try {
      s.send('ab\x03\x01\x01c\n');
      await s.waitFor(/ab\x03\x01c\n/, 60_000);
      s.send('\x01h');
      await waitForStderr(s, /Ctrl-A X +quit/, 60_000);
      expect(s.err).toMatch(/Ctrl-A H +this list/);
      s.send('\x01x');
      expect(await s.exited).toBe(130);
      expect(s.err).toMatch(/^x86jit: Ctrl-A X: quitting$/m);
      expect(s.out).not.toMatch(/h|x/); // the keys after Ctrl-A were not sent to the guest
    } finally {
      s.kill();
    }
  });
});

test('`npx x86jit` runs the CLI from the repository, as the README says', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  expect(readme).toMatch(/`npx x86jit boot`/);
  // --no: never ask the registry; the package's own bin (package.json "bin") must be found.
  const out = execFileSync('npm', ['exec', '--no', '--', 'x86jit', '--version'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  expect(out.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
});
