/**
 * Stops that say what happened (issue 14 item 4): a reset boots the guest again (or, with
 * --no-reboot, exits with status 6), a kernel panic ends with its line and status 4, each stop
 * has its own documented exit status.
 */
import { expect, test } from 'vitest';
import { EXIT_STATUS } from '../../src/hv/exit-status.js';
import { DEFAULT_CMDLINE } from '../../src/guest/reference.js';
import { DEBUG_EXIT_GUEST, RESET_GUEST, flatArgs, writeFlatGuest } from './flat-guests.js';
import { runCli } from './session.js';

const BOOT_TIMEOUT = Number(process.env.X86JIT_BOOT_TIMEOUT_MS ?? 240_000);

test('a reset boots the guest again in a fresh machine; --max-instructions counts over all boots', async () => {
  const reset = writeFlatGuest('reset', RESET_GUEST);
  const r = await runCli([...flatArgs(reset), '--max-instructions', '100']);
  expect(r.code, r.err).toBe(124);
  // Each boot retires the same few instructions up to its reset: 100 of them make many boots.
  expect(r.out.split('HI\n').length - 1).toBeGreaterThan(5);
  expect(r.err).toMatch(/the guest reset the machine: booting it again/);
  expect(r.err).toMatch(/stopped after 100 guest instructions/);
});

test('--no-reboot: a reset ends the run with status 6', async () => {
  const reset = writeFlatGuest('reset', RESET_GUEST);
  const r = await runCli([...flatArgs(reset), '--no-reboot']);
  expect(r.code, r.err).toBe(6);
  expect(r.out).toBe('HI\n');
  expect(r.err).toMatch(/^x86jit: guest reset the machine/m);
});

test('isa-debug-exit: status (value << 1) | 1', async () => {
  const g = writeFlatGuest('debug-exit', DEBUG_EXIT_GUEST);
  const r = await runCli([...flatArgs(g), '--test-devices']);
  expect(r.code, r.err).toBe(11);
});

test('a triple fault: status 3', async () => {
  // lidt with a zero-limit IDT, then ud2: neither #UD nor #DF can be delivered (SDM Vol. 3 §6.15).
  const g = writeFlatGuest('triple', 'lidt [0x1010]\nud2\n.fill 9, 1, 0\n.word 0, 0, 0');
  const r = await runCli(flatArgs(g));
  expect(r.code, r.err).toBe(3);
  expect(r.err).toMatch(/^x86jit: guest triple fault/m);
});

test('boot --help documents every exit status', async () => {
  const r = await runCli(['boot', '--help']);
  expect(r.code).toBe(0);
  for (const [kind, status] of Object.entries(EXIT_STATUS)) {
    expect(r.out, kind).toMatch(new RegExp(`^ {2}${status} +\\S`, 'm'));
  }
  expect(r.out).toMatch(/isa-debug-exit.*\(V << 1\) \| 1/);
  expect(r.out).toMatch(/^ {2}fast +the default: idle time is skipped/m);
});

test('a kernel panic (rdinit=/nonexistent panic=1) ends with its line and status 4, no reboot', async () => {
  const r = await runCli(['boot', '--append', `${DEFAULT_CMDLINE} rdinit=/nonexistent panic=1`], BOOT_TIMEOUT);
  expect(r.code, r.err.slice(-2000)).toBe(4);
  expect(r.err).toMatch(/^x86jit: guest kernel panic: Kernel panic - not syncing: \S/m);
  expect(r.out).toMatch(/Rebooting in 1 seconds/);
  expect(r.err).not.toMatch(/booting it again/);
  expect(r.out.split('Kernel panic - not syncing').length - 1).toBe(1);
}, BOOT_TIMEOUT + 60_000);
