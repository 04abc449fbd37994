/**
 * Pixels of a PNG file (PNG spec, ISO/IEC 15948: chunks, zlib IDAT, per-row filters 0-4), for tests
 * that look at a screenshot. 8-bit RGB and RGBA, not interlaced: what headless Chromium writes.
 *
 *   const img = readPng(bytes);          // { width, height, channels, data }
 *   img.data[(y * img.width + x) * img.channels]   // red of pixel (x, y)
 */
import { inflateSync } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA). */
  channels: number;
  data: Uint8Array;
}

export function readPng(file: Uint8Array): Png {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((b, i) => file[i] === b)) throw new Error('not a PNG file');
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  for (let p = 8; p + 8 <= file.length; ) {
    const len = v.getUint32(p);
    const type = String.fromCharCode(...file.subarray(p + 4, p + 8));
    const body = file.subarray(p + 8, p + 8 + len);
    if (type === 'IHDR') {
      width = v.getUint32(p + 8);
      height = v.getUint32(p + 12);
      const depth = body[8], colour = body[9], interlace = body[12];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) throw new Error(`unsupported PNG (depth ${depth}, colour type ${colour}, interlace ${interlace})`);
      channels = colour === 2 ? 3 : 4;
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    p += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? data[row + x - channels] : 0;
      const b = y > 0 ? data[row - stride + x] : 0;
      const c = x >= channels && y > 0 ? data[row - stride + x - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      data[row + x] = (src[x] + pred) & 0xff;
    }
  }
  return { width, height, channels, data };
}
