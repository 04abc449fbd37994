import { describe, expect, it } from 'vitest';
import { parseBzImage, SetupHeader, kernelFootprint, SETUP_HEADER_END } from '../../src/loader/bzimage.js';
import { errorOf } from './loader-error.js';
import { checkStruct } from '../../src/loader/fields.js';
import { makeBzImage } from './fake-bzimage.js';


describe('bzImage setup header', () => {
  it('describes the header in order, ending at 0x26c (protocol 2.15)', () => {
    expect(checkStruct('setup_header', SetupHeader, SETUP_HEADER_END)).toBe(SETUP_HEADER_END);
  });

  it('parses the fields the loader uses', () => {
    const img = parseBzImage(makeBzImage({ setupSects: 27, kernelSize: 0x5000, initSize: 0x1234000 }), 'k');
    expect(img.version).toBe(0x020f);
    expect(img.setupSize).toBe(28 * 512);
    expect(img.kernel.length).toBe(0x5000);
    expect(img.kernel[0]).toBe((28 * 512 * 7) & 0xff);
    expect(img.relocatable).toBe(true);
    expect(img.prefAddress).toBe(0x1000000);
    expect(img.initSize).toBe(0x1234000);
    expect(img.cmdlineSize).toBe(2047);
    expect(img.headerEnd).toBe(0x26c);
  });

  it('treats setup_sects = 0 as 4', () => {
    expect(parseBzImage(makeBzImage({ setupSects: 0 }), 'k').setupSize).toBe(5 * 512);
  });

  it('computes where a relocatable kernel decompresses', () => {
    const img = parseBzImage(makeBzImage({ initSize: 0x2000000 }), 'k');
    const fp = kernelFootprint(img, 0x100000);
    expect(fp.runAddr).toBe(0x1000000);
    expect(fp.end).toBe(0x3000000);
  });

  it('rejects a file that is not a kernel with one clear line', () => {
    const text = new TextEncoder().encode('#!/bin/sh\necho hello\n'.repeat(100));
    const e = errorOf(() => parseBzImage(text, 'script.sh'));
    expect(e.message).toBe('script.sh: not a Linux bzImage (no boot sector signature 0xAA55 at 0x1fe)');
    expect(errorOf(() => parseBzImage(new Uint8Array(10), 'tiny')).message).toBe('tiny: not a Linux bzImage (file is only 10 bytes)');
    const elf = new Uint8Array(4096);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    expect(errorOf(() => parseBzImage(elf, 'vmlinux')).message).toMatch(/^vmlinux: not a Linux bzImage \(an ELF file without a multiboot header; .*not vmlinux\)$/);
    expect(errorOf(() => parseBzImage(makeBzImage({ magic: 0x12345678 }), 'boot.img')).message).toBe('boot.img: not a Linux bzImage (no HdrS signature)');
  });

  it('rejects a truncated bzImage', () => {
    const full = makeBzImage({ kernelSize: 0x4000 });
    const e = errorOf(() => parseBzImage(full.subarray(0, full.length - 100), 'vmlinuz'));
    expect(e.message).toMatch(/^vmlinuz: truncated bzImage \(\d+ bytes; its header says \d+\)$/);
    // Cut inside the setup code: the header is still there but nothing after it.
    expect(errorOf(() => parseBzImage(full.subarray(0, 0x800), 'vmlinuz')).message).toMatch(/truncated/);
  });

  it('rejects old protocols and zImages', () => {
    expect(errorOf(() => parseBzImage(makeBzImage({ version: 0x0204 }), 'old')).message).toBe('old: Linux boot protocol 2.04 is too old (x86jit needs 2.06 or later)');
    expect(errorOf(() => parseBzImage(makeBzImage({ loadFlags: 0 }), 'z')).message).toMatch(/^z: a zImage/);
  });
});
