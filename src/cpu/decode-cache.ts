/**
 * The interpreter's decoded-instruction cache. Decoding is about half of the interpreter's time
 * (profiled on the reference guest's boot), so each decoded `Insn` is kept, direct-mapped by the
 * host address of its first byte, and reused while its bytes are unchanged.
 *
 * Validity needs no invalidation protocol: an entry is keyed by the *host* address of the code
 * (so paging changes are covered: the lookup translates first) and by the decode mode (CS.D), and
 * it keeps a copy of the instruction's bytes, which are compared on every hit. Self-modifying code
 * therefore simply misses. Instructions that cross a page boundary are never cached.
 */
import { decode } from '../frontend/decoder.js';
import { Insn } from '../frontend/insn.js';
import type { Mmu } from '../mem/mmu.js';

const BITS = 15;
const SIZE = 1 << BITS;
const MASK = SIZE - 1;

export class DecodeCache {
  private readonly tag = new Int32Array(SIZE).fill(-1);
  private readonly mode = new Uint8Array(SIZE);
  private readonly bytes = new Uint8Array(SIZE * 16);
  private readonly insns: Insn[] = [];
  private readonly scratch = new Insn();
  hits = 0;
  misses = 0;

  constructor(
    private readonly mmu: Mmu,
    private readonly mem: Uint8Array,
  ) {
    for (let k = 0; k < SIZE; k++) this.insns.push(new Insn());
  }

  /**
   * The decoded instruction at linear address `lin`. May raise #PF (through the MMU) like a plain
   * decode. The returned object must not be modified by the caller.
   */
  lookup(lin: number, code32: boolean, user: boolean): Insn {
    const page = (user ? this.mmu.tlbReadU : this.mmu.tlbReadS)[lin >>> 12];
    if (page < 0) {
      // Not in the TLB: decode through the MMU (which walks and fills the TLB); cache next time.
      decode(this.scratch, this.mmu, lin, code32);
      return this.scratch;
    }
    const host = page | (lin & 0xfff);
    const slot = host & MASK;
    const m = code32 ? 1 : 2;
    const insn = this.insns[slot];
    if (this.tag[slot] === host && this.mode[slot] === m) {
      const mem = this.mem;
      const bytes = this.bytes;
      const base = slot << 4;
      const len = insn.len;
      let same = true;
      for (let k = 0; k < len; k++) {
        if (mem[host + k] !== bytes[base + k]) {
          same = false;
          break;
        }
      }
      if (same) {
        this.hits++;
        return insn;
      }
    }
    this.misses++;
    decode(insn, this.mmu, lin, code32);
    if ((lin & 0xfff) + insn.len <= 0x1000 && insn.len <= 15) {
      this.tag[slot] = host;
      this.mode[slot] = m;
      this.bytes.set(this.mem.subarray(host, host + insn.len), slot << 4);
    } else this.tag[slot] = -1;
    return insn;
  }
}
