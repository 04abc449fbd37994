/**
 * LZMA decoder (Igor Pavlov's "LZMA specification", LzmaSpec.cpp in the LZMA SDK; the same
 * algorithm as lib/xz/xz_dec_lzma2.c in Linux). One core for the three containers that use it:
 * .lzma (lzma-alone.ts), LZMA2 chunks inside .xz (xz.ts).
 *
 * The whole output stays in memory, so the "dictionary" is the output itself: a match copies from
 * `pos - distance - 1`, and a dictionary reset (LZMA2) only moves `dictStart`, the point matches may
 * not reach behind.
 *
 *   const d = new LzmaDecoder(sizeHint);
 *   d.setProps(0x5d); d.resetState();
 *   d.decode(input, start, end, outLimit, true);   // stops at outLimit or the end marker
 *   d.output();
 */
import { CorruptData } from './corrupt.js';

const PROB_INIT = 1024; // half of 1 << 11 (kNumBitModelTotalBits)
const TOP = 1 << 24;

// Offsets of each probability model in one Uint16Array (LzmaSpec.cpp names).
const IS_MATCH = 0; // [12 states << 4 pos states]
const IS_REP = IS_MATCH + 192;
const IS_REP_G0 = IS_REP + 12;
const IS_REP_G1 = IS_REP_G0 + 12;
const IS_REP_G2 = IS_REP_G1 + 12;
const IS_REP0_LONG = IS_REP_G2 + 12; // [12 << 4]
const POS_SLOT = IS_REP0_LONG + 192; // [4 length states][64]
const POS_SPECIAL = POS_SLOT + 256; // 1 + kNumFullDistances - kEndPosModelIndex = 115
const ALIGN = POS_SPECIAL + 115; // [16]
const LEN = ALIGN + 16; // choice, choice2, low[16][8], mid[16][8], high[256]
const REP_LEN = LEN + 514;
const LITERAL = REP_LEN + 514; // [0x300 << (lc + lp)]
const LEN_LOW = 2;
const LEN_MID = 2 + 128;
const LEN_HIGH = 2 + 256;

/** End-of-payload marker distance (LzmaSpec.cpp: rep0 == 0xFFFFFFFF). */
const END_MARKER = 0xffffffff;

export class LzmaDecoder {
  private out: Uint8Array;
  private pos = 0;
  private dictStart = 0;
  private lc = 0;
  private lp = 0;
  private pb = 0;
  private probs = new Uint16Array(LITERAL);
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  // Range decoder over inp[ip..inEnd).
  private range = 0;
  private code = 0;
  private inp: Uint8Array = new Uint8Array(0);
  private ip = 0;
  private inEnd = 0;

  constructor(sizeHint: number) {
    this.out = new Uint8Array(Math.max(sizeHint, 1 << 16));
  }

  /** Properties byte: (pb * 5 + lp) * 9 + lc. */
  setProps(props: number): void {
    if (props >= 9 * 5 * 5) throw new CorruptData(`bad LZMA properties byte ${props}`);
    this.lc = props % 9;
    this.lp = Math.floor(props / 9) % 5;
    this.pb = Math.floor(props / 45);
    const need = LITERAL + (0x300 << (this.lc + this.lp));
    if (this.probs.length !== need) this.probs = new Uint16Array(need);
  }

  get literalBits(): number {
    return this.lc + this.lp;
  }

  resetState(): void {
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  /** LZMA2 dictionary reset: later matches may not reach before this point. */
  resetDict(): void {
    this.dictStart = this.pos;
  }

  get length(): number {
    return this.pos;
  }

  output(): Uint8Array {
    return this.out.subarray(0, this.pos);
  }

  /** Append bytes as they are (an LZMA2 uncompressed chunk). */
  appendRaw(src: Uint8Array): void {
    this.reserve(src.length);
    this.out.set(src, this.pos);
    this.pos += src.length;
  }

  /**
   * Decode the range-coded data inp[start..end) until the output reaches `outLimit` or, when
   * `endMarker` is allowed, the end marker. Returns where the range decoder stopped reading.
   */
  decode(inp: Uint8Array, start: number, end: number, outLimit: number, endMarker: boolean): number {
    this.inp = inp;
    this.inEnd = end;
    if (end - start < 5 || inp[start] !== 0) throw new CorruptData('bad range coder start');
    this.code = ((inp[start + 1] << 24) | (inp[start + 2] << 16) | (inp[start + 3] << 8) | inp[start + 4]) >>> 0;
    this.range = 0xffffffff;
    this.ip = start + 5;
    this.reserve(outLimit - this.pos);
    const pbMask = (1 << this.pb) - 1;
    while (this.pos < outLimit) {
      const posState = (this.pos - this.dictStart) & pbMask;
      let state = this.state;
      if (this.bit(IS_MATCH + (state << 4) + posState) === 0) {
        this.literal();
        this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len: number;
      if (this.bit(IS_REP + state) !== 0) {
        if (this.pos === this.dictStart) throw new CorruptData('repeated match before any data');
        if (this.bit(IS_REP_G0 + state) === 0) {
          if (this.bit(IS_REP0_LONG + (state << 4) + posState) === 0) {
            // Short rep: one byte from rep0.
            this.state = state < 7 ? 9 : 11;
            this.out[this.pos] = this.out[this.pos - this.rep0 - 1];
            this.pos++;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(IS_REP_G1 + state) === 0) dist = this.rep1;
          else {
            if (this.bit(IS_REP_G2 + state) === 0) dist = this.rep2;
            else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.matchLength(REP_LEN, posState);
        state = state < 7 ? 8 : 11;
      } else {
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        len = this.matchLength(LEN, posState);
        state = state < 7 ? 7 : 10;
        this.rep0 = this.distance(len);
        if (this.rep0 === END_MARKER) {
          if (!endMarker) throw new CorruptData('unexpected end marker');
          this.state = state;
          return this.ip;
        }
      }
      this.state = state;
      len += 2;
      const from = this.pos - this.rep0 - 1;
      if (from < this.dictStart) throw new CorruptData(`match distance ${this.rep0 + 1} reaches before the start of the data`);
      if (this.pos + len > outLimit) throw new CorruptData('match runs past the end of the data');
      const out = this.out;
      for (let i = 0; i < len; i++) out[this.pos + i] = out[from + i];
      this.pos += len;
    }
    return this.ip;
  }

  private reserve(more: number): void {
    const need = this.pos + more;
    if (need <= this.out.length) return;
    const grown = new Uint8Array(Math.max(need, this.out.length * 2));
    grown.set(this.out.subarray(0, this.pos));
    this.out = grown;
  }

  private nextByte(): number {
    if (this.ip >= this.inEnd) throw new CorruptData('compressed data ends early');
    return this.inp[this.ip++];
  }

  private bit(i: number): number {
    const p = this.probs[i];
    const bound = (this.range >>> 11) * p;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      this.probs[i] = p + ((2048 - p) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      this.probs[i] = p - (p >>> 5);
      b = 1;
    }
    if (this.range < TOP) {
      this.range = this.range * 256;
      this.code = this.code * 256 + this.nextByte();
    }
    return b;
  }

  private direct(n: number): number {
    let r = 0;
    for (; n > 0; n--) {
      this.range = this.range >>> 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      r = r * 2 + b;
      if (this.range < TOP) {
        this.range = this.range * 256;
        this.code = this.code * 256 + this.nextByte();
      }
    }
    return r;
  }

  private tree(base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(base + m);
    return m - (1 << bits);
  }

  private reverseTree(base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }

  private matchLength(base: number, posState: number): number {
    if (this.bit(base) === 0) return this.tree(base + LEN_LOW + (posState << 3), 3);
    if (this.bit(base + 1) === 0) return 8 + this.tree(base + LEN_MID + (posState << 3), 3);
    return 16 + this.tree(base + LEN_HIGH, 8);
  }

  private distance(len: number): number {
    const lenState = len < 3 ? len : 3;
    const slot = this.tree(POS_SLOT + (lenState << 6), 6);
    if (slot < 4) return slot;
    const direct = (slot >>> 1) - 1;
    const dist = ((2 | (slot & 1)) << direct) >>> 0;
    if (slot < 14) return dist + this.reverseTree(POS_SPECIAL + dist - slot, direct);
    return dist + this.direct(direct - 4) * 16 + this.reverseTree(ALIGN, 4);
  }

  private literal(): void {
    const rel = this.pos - this.dictStart;
    const prev = rel > 0 ? this.out[this.pos - 1] : 0;
    const base = LITERAL + 0x300 * (((rel & ((1 << this.lp) - 1)) << this.lc) + (prev >>> (8 - this.lc)));
    let sym = 1;
    if (this.state >= 7) {
      if (this.pos - this.rep0 - 1 < this.dictStart) throw new CorruptData('match byte before the start of the data');
      let match = this.out[this.pos - this.rep0 - 1];
      while (sym < 0x100) {
        const mb = (match >>> 7) & 1;
        match <<= 1;
        const b = this.bit(base + ((1 + mb) << 8) + sym);
        sym = (sym << 1) | b;
        if (mb !== b) break;
      }
    }
    while (sym < 0x100) sym = (sym << 1) | this.bit(base + sym);
    this.out[this.pos++] = sym & 0xff;
  }
}
