import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoaderError } from '../../src/loader/errors.js';
import { copyToGuest, readInputFile } from '../../src/loader/files.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { NPT_RESERVED, PhysMemory } from '../../src/mem/phys.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LoaderError) return e.message;
    throw e;
  }
  throw new Error('expected a LoaderError');
}

describe('input files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', () => {
    writeFileSync(join(dir, 'k'), 'abc');
    expect(readInputFile(join(dir, 'k'), 'kernel')).toEqual(new Uint8Array([97, 98, 99]));
  });

  it('reports a missing initrd or a directory in one line', () => {
    expect(messageOf(() => readInputFile(join(dir, 'initrd.img'), 'initrd'))).toBe(`${join(dir, 'initrd.img')}: no such initrd file`);
    expect(messageOf(() => readInputFile(dir, 'kernel'))).toBe(`${dir}: is a directory, not a kernel file`);
  });

  it('LoaderError messages are one line', () => {
    expect(new LoaderError('a\n  b').message).toBe('a b');
  });
});

describe('copyToGuest', () => {
  it('refuses to write into the reserved region', () => {
    const phys = new PhysMemory(1 << 20, new MmioBus());
    phys.mapRange(0x80000, 0x1000, NPT_RESERVED);
    copyToGuest(phys, 0x7f000, new Uint8Array(0x1000).fill(1), 'x');
    expect(phys.read8(0x7ffff)).toBe(1);
    expect(messageOf(() => copyToGuest(phys, 0x7f800, new Uint8Array(0x1000), 'initrd'))).toBe('initrd does not fit in guest RAM (0x80000 is not RAM)');
  });
});
