/**
 * The interpreter's pre-decoded blocks: the instructions from a block start to the next block end
 * (the table's `end`/`stop` attributes, `Entry.unitEnd`, the same ends as translated blocks) or the
 * end of its physical page, each decoded once with its handler bound (`Insn.x`), so `Cpu.runBlock`
 * runs them one after another without a decode-cache lookup, a TLB lookup or the run loop's
 * per-instruction checks in between (see there for why skipping those is exact).
 *
 *   const b = cache.lookup(host, mode);   // host = host byte offset of CS:EIP; null: single-step
 *
 * Blocks are direct-mapped by host address (so paging changes are covered: the caller translates
 * first) and keyed by the mode the decode and the handler choice depend on (CS.D and CPL). Validity:
 * a block notes the generation of its page (`PhysMemory.codeGen`) when it is decoded or checked,
 * arming the page (CODE_BLOCKS; arming a disarmed page starts a new generation), and the next store
 * into the page by any store path disarms it. A lookup that finds the page armed at the block's
 * generation returns the block at once; otherwise the block's copy of the aligned words that hold its bytes is compared (the ground truth: a page that
 * also holds data sees stores that leave the code alone), and the block is decoded again only if
 * they differ. Code written behind the store paths (a host writing `phys.u8`) needs
 * `PhysMemory.codeChanged` (or `clear` here). Code that changes while its block runs is caught by
 * PhysMemory's code watch (`watch`): a store into the running block's bytes makes the block stop
 * after the storing instruction, as the next instruction must be fetched anew.
 *
 * An instruction that crosses the page end, an over-long one (more than 15 bytes: #GP) and an
 * instruction whose bytes cannot be read are left out; a block with no instruction (`n = 0`) tells
 * the caller to use `Cpu.step`, which fetches through the MMU as before.
 */
import { decode } from '../frontend/decoder.js';
import { Insn, type ByteSource } from '../frontend/insn.js';
import { raiseCode, Vec } from './fault.js';
import type { Handler } from './handlers.js';
import { bindHandler } from './sem/interp-gen.js';
import { CODE_BLOCKS, CODE_GEN_MAX, type PhysMemory } from '../mem/phys.js';

/** Slots of the direct-mapped table. */
const BITS = 16;
const MASK = (1 << BITS) - 1;
/** Longest block, in instructions (the run loop's budget cuts it shorter when it must). */
export const MAX_BLOCK_INSNS = 64;

/** A privileged instruction decoded at CPL > 0: #GP(0) before it executes (SDM Vol. 3 §5.9). */
const privilegedGp: Handler = (cpu) => raiseCode(cpu, Vec.GP, 0);

/** One pre-decoded block. Objects are reused when their slot is taken by another block. */
export class IBlock {
  /** Host byte offset of the first instruction; -1 = empty slot. */
  host = -1;
  /** Decode mode: CS.D | CPL << 1. */
  mode = -1;
  /** Instructions (0: single-step this address). */
  n = 0;
  /** Bytes covered, from `host`. */
  bytes = 0;
  /** Offset of the last instruction from `host` (16-bit code must not wrap IP before it). */
  lastOff = 0;
  readonly insns: Insn[] = [];
  readonly handlers: Handler[] = [];
  /** First aligned word (host >>> 2) and the copy of the words holding the bytes. */
  w0 = 0;
  nw = 0;
  words = new Int32Array(0);
  /** `PhysMemory.codeGen` of the block's page when its words were last found current; -1: none. */
  gen = -1;
}

/** Reads one host page by page offset; notes an attempt to read past its end. */
class HostPage implements ByteSource {
  base = 0;
  crossed = false;
  constructor(readonly u8: Uint8Array) {}
  fetch8(off: number): number {
    if (off >= 4096) {
      this.crossed = true;
      return 0;
    }
    return this.u8[this.base + off];
  }
}

export class BlockCache {
  /** Slots, allocated on first use (a CPU is cheap to build: tests make thousands). */
  private readonly slots: (IBlock | null)[] = new Array<IBlock | null>(MASK + 1).fill(null);
  private readonly src: HostPage;
  private readonly i32: Int32Array;
  private readonly codePages: Uint8Array;
  private readonly codeGen: Int32Array;
  /** Blocks decoded (misses, stale copies included), lookups that found a valid block, and of
   *  those, the ones that compared the block's words (the page's generation had moved). */
  builds = 0;
  hits = 0;
  compares = 0;

  constructor(phys: PhysMemory) {
    const u8 = phys.u8;
    this.src = new HostPage(u8);
    this.i32 = phys.i32;
    this.codePages = phys.codePages;
    this.codeGen = phys.codeGen;
  }

  /** The block at host offset `host` in decode mode `mode`, decoded now if absent or stale. */
  lookup(host: number, mode: number): IBlock {
    const slot = (host ^ (host >>> BITS)) & MASK;
    let b = this.slots[slot];
    if (b === null) b = this.slots[slot] = new IBlock();
    else if (b.host === host && b.mode === mode) {
      const p = host >>> 12;
      if (b.gen === this.codeGen[p] && (this.codePages[p] & CODE_BLOCKS) !== 0) {
        this.hits++;
        return b;
      }
      if (this.current(b)) {
        this.hits++;
        this.compares++;
        this.arm(b);
        return b;
      }
    }
    this.build(b, host, mode);
    return b;
  }

  /** The block's bytes are still those it was decoded from (word by word). */
  private current(b: IBlock): boolean {
    const words = b.words;
    const i32 = this.i32;
    const w0 = b.w0;
    let k = 0;
    const nw = b.nw;
    while (k < nw && i32[w0 + k] === words[k]) k++;
    return k === nw;
  }

  /** `b` is current: arm its page (a new generation if it was disarmed) and note the generation
   *  in `b` (PhysMemory.codeGen). */
  private arm(b: IBlock): void {
    const p = b.host >>> 12;
    const m = this.codePages[p];
    if ((m & CODE_BLOCKS) === 0) {
      const g = this.codeGen[p];
      if (g === CODE_GEN_MAX) {
        b.gen = -1;
        return;
      }
      this.codeGen[p] = g + 1;
      this.codePages[p] = m | CODE_BLOCKS;
    }
    b.gen = this.codeGen[p];
  }

  /** Drop every block (their memory stays allocated for reuse). */
  clear(): void {
    for (const b of this.slots) if (b !== null) b.host = -1;
  }

  private build(b: IBlock, host: number, mode: number): void {
    this.builds++;
    const src = this.src;
    src.base = host & ~0xfff;
    const code32 = (mode & 1) !== 0;
    const cpl = mode >> 1;
    const insns = b.insns;
    const start = host & 0xfff;
    let off = start;
    let n = 0;
    let lastOff = 0;
    while (n < MAX_BLOCK_INSNS && off < 4096) {
      if (insns.length === n) insns.push(new Insn());
      const i = insns[n];
      src.crossed = false;
      decode(i, src, off, code32);
      if (src.crossed || i.len > 15) break;
      const e = i.entry!;
      b.handlers[n] = e.privileged && cpl !== 0 ? privilegedGp : bindHandler(i);
      lastOff = off - start;
      off += i.len;
      n++;
      if (e.unitEnd) break;
    }
    b.host = host;
    b.mode = mode;
    b.n = n;
    // An empty block still covers the bytes of its first instruction (at most 15) so that new code
    // there gets decoded.
    const end = n > 0 ? off : Math.min(start + 15, 4096);
    b.bytes = end - start;
    b.lastOff = lastOff;
    const w0 = host >>> 2;
    const nw = (((host & ~0xfff) + end + 3) >>> 2) - w0;
    if (b.words.length < nw) b.words = new Int32Array(nw + 8);
    const words = b.words;
    for (let k = 0; k < nw; k++) words[k] = this.i32[w0 + k];
    b.w0 = w0;
    b.nw = nw;
    this.arm(b);
  }
}
