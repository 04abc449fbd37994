/**
 * Block discovery: decode guest instructions with the one decoder (frontend/decoder.ts) from a
 * physical page, starting at a block entry, up to the first block end (block-end.ts), a length
 * bound, or the end of the page (an instruction crossing into the next page is left out: it is
 * interpreted, so its second page is translated and checked by the MMU like any fetch).
 *
 * Instructions the JIT cannot run as the interpreter would (undefined encodings, mnemonics without a
 * handler yet, privileged ones at CPL > 0, over-long ones) also end the block before them; a block
 * whose first instruction is one of these gets no instructions and is interpreted.
 */
import { decode } from '../frontend/decoder.js';
import { Insn, type ByteSource } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import { isImplemented } from '../cpu/handlers.js';
import type { PhysMemory } from '../mem/phys.js';
import { Block } from './block.js';
import { endsBlock } from './block-end.js';
import { ModeBit } from './mode.js';

/** Reads one physical page by page offset; notes an attempt to read past its end. */
class PageBytes implements ByteSource {
  base = 0;
  crossed = false;
  constructor(readonly phys: PhysMemory) {}
  fetch8(off: number): number {
    if (off >= 4096 || off < 0) {
      this.crossed = true;
      return 0;
    }
    return this.phys.read8((this.base + off) | 0);
  }
}

/** Near branches (Block.nearExit): far ones are the separate mnemonics JMPF, CALLF, RETF. */
const NEAR_BRANCH = new Uint8Array(512);
for (const mn of [Mn.JMP, Mn.Jcc, Mn.CALL, Mn.RET, Mn.LOOP, Mn.LOOPE, Mn.LOOPNE, Mn.JCXZ]) NEAR_BRANCH[mn] = 1;

export class BlockDecoder {
  private readonly bytes: PageBytes;
  private readonly scratch = new Insn();

  constructor(phys: PhysMemory, readonly maxInsns: number) {
    this.bytes = new PageBytes(phys);
  }

  /** Decode the block at guest-physical `phys` (linear `lin`, EIP `eip`) in mode `mode`. */
  decodeBlock(phys: number, lin: number, eip: number, mode: number): Block {
    const src = this.bytes;
    src.base = (phys & ~0xfff) | 0;
    const code32 = (mode & ModeBit.CODE32) !== 0;
    const cpl = (mode >> ModeBit.CPL_SHIFT) & 3;
    const insns: Insn[] = [];
    const eips: number[] = [eip];
    let off = phys & 0xfff;
    let cur = eip;
    const i = this.scratch;
    while (insns.length < this.maxInsns && off < 4096) {
      src.crossed = false;
      decode(i, src, off, code32);
      if (src.crossed || i.len > 15 || i.mn === Mn.INVALID || !isImplemented(i.mn)) break;
      if (i.entry !== null && i.entry.privileged && cpl !== 0) break;
      const next = code32 ? (cur + i.len) | 0 : (cur + i.len) & 0xffff;
      if (!code32 && next < cur) break; // IP wraps around 64 KiB: leave it to the interpreter
      const copy = new Insn();
      copy.copyFrom(i);
      insns.push(copy);
      eips.push(next);
      cur = next;
      off += i.len;
      if (endsBlock(i)) break;
    }
    // An untranslatable first instruction still covers its bytes (at most 15), so a write there
    // drops the empty block and the new code gets its chance.
    const bytes = insns.length > 0 ? off - (phys & 0xfff) : Math.min(15, 4096 - (phys & 0xfff));
    const b = new Block(phys >>> 0, lin | 0, eip | 0, mode, insns, Int32Array.from(eips), bytes);
    if (insns.length > 0) b.nearExit = NEAR_BRANCH[insns[insns.length - 1].mn] !== 0;
    return b;
  }
}
