/**
 * ELF32 executables (System V ABI, Intel386 supplement): the PT_LOAD segments a loader copies to
 * their physical addresses (p_paddr, as GRUB and the kernel's own decompressor do), with the BSS
 * part (p_memsz - p_filesz) zeroed, and the entry point. Used for multiboot kernels and for a
 * pre-decompressed Linux vmlinux.
 */
import { LoaderError } from './errors.js';
import { viewOf } from './fields.js';

export interface LoadSegment {
  addr: number;
  data: Uint8Array;
  /** Bytes to zero after the data (BSS). */
  zero: number;
}

export function parseElf32(image: Uint8Array, name: string, what: string): { segments: LoadSegment[]; entry: number } {
  const bad = (why: string) => new LoaderError(`${name}: not a loadable ${what} (${why})`);
  if (image.length < 52 || image[0] !== 0x7f || image[1] !== 0x45 || image[2] !== 0x4c || image[3] !== 0x46) {
    throw bad(what === 'multiboot kernel' ? 'no ELF header, and the multiboot header has no address fields (flag 16)' : 'no ELF header');
  }
  if (image[4] !== 1 || image[5] !== 1) throw bad('not a 32-bit little-endian ELF');
  const v = viewOf(image);
  if (v.getUint16(18, true) !== 3) throw bad('ELF machine is not i386');
  if (v.getUint16(16, true) !== 2) throw bad('ELF file is not an executable');
  const phoff = v.getUint32(28, true);
  const phentsize = v.getUint16(42, true);
  const phnum = v.getUint16(44, true);
  if (phentsize < 32 || phoff + phnum * phentsize > image.length) throw bad('truncated program headers');
  const segments: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (v.getUint32(p, true) !== 1) continue; // PT_LOAD
    const offset = v.getUint32(p + 4, true);
    const paddr = v.getUint32(p + 12, true);
    const filesz = v.getUint32(p + 16, true);
    const memsz = v.getUint32(p + 20, true);
    if (offset + filesz > image.length) throw new LoaderError(`${name}: truncated ELF (segment ${i} ends at ${offset + filesz}, file has ${image.length} bytes)`);
    if (memsz < filesz) throw bad(`segment ${i} has memsz < filesz`);
    if (memsz === 0) continue;
    segments.push({ addr: paddr, data: image.subarray(offset, offset + filesz), zero: memsz - filesz });
  }
  if (segments.length === 0) throw bad('no PT_LOAD segment');
  return { segments, entry: v.getUint32(24, true) };
}
