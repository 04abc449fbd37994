/** Test helpers: decode a byte array with the real decoder. */
import { Insn, type ByteSource } from '../../src/frontend/insn.js';
import { decode } from '../../src/frontend/decoder.js';

export class ArraySource implements ByteSource {
  constructor(readonly bytes: Uint8Array, readonly base = 0) {}
  fetch8(addr: number): number {
    const i = (addr - this.base) >>> 0;
    if (i >= this.bytes.length) throw new Error(`fetch past end at ${addr}`);
    return this.bytes[i];
  }
}

/** Decode `bytes` (array or hex string "0f b6 c0") at address 0. */
export function dec(bytes: number[] | string, default32 = true): Insn {
  const arr = typeof bytes === 'string' ? bytes.trim().split(/\s+/).map((h) => parseInt(h, 16)) : bytes;
  const insn = new Insn();
  decode(insn, new ArraySource(Uint8Array.from(arr)), 0, default32);
  return insn;
}
