/**
 * lzop files, what `lzop -9` writes for CONFIG_KERNEL_LZO (lib/decompress_unlzo.c): a header (magic
 * 89 4C 5A 4F 00 0D 0A 1A 0A, versions, method, flags, mode, mtime, name, checksum), then blocks of
 * (u32 BE unpacked size, 0 ending the file; u32 BE packed size; checksums as the flags say; data),
 * each LZO1X-compressed, or stored when both sizes are equal. The block decoder transcribes
 * lzo1x_decompress_safe() in lib/lzo/lzo1x_decompress_safe.c (without the kernel-only RLE
 * bitstream version, which lzop never writes).
 */
import { CorruptData } from './corrupt.js';

const MAGIC = [0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a];
const F_ADLER32_D = 0x1;
const F_ADLER32_C = 0x2;
const F_H_EXTRA_FIELD = 0x40;
const F_H_FILTER = 0x800;
const F_CRC32_D = 0x100;
const F_CRC32_C = 0x200;
const MAX_BLOCK = 64 << 20;

export function unlzop(input: Uint8Array, sizeHint: number): Uint8Array {
  const v = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const need = (p: number, n: number) => {
    if (p + n > input.length) throw new CorruptData('data ends early');
  };
  need(0, 16);
  if (MAGIC.some((b, i) => input[i] !== b)) throw new CorruptData('no lzop magic');
  const version = v.getUint16(9);
  let p = 9 + 2 + 2; // version, library version
  if (version >= 0x0940) p += 2; // version needed to extract
  const method = input[p++];
  if (method < 1 || method > 3) throw new CorruptData(`lzop method ${method} is not LZO1X`);
  if (version >= 0x0940) p++; // level
  need(p, 4);
  const flags = v.getUint32(p);
  p += 4;
  if (flags & F_H_EXTRA_FIELD) throw new CorruptData('lzop header extra field is not supported');
  if (flags & F_H_FILTER) p += 4;
  p += 8; // mode, mtime low
  if (version >= 0x0940) p += 4; // mtime high
  need(p, 1);
  p += 1 + input[p] + 4; // name, header checksum
  let out = new Uint8Array(Math.max(sizeHint, 1 << 16));
  let op = 0;
  for (;;) {
    need(p, 4);
    const dstLen = v.getUint32(p);
    p += 4;
    if (dstLen === 0) break;
    need(p, 4);
    const srcLen = v.getUint32(p);
    p += 4;
    if (dstLen > MAX_BLOCK || srcLen === 0 || srcLen > dstLen) throw new CorruptData(`bad block sizes ${srcLen} -> ${dstLen}`);
    let adler: number | null = null;
    if (flags & F_ADLER32_D) {
      need(p, 4);
      adler = v.getUint32(p);
      p += 4;
    }
    if (flags & F_CRC32_D) p += 4;
    if (srcLen < dstLen) p += ((flags & F_ADLER32_C) ? 4 : 0) + ((flags & F_CRC32_C) ? 4 : 0);
    need(p, srcLen);
    if (out.length < op + dstLen) {
      const grown = new Uint8Array(Math.max(op + dstLen, out.length * 2));
      grown.set(out.subarray(0, op));
      out = grown;
    }
    if (srcLen === dstLen) out.set(input.subarray(p, p + srcLen), op);
    else if (lzo1x(input, p, p + srcLen, out, op, op + dstLen) !== op + dstLen) throw new CorruptData('block unpacks short');
    if (adler !== null && adler32(out.subarray(op, op + dstLen)) !== adler) throw new CorruptData('Adler-32 of the unpacked data does not match');
    op += dstLen;
    p += srcLen;
  }
  return out.subarray(0, op);
}

function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; ) {
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) {
      a += b[i];
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** One LZO1X block src[ip..end) into dst from op, at most up to `limit`; returns the end of the output. */
function lzo1x(src: Uint8Array, ip: number, end: number, dst: Uint8Array, op: number, limit: number): number {
  const start = op;
  const byte = (): number => {
    if (ip >= end) throw new CorruptData('block ends early');
    return src[ip++];
  };
  /** 255 for each zero byte, then the next byte (the long-length encoding). */
  const longLength = (): number => {
    let n = 0;
    let b: number;
    while ((b = byte()) === 0) n += 255;
    return n + b;
  };
  const literals = (n: number) => {
    if (ip + n > end) throw new CorruptData('literals run past the end of the block');
    if (op + n > limit) throw new CorruptData('output overrun');
    dst.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  const copyMatch = (from: number, n: number) => {
    if (from < start) throw new CorruptData('match reaches before the start of the block');
    if (op + n > limit) throw new CorruptData('output overrun');
    for (let i = 0; i < n; i++) dst[op++] = dst[from + i];
  };
  let state = 0;
  let t: number;
  if (ip < end && src[ip] > 17) {
    t = src[ip++] - 17;
    literals(t);
    state = t < 4 ? t : 4;
  }
  for (;;) {
    t = byte();
    let from: number;
    let len: number;
    let next: number;
    if (t < 16) {
      if (state === 0) {
        // Literal run: 3 + t, or 18 + a long length when t is 0.
        literals(t === 0 ? 18 + longLength() : t + 3);
        state = 4;
        continue;
      }
      next = t & 3;
      if (state !== 4) {
        from = op - 1 - (t >>> 2) - (byte() << 2);
        len = 2;
      } else {
        from = op - 1 - 0x800 - (t >>> 2) - (byte() << 2);
        len = 3;
      }
    } else if (t >= 64) {
      next = t & 3;
      from = op - 1 - ((t >>> 2) & 7) - (byte() << 3);
      len = (t >>> 5) + 1;
    } else if (t >= 32) {
      len = (t & 31) + 2;
      if (len === 2) len = 33 + longLength();
      const d = byte() | (byte() << 8);
      from = op - 1 - (d >>> 2);
      next = d & 3;
    } else {
      len = (t & 7) + 2;
      if (len === 2) len = 9 + longLength();
      const d = byte() | (byte() << 8);
      from = op - ((t & 8) << 11) - (d >>> 2);
      next = d & 3;
      if (from === op) {
        // End marker (0x11 0x00 0x00).
        if (len !== 3 || ip !== end) throw new CorruptData('bad end of block');
        return op;
      }
      from -= 0x4000;
    }
    copyMatch(from, len);
    literals(next);
    state = next;
  }
}
