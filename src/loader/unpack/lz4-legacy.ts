/**
 * LZ4 "legacy" frames, what `lz4 -l` writes for CONFIG_KERNEL_LZ4 (lib/decompress_unlz4.c): magic
 * 0x184C2102, then blocks of (u32 LE compressed size, LZ4 block), each decoding on its own to at most
 * 8 MiB. The block format is the LZ4 Block Format Description (lz4 repository, doc/): a token (literal
 * length, match length), literals, a 16-bit offset, with 15/255 length extensions.
 */
import { CorruptData } from './corrupt.js';

export const LZ4_LEGACY_MAGIC = 0x184c2102;
const MAX_BLOCK = 8 << 20;

export function unlz4Legacy(input: Uint8Array, sizeHint: number): Uint8Array {
  const v = new DataView(input.buffer, input.byteOffset, input.byteLength);
  if (input.length < 4 || v.getUint32(0, true) !== LZ4_LEGACY_MAGIC) throw new CorruptData('no LZ4 legacy magic');
  let out = new Uint8Array(Math.max(sizeHint, 1 << 16));
  let op = 0;
  let p = 4;
  while (p + 4 <= input.length) {
    const size = v.getUint32(p, true);
    p += 4;
    if (size === LZ4_LEGACY_MAGIC) continue; // concatenated frame
    if (p + size > input.length) throw new CorruptData('block runs past the end of the data');
    if (out.length < op + MAX_BLOCK) {
      const grown = new Uint8Array(Math.max(op + MAX_BLOCK, out.length * 2));
      grown.set(out.subarray(0, op));
      out = grown;
    }
    op = block(input, p, p + size, out, op, op + MAX_BLOCK);
    p += size;
  }
  if (p !== input.length) throw new CorruptData('trailing bytes after the last block');
  return out.subarray(0, op);
}

function block(src: Uint8Array, ip: number, end: number, dst: Uint8Array, op: number, limit: number): number {
  const start = op;
  for (;;) {
    if (ip >= end) throw new CorruptData('block ends inside a sequence');
    const token = src[ip++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (ip >= end) throw new CorruptData('block ends inside a length');
        b = src[ip++];
        lit += b;
      } while (b === 255);
    }
    if (ip + lit > end || op + lit > limit) throw new CorruptData('literals run past the end of the block');
    dst.set(src.subarray(ip, ip + lit), op);
    ip += lit;
    op += lit;
    if (ip === end) return op; // the last sequence has literals only
    if (ip + 2 > end) throw new CorruptData('block ends inside an offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    if (offset === 0 || offset > op - start) throw new CorruptData(`match offset ${offset} reaches before the start of the block`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) throw new CorruptData('block ends inside a length');
        b = src[ip++];
        len += b;
      } while (b === 255);
    }
    len += 4;
    if (op + len > limit) throw new CorruptData('match runs past the end of the block');
    for (let i = 0; i < len; i++, op++) dst[op] = dst[op - offset];
  }
}
