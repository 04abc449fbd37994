/**
 * The compressed-kernel formats a bzImage payload can be in, told apart by their first bytes as the
 * kernel's own lib/decompress.c (compressed_formats[]) does, and how each is unpacked on the host.
 *
 * Every payload ends with the unpacked size as a u32 LE (arch/x86/boot/compressed/Makefile:
 * `*_with_size` appends it; for gzip it is the gzip trailer's ISIZE; mkpiggy reads it from there);
 * the decoders get the stream without those 4 bytes, except gzip, whose stream includes them.
 */
import { gunzipSync } from 'node:zlib';
import { decompress as unzstd } from 'fzstd';
import Bunzip from 'seek-bzip';
import { unlz4Legacy } from './lz4-legacy.js';
import { unlzma } from './lzma-alone.js';
import { unlzop } from './lzo.js';
import { unxz } from './xz.js';

export type PayloadFormat = 'gzip' | 'bzip2' | 'lzma' | 'xz' | 'lzo' | 'lz4' | 'zstd';

const MAGIC: readonly [PayloadFormat, readonly number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['gzip', [0x1f, 0x9e]], // old gzip magic, which the kernel also accepts
  ['bzip2', [0x42, 0x5a, 0x68]], // "BZh"
  ['lzma', [0x5d, 0x00, 0x00]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]], // "\x89LZO" (lzop)
  ['lz4', [0x02, 0x21, 0x4c, 0x18]], // LZ4 legacy frame
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
];

export function detectPayloadFormat(payload: Uint8Array): PayloadFormat | null {
  for (const [format, magic] of MAGIC) if (magic.every((b, i) => payload[i] === b)) return format;
  return null;
}

/** Unpack `stream` (the payload less its size trailer, but all of it for gzip); `size` is what it should unpack to. */
export type Decoder = (stream: Uint8Array, size: number) => Uint8Array;

/** Host decoders by format: node:zlib, two pure-JS npm decoders, and the ones in this folder. */
export const DECODERS: Record<PayloadFormat, Decoder> = {
  gzip: (s) => gunzipSync(s),
  // seek-bzip: pure JS, synchronous; CommonJS without types (seek-bzip.d.ts).
  bzip2: (s, size) => Bunzip.decode(s, size),
  lzma: unlzma,
  xz: unxz,
  lz4: unlz4Legacy,
  // No pure-JS lzop decoder is on npm (`lzo` is a native binding): lzo.ts.
  lzo: unlzop,
  // fzstd: pure JS, synchronous; decodes into the buffer we size from the trailer.
  zstd: (s, size) => unzstd(s, new Uint8Array(size)),
};

/** What a decoder gets: the payload less its 4-byte size trailer, or all of it for gzip (the trailer is its ISIZE). */
export function streamOf(format: PayloadFormat, payload: Uint8Array): Uint8Array {
  return format === 'gzip' ? payload : payload.subarray(0, payload.length - 4);
}
