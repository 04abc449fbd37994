/**
 * Decoder. PLACEHOLDER written by the skeleton: the frontend owner implements it from the table.
 *
 * decode(insn, src, addr, default32): fill `insn` in place from the bytes at src.fetch8(addr),
 * src.fetch8(addr+1)... `default32` is the code segment's D bit. Undefined encodings give
 * mn = Mn.INVALID with the length consumed; more than 15 bytes gives mn = Mn.INVALID and len = 16
 * (the CPU raises #GP(0)). Allocates nothing.
 */
import type { ByteSource, Insn } from './insn.js';
import { Mn } from './mnemonics.js';

export function decode(insn: Insn, src: ByteSource, addr: number, default32: boolean): void {
  void src; void addr; void default32;
  insn.mn = Mn.INVALID;
  insn.len = 1;
}
