/**
 * The .lzma ("LZMA alone") container that `lzma -9` writes for CONFIG_KERNEL_LZMA
 * (lib/decompress_unlzma.c): properties byte, dictionary size (u32 LE), uncompressed size (u64 LE,
 * all ones when unknown, then the data ends with the end marker), then the range-coded data.
 */
import { CorruptData } from './corrupt.js';
import { LzmaDecoder } from './lzma.js';

export function unlzma(input: Uint8Array, sizeHint: number): Uint8Array {
  if (input.length < 13) throw new CorruptData('truncated header');
  const v = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const lo = v.getUint32(5, true);
  const hi = v.getUint32(9, true);
  const known = !(lo === 0xffffffff && hi === 0xffffffff);
  if (known && hi !== 0) throw new CorruptData('uncompressed size over 4 GiB');
  const d = new LzmaDecoder(known ? lo : sizeHint);
  d.setProps(input[0]);
  d.resetState();
  d.decode(input, 13, input.length, known ? lo : 0xffffffff, true);
  if (known && d.length !== lo) throw new CorruptData(`data ends after ${d.length} of ${lo} bytes`);
  return d.output();
}
