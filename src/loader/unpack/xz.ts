/**
 * The .xz container (The .xz File Format 1.1.0, tukaani.org; lib/xz/xz_dec_stream.c) as the kernel
 * build writes it for CONFIG_KERNEL_XZ (scripts/xz_wrap.sh: one stream, CRC32 check, filters
 * x86 BCJ + LZMA2). Decodes the first stream's blocks up to its index; filter chains other than
 * [x86 BCJ,] LZMA2 are refused, as the kernel's own decoder refuses them.
 */
import { crc32 } from 'node:zlib';
import { unBcjX86 } from './bcj-x86.js';
import { CorruptData } from './corrupt.js';
import { LzmaDecoder } from './lzma.js';

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FILTER_X86 = 0x04;
const FILTER_LZMA2 = 0x21;
/** Check field sizes by check type (spec 2.1.1.2): none, CRC32, CRC64, SHA-256, reserved. */
const CHECK_SIZE = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

export function unxz(input: Uint8Array, sizeHint: number): Uint8Array {
  if (input.length < 12 || MAGIC.some((b, i) => input[i] !== b)) throw new CorruptData('no xz stream header');
  if (input[6] !== 0 || input[7] > 15) throw new CorruptData('unsupported stream flags');
  const checkType = input[7];
  const d = new LzmaDecoder(sizeHint);
  let p = 12;
  for (;;) {
    if (p >= input.length) throw new CorruptData('stream ends before its index');
    if (input[p] === 0) return d.output(); // index indicator: no more blocks
    const blockStart = p;
    const headerSize = (input[p] + 1) * 4;
    if (p + headerSize > input.length) throw new CorruptData('truncated block header');
    const header = input.subarray(p, p + headerSize);
    const crcAt = headerSize - 4;
    if (crc32(header.subarray(0, crcAt)) !== new DataView(header.buffer, header.byteOffset + crcAt, 4).getUint32(0, true)) {
      throw new CorruptData('block header CRC32 mismatch');
    }
    const filters = parseBlockHeader(header.subarray(0, crcAt));
    p += headerSize;
    const outStart = d.length;
    p = lzma2(d, input, p, filters.lzma2DictByte);
    if (filters.x86) unBcjX86(d.output().subarray(outStart), filters.x86Start);
    while ((p - blockStart) % 4 !== 0) if (input[p++] !== 0) throw new CorruptData('non-zero block padding');
    const checkSize = CHECK_SIZE[checkType];
    if (p + checkSize > input.length) throw new CorruptData('truncated block check');
    if (checkType === 1) {
      const want = new DataView(input.buffer, input.byteOffset + p, 4).getUint32(0, true);
      if (crc32(d.output().subarray(outStart)) !== want) throw new CorruptData('CRC32 of the unpacked data does not match');
    }
    p += checkSize;
  }
}

interface BlockFilters {
  x86: boolean;
  x86Start: number;
  lzma2DictByte: number;
}

function parseBlockHeader(h: Uint8Array): BlockFilters {
  const flags = h[1];
  if (flags & 0x3c) throw new CorruptData('reserved block flags set');
  let p = 2;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 63; shift += 7) {
      if (p >= h.length) throw new CorruptData('truncated block header');
      const b = h[p++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
    }
    throw new CorruptData('bad variable-length integer');
  };
  if (flags & 0x40) varint(); // compressed size
  if (flags & 0x80) varint(); // uncompressed size
  const count = (flags & 3) + 1;
  const out: BlockFilters = { x86: false, x86Start: 0, lzma2DictByte: 0 };
  for (let i = 0; i < count; i++) {
    const id = varint();
    const propsSize = varint();
    const props = h.subarray(p, p + propsSize);
    p += propsSize;
    const last = i === count - 1;
    if (id === FILTER_LZMA2 && last && propsSize === 1) out.lzma2DictByte = props[0];
    else if (id === FILTER_X86 && !last && !out.x86 && (propsSize === 0 || propsSize === 4)) {
      out.x86 = true;
      if (propsSize === 4) out.x86Start = new DataView(props.buffer, props.byteOffset, 4).getUint32(0, true);
    } else throw new CorruptData(`unsupported filter 0x${id.toString(16)} (x86jit decodes x86 BCJ + LZMA2, as the kernel does)`);
  }
  if (p > h.length) throw new CorruptData('truncated block header');
  return out;
}

/** LZMA2 chunks (xz_dec_lzma2.c) from input[p] up to the end-of-data byte; returns the offset after it. */
function lzma2(d: LzmaDecoder, input: Uint8Array, p: number, dictByte: number): number {
  if (dictByte > 40) throw new CorruptData('bad LZMA2 dictionary size');
  let needProps = true;
  for (;;) {
    if (p >= input.length) throw new CorruptData('LZMA2 data ends early');
    const control = input[p++];
    if (control === 0) return p;
    if (control === 1 || control === 2) {
      if (control === 1) d.resetDict();
      const size = ((input[p] << 8) | input[p + 1]) + 1;
      p += 2;
      if (p + size > input.length) throw new CorruptData('LZMA2 data ends early');
      d.appendRaw(input.subarray(p, p + size));
      p += size;
      continue;
    }
    if (control < 0x80) throw new CorruptData(`bad LZMA2 control byte 0x${control.toString(16)}`);
    if (p + 4 > input.length) throw new CorruptData('LZMA2 data ends early');
    const unpacked = (control & 0x1f) * 0x10000 + ((input[p] << 8) | input[p + 1]) + 1;
    const packed = ((input[p + 2] << 8) | input[p + 3]) + 1;
    p += 4;
    const reset = (control >>> 5) & 3;
    if (reset === 3) d.resetDict();
    if (reset >= 2) {
      d.setProps(input[p++]);
      if (d.literalBits > 4) throw new CorruptData('LZMA2 lc + lp over 4');
      needProps = false;
    } else if (needProps) throw new CorruptData('LZMA2 chunk without properties');
    if (reset >= 1) d.resetState();
    if (p + packed > input.length) throw new CorruptData('LZMA2 data ends early');
    const used = d.decode(input, p, p + packed, d.length + unpacked, false);
    if (used > p + packed) throw new CorruptData('LZMA2 chunk overruns its size');
    p += packed;
  }
}
