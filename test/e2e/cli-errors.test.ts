/**
 * Bad input gets one clear line and a non-zero exit: never a stack trace, never a hang (issue 5,
 * acceptance point 5). Runs the built CLI as a user would.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseBzImage } from '../../src/loader/bzimage.js';
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
    expectOneClearLine(await runCli(['boot', '--kernel', kernel, '--initrd', join(dir, 'nope.img')]), /no such initrd file/);
  });

  test('a corrupt cpio initrd', async () => {
    const f = join(dir, 'corrupt.cpio');
    // A newc header whose fields are not hexadecimal.
    writeFileSync(f, Buffer.concat([Buffer.from('070701ZZZZZZZZ'), Buffer.alloc(200, 0x41)]));
    expectOneClearLine(await runCli(['boot', '--kernel', kernel, '--initrd', f]), /corrupt cpio archive/);
  });

  test('--mem too small for the kernel', async () => {
    // 8M is too small for this kernel: it runs from pref_address (LOAD_PHYSICAL_ADDR) up.
    const img = parseBzImage(new Uint8Array(readFileSync(kernel)), kernel);
    expect(img.prefAddress + img.initSize).toBeGreaterThan(8 << 20);
    expectOneClearLine(await runCli(['boot', '--kernel', kernel, '--initrd', initrd, '--mem', '8M', '--reserve', '0']), /not enough guest RAM|raise --mem/);
  });

  test('--mem too large for the host', async () => {
    expectOneClearLine(await runCli(['boot', '--kernel', kernel, '--mem', '64G']), /--mem|cannot allocate/);
  });

  test('a bad --mem', async () => {
    expectOneClearLine(await runCli(['boot', '--mem', 'lots']), /bad size/);
  });

  test('a guest that triple-faults: one clear line, then the guest registers', async () => {
    // Real mode at 0x1000: lidt [0x1010] (a zero-limit IDT), then ud2. #UD cannot be delivered,
    // neither can the #DF: the CPU shuts down (SDM Vol. 3 §6.15, interrupt 8).
    const prog = new Uint8Array(0x16);
    prog.set([0x0f, 0x01, 0x1e, 0x10, 0x10, 0x0f, 0x0b], 0);
    const f = join(dir, 'triple.bin');
    writeFileSync(f, prog);
    const r = await runCli(['boot', '--kernel', f, '--flat', '0x1000', '--mem', '16M', '--reserve', '0']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/^x86jit: guest triple fault/m);
    expect(r.err).toMatch(/eip=00000005 /);
    expect(r.err).toMatch(/ud2/);
    expect(r.err).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  });
});

