/**
 * Mutated inputs (seeded, reproducible) must give either a result or a LoaderError with one line,
 * never another exception: the "bad input never shows a stack trace" rule, for every parser the
 * user's files reach (STYLE.md §9: a crash input found here stays as a test case).
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { checkInitramfs, writeCpio } from '../../src/loader/cpio.js';
import { buildE820 } from '../../src/loader/e820.js';
import { LoaderError } from '../../src/loader/errors.js';
import { planLinux } from '../../src/loader/linux.js';
import { planMultiboot } from '../../src/loader/multiboot.js';
import { makeBzImage } from './fake-bzimage.js';

/** xorshift32: the same mutations on every run. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function mutate(base: Uint8Array, r: () => number): Uint8Array {
  const out = r() % 4 === 0 ? base.slice(0, r() % (base.length + 1)) : base.slice();
  const n = 1 + (r() % 8);
  for (let i = 0; i < n && out.length > 0; i++) out[r() % out.length] = r() & 0xff;
  return out;
}

function onlyLoaderErrors(inputs: number, base: Uint8Array, seed: number, parse: (b: Uint8Array) => unknown): number {
  const r = rng(seed);
  let rejected = 0;
  for (let i = 0; i < inputs; i++) {
    const b = mutate(base, r);
    try {
      parse(b);
    } catch (e) {
      if (!(e instanceof LoaderError)) throw new Error(`input ${i} (seed ${seed}) threw ${(e as Error).stack}`);
      expect(e.message).not.toContain('\n');
      rejected++;
    }
  }
  return rejected;
}

const MiB = 1 << 20;
const e820 = buildE820({ ramSize: 64 * MiB });

describe('mutated inputs give LoaderErrors, nothing else', () => {
  const cpio = writeCpio([
    { name: 'bin', type: 'dir' },
    { name: 'bin/sh', type: 'symlink', target: 'busybox' },
    { name: 'init', type: 'file', perm: 0o755, data: new TextEncoder().encode('#!/bin/sh\nexec sh\n') },
    { name: 'dev/console', type: 'char', major: 5, minor: 1 },
  ]);

  it('cpio archives', () => {
    expect(onlyLoaderErrors(3000, cpio, 1, (b) => checkInitramfs(b, 'initrd'))).toBeGreaterThan(100);
  });

  it('gzip-compressed archives', () => {
    expect(onlyLoaderErrors(1000, gzipSync(cpio), 2, (b) => checkInitramfs(b, 'initrd.gz'))).toBeGreaterThan(100);
  });

  it('bzImages', () => {
    const k = makeBzImage({ kernelSize: 0x800, initSize: 0x100000 });
    expect(onlyLoaderErrors(3000, k, 3, (b) => planLinux({ kernel: b, kernelName: 'k', cmdline: 'console=ttyS0', e820 }))).toBeGreaterThan(100);
  });

  it('multiboot ELF images', () => {
    const f = new Uint8Array(0x200);
    const v = new DataView(f.buffer);
    f.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    v.setUint16(16, 2, true);
    v.setUint16(18, 3, true);
    v.setUint32(24, 0x100010, true);
    v.setUint32(28, 52, true);
    v.setUint16(42, 32, true);
    v.setUint16(44, 1, true);
    [1, 0x100, 0x100000, 0x100000, 0x100, 0x1000].forEach((x, i) => v.setUint32(52 + 4 * i, x, true));
    [0x1badb002, 0, 0xe4524ffe].forEach((x, i) => v.setUint32(0x90 + 4 * i, x, true));
    expect(onlyLoaderErrors(3000, f, 4, (b) => planMultiboot({ image: b, name: 'mb', cmdline: 'mb', e820 }))).toBeGreaterThan(100);
  });
});
