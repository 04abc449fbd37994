/**
 * Bad input gets one clear line and a non-zero exit: never a stack trace, never a hang (issue 5,
 * acceptance point 5). Runs the built CLI as a user would.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { prepareReferenceGuest } from '../../src/guest/reference.js';
import { runCli } from './session.js';

let dir = '';
let kernel = '';
let initrd = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'x86jit-cli-'));
  const g = prepareReferenceGuest(() => {});
  kernel = g.kernel;
  initrd = g.initrd;
});

function expectOneClearLine(r: { code: number; err: string }, re: RegExp): void {
  expect(r.code).not.toBe(0);
  expect(r.err).toMatch(re);
  expect(r.err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no JS stack trace
  expect(r.err.trim().split('\n').length).toBeLessThanOrEqual(3);
}

describe('bad input', () => {
  test('an unknown flag', async () => {
    expectOneClearLine(await runCli(['boot', '--no-such-flag']), /unknown option '--no-such-flag'/);
  });

  test('a bad --mode', async () => {
    expectOneClearLine(await runCli(['boot', '--mode', 'turbo']), /--mode.*turbo|turbo.*--mode|Allowed choices/);
  });

  test('a file that is not a kernel', async () => {
    const f = join(dir, 'notakernel.bin');
    writeFileSync(f, Buffer.alloc(64 * 1024, 0x90));
    expectOneClearLine(await runCli(['boot', '--kernel', f, '--initrd', initrd]), /not a .*kernel|bzImage|multiboot/i);
  });

  test('a truncated bzImage', async () => {
    const f = join(dir, 'truncated.bzImage');
    const k = readFileSync(kernel);
    writeFileSync(f, k.subarray(0, k.length >> 1));
    expectOneClearLine(await runCli(['boot', '--kernel', f, '--initrd', initrd]), /truncated|shorter|too short/i);
  });

  test('a missing initrd', async () => {
    expectOneClearLine(await runCli(['boot', '--kernel', kernel, '--initrd', join(dir, 'nope.img')]), /initrd.*(no such file|not found|does not exist)/i);
  });

  test('--mem too small for the kernel', async () => {
    expectOneClearLine(await runCli(['boot', '--kernel', kernel, '--initrd', initrd, '--mem', '8M', '--reserve', '0']), /not enough guest RAM|raise --mem/);
  });

  test('--mem too large for the host', async () => {
    expectOneClearLine(await runCli(['boot', '--kernel', kernel, '--mem', '64G']), /--mem|cannot allocate/);
  });

  test('a bad --mem', async () => {
    expectOneClearLine(await runCli(['boot', '--mem', 'lots']), /bad size/);
  });
});
