/**
 * `--clock deterministic`: virtual time comes from the instruction count, so two boots of the
 * reference guest print byte-identical console output (issue 5 point 4). The guest powers off by
 * itself right after BOOT-OK (x86jit.poweroff on the command line).
 */
import { expect, test } from 'vitest';
import { DEFAULT_CMDLINE } from '../../src/guest/reference.js';
import { runCli } from './session.js';

const TIMEOUT = Number(process.env.X86JIT_BOOT_TIMEOUT_MS ?? 15 * 60_000);

test('two deterministic boots print the same bytes', async () => {
  const args = ['boot', '--mode', 'jit', '--clock', 'deterministic', '--append', `${DEFAULT_CMDLINE} x86jit.poweroff`];
  const a = await runCli(args, TIMEOUT);
  const b = await runCli(args, TIMEOUT);
  expect(a.code, a.err.slice(-2000)).toBe(0);
  expect(b.code, b.err.slice(-2000)).toBe(0);
  expect(a.out).toContain('BOOT-OK');
  expect(b.out).toBe(a.out);
}, 2 * TIMEOUT + 60_000);
