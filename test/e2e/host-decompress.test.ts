/**
 * `x86jit boot` unpacks a bzImage on the host by default and enters vmlinux at its 32-bit entry
 * (startup_32) as the kernel's decompressor would; `--no-host-decompress` starts the bzImage's own
 * code at 1 MiB instead; a payload x86jit cannot unpack falls back with one line; a corrupt one is
 * one clear error (issue 18 item 1). Each reference-kernel run stops after a few instructions.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { prepareReferenceGuest } from '../../src/guest/reference.js';
import { parseBzImage, SetupHeader } from '../../src/loader/bzimage.js';
import { getField, viewOf } from '../../src/loader/fields.js';
import { makeBzImage } from '../loader/fake-bzimage.js';
import { runCli } from './session.js';

let dir = '';
let kernel = '';
let initrd = '';
/** Physical address of startup_32 from the reference System.map (link address - PAGE_OFFSET). */
let startup32 = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'x86jit-hostunpack-'));
  const g = prepareReferenceGuest(() => {});
  kernel = g.kernel;
  initrd = g.initrd;
  const map = readFileSync(g.systemMap!, 'utf8');
  const m = /^([0-9a-f]+) T startup_32$/m.exec(map)!;
  startup32 = parseInt(m[1], 16) - 0xc0000000;
});

const hex = (n: number) => `0x${n.toString(16)}`;
const STOP = ['--max-instructions', '100000', '--stats'];

describe('x86jit boot: host decompression', () => {
  test('by default, the kernel is unpacked on the host and entered at startup_32', async () => {
    const r = await runCli(['boot', '--kernel', kernel, '--initrd', initrd, ...STOP], 120_000);
    expect(r.code).toBe(124); // stopped by --max-instructions
    const loaded = /^x86jit: loaded (.*)$/m.exec(r.err)?.[1] ?? '';
    expect(loaded).toMatch(/unpacked on the host \(xz, \d+(\.\d)? MiB\), loaded at its link address 0x1000000 \(not randomized\)/);
    expect(loaded).toContain(`entered at ${hex(startup32)},`);
    expect(r.err).not.toContain("kernel's own decompressor");
  }, 150_000);

  test('--no-host-decompress starts the bzImage at 1 MiB (its own decompressor)', async () => {
    const r = await runCli(['boot', '--kernel', kernel, '--initrd', initrd, '--no-host-decompress', ...STOP], 120_000);
    expect(r.code).toBe(124);
    const loaded = /^x86jit: loaded (.*)$/m.exec(r.err)?.[1] ?? '';
    const pm = parseBzImage(new Uint8Array(readFileSync(kernel)), kernel).kernel.length;
    expect(loaded).toContain(`${+(pm / (1 << 20)).toFixed(1)} MiB at 0x100000 (runs at 0x1000000)`);
    expect(loaded).not.toContain('unpacked on the host');
  }, 150_000);

  test('a payload in no known format runs the guest decompressor, saying so in one line', async () => {
    // No compressor's magic, and `jmp $` at the 32-bit entry so the fallback has something to run.
    const k = makeBzImage({ payload: new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0x10, 0, 0, 0]) });
    const pmStart = (k[0x1f1] + 1) * 512;
    k.set([0xeb, 0xfe], pmStart);
    const f = join(dir, 'unknown-payload.bzImage');
    writeFileSync(f, k);
    const r = await runCli(['boot', '--kernel', f, '--max-instructions', '1000']);
    expect(r.code).toBe(124);
    expect(r.err.split('\n').filter((l) => l.includes('decompressor'))).toEqual([
      "x86jit: kernel payload is in a format x86jit does not know (first bytes 12 34 56 78); running the kernel's own decompressor",
    ]);
  });

  test('a corrupt payload is one line naming the format and the file', async () => {
    const k = new Uint8Array(readFileSync(kernel));
    const img = parseBzImage(k, kernel);
    const v = viewOf(k);
    const at = img.setupSize + getField(v, SetupHeader.payload_offset) + (getField(v, SetupHeader.payload_length) >> 3);
    for (let i = 0; i < 64; i++) k[at + i] ^= 0xa5;
    const f = join(dir, 'corrupt.bzImage');
    writeFileSync(f, k);
    const r = await runCli(['boot', '--kernel', f, '--initrd', initrd], 120_000);
    expect(r.code).toBe(1);
    expect(r.err.trim()).toMatch(new RegExp(`^x86jit: ${f.replace(/[.]/g, '\\.')}: corrupt xz-compressed kernel payload \\([^\\n]+\\)$`));
  }, 150_000);
});
