import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { oracle } from '../support/oracle.js';
import { checkInitramfs, readCpio, writeCpio, type CpioEntry } from '../../src/loader/cpio.js';
import { LoaderError } from '../../src/loader/errors.js';
import { initramfsFromDirectory } from '../../src/loader/initrd-dir.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LoaderError) return e.message;
    throw e;
  }
  throw new Error('expected a LoaderError');
}

const enc = new TextEncoder();
const sample: CpioEntry[] = [
  { name: 'bin', type: 'dir' },
  { name: 'bin/busybox', type: 'file', perm: 0o755, data: enc.encode('\x7fELF fake binary, 27 bytes') },
  { name: 'bin/sh', type: 'symlink', target: 'busybox' },
  { name: 'dev', type: 'dir' },
  { name: 'dev/console', type: 'char', major: 5, minor: 1 },
  { name: 'dev/sda', type: 'block', major: 8, minor: 0, perm: 0o660 },
  { name: 'init', type: 'file', perm: 0o755, data: enc.encode('#!/bin/sh\necho hi\n') },
];

describe('newc cpio', () => {
  it('round-trips entries of every type with 4-byte alignment', () => {
    const a = writeCpio(sample);
    expect(a.length % 4).toBe(0);
    expect(new TextDecoder().decode(a.subarray(0, 6))).toBe('070701');
    const back = readCpio(a, 'a').entries;
    expect(back.map((e) => [e.name, e.type])).toEqual(sample.map((e) => [e.name, e.type]));
    expect(back[1].data).toEqual(sample[1].data);
    expect(back[1].perm).toBe(0o755);
    expect(back[2].target).toBe('busybox');
    expect([back[4].major, back[4].minor]).toEqual([5, 1]);
    expect(back[5].perm).toBe(0o660);
    expect(new TextDecoder().decode(back[6].data)).toBe('#!/bin/sh\necho hi\n');
  });

  const hasCpio = (() => {
    try {
      execFileSync('cpio', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const haveCpio = oracle('the GNU cpio check', hasCpio, 'cpio is not installed (Debian: apt-get install cpio)');

  it.skipIf(!haveCpio)('is read by GNU cpio as the same tree', () => {
    const listing = execFileSync('cpio', ['-itv', '--quiet'], { input: writeCpio(sample), encoding: 'utf8' });
    const lines = listing.trim().split('\n');
    expect(lines.map((l) => l.replace(/ -> .*$/, '').split(/\s+/).pop())).toEqual(sample.map((e) => e.name));
    expect(lines[0]).toMatch(/^drwxr-xr-x/);
    expect(lines[2]).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/);
    expect(lines[4]).toMatch(/^crw------- .* 5,\s+1 .*dev\/console$/);
  });

  it('accepts gzip-compressed and concatenated archives like the kernel', () => {
    const a = writeCpio(sample.slice(0, 3));
    const b = writeCpio(sample.slice(3));
    const img = new Uint8Array([...a, 0, 0, 0, 0, ...gzipSync(b)]);
    expect(checkInitramfs(img, 'i').map((e) => e.name)).toEqual(sample.map((e) => e.name));
  });

  it('rejects corrupt archives with one clear line', () => {
    const a = writeCpio(sample);
    const truncated = a.subarray(0, 300);
    expect(messageOf(() => checkInitramfs(truncated, 'initrd.cpio'))).toMatch(/^initrd\.cpio: corrupt cpio archive at byte \d+ \(.*\)$/);
    const garbled = a.slice();
    garbled[6 + 8 * 6 + 3] = 0x7a; // 'z' inside the filesize field of the first entry
    expect(messageOf(() => checkInitramfs(garbled, 'x'))).toMatch(/x: corrupt cpio archive at byte 0 \(header field 6 ".*" is not hexadecimal\)/);
    const noTrailer = a.subarray(0, a.length - 124);
    expect(messageOf(() => checkInitramfs(noTrailer, 'x'))).toMatch(/without a TRAILER!!! entry|run past the end/);
    const gz = gzipSync(a);
    expect(messageOf(() => checkInitramfs(gz.subarray(0, gz.length - 40), 'initrd.gz'))).toMatch(/^initrd\.gz: corrupt gzip data at byte 0 \(/);
    expect(messageOf(() => checkInitramfs(enc.encode('hello world, not an archive'), 'notes.txt'))).toBe('notes.txt: not an initramfs (neither a newc cpio archive nor compressed data)');
  });
});

describe('--initrd-dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-initrd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds an archive from a directory tree, parents first, sorted', () => {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'busybox'), 'bb', { mode: 0o755 });
    symlinkSync('busybox', join(dir, 'bin', 'sh'));
    writeFileSync(join(dir, 'init'), '#!/bin/sh\n', { mode: 0o755 });
    const a = initramfsFromDirectory(dir);
    const e = checkInitramfs(a, 'dir');
    expect(e.map((x) => `${x.type}:${x.name}`)).toEqual(['dir:bin', 'file:bin/busybox', 'symlink:bin/sh', 'file:init']);
    expect(e[1].perm).toBe(0o755);
    expect(e[0].uid).toBe(0);
    expect(initramfsFromDirectory(dir)).toEqual(a); // reproducible
  });

  it('rejects a missing directory, a file, and a tree without /init', () => {
    expect(messageOf(() => initramfsFromDirectory(join(dir, 'nope')))).toBe(`${join(dir, 'nope')}: no such initrd directory`);
    expect(messageOf(() => initramfsFromDirectory(join(dir, 'init')))).toMatch(/: not a directory/);
    expect(messageOf(() => initramfsFromDirectory(join(dir, 'bin')))).toMatch(/: no \/init in the initramfs directory/);
    expect(initramfsFromDirectory(join(dir, 'bin'), 'console=ttyS0 rdinit=/sh').length).toBeGreaterThan(0);
  });
});
