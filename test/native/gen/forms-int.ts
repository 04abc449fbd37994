/**
 * The integer instruction forms the differential test generates: each one emits its own bytes
 * (opcode, ModRM, immediates, from the SDM Vol. 2 opcode maps, written here independently of
 * src/frontend) with random operands, and tells the builder which flags it reads, writes and leaves
 * undefined ("Flags Affected" sections of SDM Vol. 2), including the count-dependent rules of shifts.
 *
 * Naming: "<mnemonic> <operands>" as in the SDM; `reg`/`mem` says which ModRM shape was generated.
 */
import { F, R, SeqBuilder } from './builder.js';
import { bits, CC_FLAGS, filler, formList, mask, modrmReg, p66, rmOperand, SZ, w } from './form-kit.js';
import { value32 } from './rng.js';

export const { forms: intForms, add } = formList();
const { CF, PF, AF, ZF, SF, OF, ARITH } = F;

// ------------------------------------------------------------------ ALU: ADD OR ADC SBB AND SUB XOR CMP
const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
ALU.forEach((op, i) => {
  const reads = i === 2 || i === 3 ? CF : 0;
  const logic = i === 1 || i === 4 || i === 6;
  const writes = i !== 7;
  const done = (b: SeqBuilder): void => b.flags(ARITH, logic ? AF : 0); // SDM: AF undefined for AND/OR/XOR
  for (const s of SZ) {
    for (const mem of [false, true]) {
      const kind = mem ? 'mem' : 'reg';
      add(`${op} r/m${bits(s)},r${bits(s)} ${kind}`, (b) => {
        b.needFlags(reads);
        const src = b.reg(s);
        const lock = mem && writes && b.rng.chance(0.2);
        const o = rmOperand(b, mem, s, src, writes, lock);
        b.emit(...p66(s), ...o.pre, i * 8 + w(s), ...o.tail);
        done(b);
      });
      add(`${op} r${bits(s)},r/m${bits(s)} ${kind}`, (b) => {
        b.needFlags(reads);
        const dst = b.reg(s);
        const o = rmOperand(b, mem, s, dst, false);
        b.emit(...p66(s), ...o.pre, i * 8 + 2 + w(s), ...o.tail);
        done(b);
      });
      add(`${op} r/m${bits(s)},imm${bits(s)} ${kind}`, (b) => {
        b.needFlags(reads);
        const o = rmOperand(b, mem, s, i, writes, mem && writes && b.rng.chance(0.1));
        b.emit(...p66(s), ...o.pre, 0x80 + w(s), ...o.tail, ...b.imm(value32(b.rng), s));
        done(b);
      });
      if (s !== 1) {
        add(`${op} r/m${bits(s)},imm8 ${kind}`, (b) => {
          b.needFlags(reads);
          const o = rmOperand(b, mem, s, i, writes);
          b.emit(...p66(s), ...o.pre, 0x83, ...o.tail, value32(b.rng) & 0xff);
          done(b);
        });
      } else {
        // 82 /r: an alias of 80 /r outside 64-bit mode (SDM Vol. 2 Table A-6 footnote 1A)
        add(`${op} r/m8,imm8 (82) ${kind}`, (b) => {
          b.needFlags(reads);
          const o = rmOperand(b, mem, 1, i, writes);
          b.emit(...o.pre, 0x82, ...o.tail, value32(b.rng) & 0xff);
          done(b);
        });
      }
    }
    add(`${op} ${['al', 'ax', 'eax'][s >> 1]},imm${bits(s)}`, (b) => {
      b.needFlags(reads);
      b.emit(...p66(s), i * 8 + 4 + w(s), ...b.imm(value32(b.rng), s));
      done(b);
    });
  }
});

// ------------------------------------------------------------------ TEST, INC/DEC, F6/F7 group
for (const s of SZ) {
  const n = bits(s);
  for (const mem of [false, true]) {
    const kind = mem ? 'mem' : 'reg';
    add(`test r/m${n},r${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, b.reg(s), false);
      b.emit(...p66(s), ...o.pre, 0x84 + w(s), ...o.tail);
      b.flags(ARITH, AF);
    });
    add(`test r/m${n},imm${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, 0, false);
      b.emit(...p66(s), ...o.pre, 0xf6 + w(s), ...o.tail, ...b.imm(value32(b.rng), s));
      b.flags(ARITH, AF);
    });
    for (const [k, op] of [[0, 'inc'], [1, 'dec']] as const) {
      add(`${op} r/m${n} ${kind}`, (b) => {
        const o = rmOperand(b, mem, s, k, true, mem && b.rng.chance(0.2));
        b.emit(...p66(s), ...o.pre, 0xfe + w(s), ...o.tail);
        b.flags(ARITH & ~CF);
      });
    }
    add(`not r/m${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, 2, true);
      b.emit(...p66(s), ...o.pre, 0xf6 + w(s), ...o.tail);
    });
    add(`neg r/m${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, 3, true);
      b.emit(...p66(s), ...o.pre, 0xf6 + w(s), ...o.tail);
      b.flags(ARITH);
    });
    for (const [k, op] of [[4, 'mul'], [5, 'imul']] as const) {
      add(`${op} r/m${n} ${kind}`, (b) => {
        b.avoid = mem ? (1 << R.EAX) | (1 << R.EDX) : 0;
        const o = rmOperand(b, mem, s, k, false);
        b.emit(...p66(s), ...o.pre, 0xf6 + w(s), ...o.tail);
        b.flags(ARITH, SF | ZF | AF | PF);
      });
    }
    for (const [k, op, signed] of [[6, 'div', false], [7, 'idiv', true]] as const) {
      add(`${op} r/m${n} ${kind}`, (b) => {
        const r = b.rng;
        // Choose divisor and dividend so that about half of the divisions fit (no #DE).
        const divisor = value32(r) & mask(s);
        const fit = r.chance(0.6);
        b.avoid = (1 << R.EAX) | (1 << R.EDX);
        let o;
        if (mem) {
          const off = b.dataOff(s);
          b.patch(off, divisor);
          o = { pre: b.segPrefix(false), tail: b.memAt(off, k) };
        } else {
          const enc = b.reg(s); // never EAX/EDX (avoided), so AH/DH are excluded too
          const d = s === 1 ? enc & 3 : enc;
          const v = s === 1 && enc >= 4 ? (divisor << 8) | (r.u32() & 0xff) : divisor | (r.u32() & ~mask(s));
          b.setReg(d, v);
          o = { pre: [], tail: [modrmReg(k, enc)] };
        }
        b.avoid = 0;
        const lo = value32(r);
        let hi = value32(r);
        if (fit) {
          const dv = signed ? (s === 4 ? divisor | 0 : s === 2 ? (divisor << 16) >> 16 : (divisor << 24) >> 24) : divisor >>> 0;
          const m = Math.abs(dv);
          hi = signed ? (r.chance(0.5) ? 0 : -1) : m > 1 ? r.below(Math.min(m, 0x7fffffff)) : 0;
          if (signed) hi = hi & mask(s);
        }
        if (s === 4) { b.setReg(R.EAX, lo); b.setReg(R.EDX, hi); }
        else if (s === 2) { b.setReg(R.EAX, (lo & ~0xffff) | (lo & 0xffff)); b.setReg(R.EDX, (value32(r) & ~0xffff) | (hi & 0xffff)); }
        else b.setReg(R.EAX, (lo & ~0xffff) | ((hi & 0xff) << 8) | (lo & 0xff));
        b.emit(...p66(s), ...o.pre, 0xf6 + w(s), ...o.tail);
        b.flags(ARITH, ARITH);
      });
    }
  }
  add(`test ${['al', 'ax', 'eax'][s >> 1]},imm${n}`, (b) => {
    b.emit(...p66(s), 0xa8 + w(s), ...b.imm(value32(b.rng), s));
    b.flags(ARITH, AF);
  });
  if (s !== 1) {
    add(`inc r${n} (40+r)`, (b) => { b.emit(...p66(s), 0x40 + b.reg32()); b.flags(ARITH & ~CF); });
    add(`dec r${n} (48+r)`, (b) => { b.emit(...p66(s), 0x48 + b.reg32()); b.flags(ARITH & ~CF); });
    for (const mem of [false, true]) {
      const kind = mem ? 'mem' : 'reg';
      add(`imul r${n},r/m${n} ${kind}`, (b) => {
        const o = rmOperand(b, mem, s, b.reg32(), false);
        b.emit(...p66(s), ...o.pre, 0x0f, 0xaf, ...o.tail);
        b.flags(ARITH, SF | ZF | AF | PF);
      });
      add(`imul r${n},r/m${n},imm8 ${kind}`, (b) => {
        const o = rmOperand(b, mem, s, b.reg32(), false);
        b.emit(...p66(s), ...o.pre, 0x6b, ...o.tail, value32(b.rng) & 0xff);
        b.flags(ARITH, SF | ZF | AF | PF);
      });
      add(`imul r${n},r/m${n},imm${n} ${kind}`, (b) => {
        const o = rmOperand(b, mem, s, b.reg32(), false);
        b.emit(...p66(s), ...o.pre, 0x69, ...o.tail, ...b.imm(value32(b.rng), s));
        b.flags(ARITH, SF | ZF | AF | PF);
      });
    }
  }
}

// ------------------------------------------------------------------ shifts and rotates
const SHIFTS = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
/** SDM Vol. 2 ROL/RCL/SAL/SHR "Flags Affected", for masked count c at operand size s. */
function shiftFlags(b: SeqBuilder, k: number, s: number, count: number): void {
  const c = count & 0x1f;
  if (c === 0) return; // flags unaffected
  const ofU = c === 1 ? 0 : OF;
  if (k <= 1) b.flags(CF | OF, ofU); // ROL/ROR: CF, OF (OF undefined unless c = 1)
  else if (k <= 3) {
    // RCL/RCR rotate by c mod 9 (8-bit) / mod 17 (16-bit): CF unchanged when that is 0.
    const t = s === 1 ? c % 9 : s === 2 ? c % 17 : c;
    b.flags(t === 0 ? OF : CF | OF, ofU);
  } else {
    // SHL/SHR/SAL: CF undefined when the count >= the operand width; SAR: CF = sign (defined).
    const cfU = k !== 7 && c >= bits(s) ? CF : 0;
    b.flags(ARITH, AF | ofU | cfU);
  }
}
SHIFTS.forEach((op, k) => {
  const reads = k === 2 || k === 3 ? CF : 0;
  for (const s of SZ) {
    const n = bits(s);
    for (const mem of [false, true]) {
      const kind = mem ? 'mem' : 'reg';
      const count = (b: SeqBuilder): number => (b.rng.chance(0.7) ? b.rng.range(0, 63) : b.rng.below(256));
      add(`${op} r/m${n},imm8 ${kind}`, (b) => {
        b.needFlags(reads);
        const c = count(b);
        const o = rmOperand(b, mem, s, k, true);
        b.emit(...p66(s), ...o.pre, 0xc0 + w(s), ...o.tail, c);
        shiftFlags(b, k, s, c);
      });
      add(`${op} r/m${n},1 ${kind}`, (b) => {
        b.needFlags(reads);
        const o = rmOperand(b, mem, s, k, true);
        b.emit(...p66(s), ...o.pre, 0xd0 + w(s), ...o.tail);
        shiftFlags(b, k, s, 1);
      });
      add(`${op} r/m${n},cl ${kind}`, (b) => {
        b.needFlags(reads);
        const c = count(b);
        b.setReg(R.ECX, (value32(b.rng) & ~0xff) | c);
        b.avoid = 1 << R.ECX;
        const o = rmOperand(b, mem, s, k, true);
        b.avoid = 0;
        b.emit(...p66(s), ...o.pre, 0xd2 + w(s), ...o.tail);
        // the destination may be CL itself: the count is the value before the shift
        shiftFlags(b, k, s, c);
      });
    }
  }
});

// SHLD/SHRD (SDM Vol. 2 SHLD): count masked to 5 bits; a 16-bit count > 16 leaves the result and
// the flags undefined, so 16-bit counts stay within 0..16.
for (const [op, base] of [['shld', 0xa4], ['shrd', 0xac]] as const) {
  for (const s of [2, 4]) {
    const n = bits(s);
    for (const mem of [false, true]) {
      const kind = mem ? 'mem' : 'reg';
      for (const byCl of [false, true]) {
        add(`${op} r/m${n},r${n},${byCl ? 'cl' : 'imm8'} ${kind}`, (b) => {
          let c = b.rng.chance(0.7) ? b.rng.range(0, 33) : b.rng.below(256);
          // a 16-bit count > 16 leaves the destination undefined (SDM Vol. 2 SHLD): not generated
          if (s === 2 && (c & 31) > 16) c &= 15;
          if (byCl) { b.setReg(R.ECX, (value32(b.rng) & ~0xff) | c); b.avoid = 1 << R.ECX; }
          const src = b.reg32();
          const o = rmOperand(b, mem, s, src, true);
          b.avoid = 0;
          b.emit(...p66(s), ...o.pre, 0x0f, base + (byCl ? 1 : 0), ...o.tail, ...(byCl ? [] : [c]));
          const m = c & 31;
          if (m === 0) return;
          b.flags(ARITH, AF | (m === 1 ? 0 : OF));
        });
      }
    }
  }
}

// ------------------------------------------------------------------ bit tests and scans
['bt', 'bts', 'btr', 'btc'].forEach((op, k) => {
  for (const s of [2, 4]) {
    const n = bits(s);
    for (const mem of [false, true]) {
      const kind = mem ? 'mem' : 'reg';
      add(`${op} r/m${n},r${n} ${kind}`, (b) => {
        let src: number;
        let o;
        if (mem) {
          // bit offset register: signed, the access moves by (offset >> 3) bytes (SDM Vol. 2 BT)
          src = b.reg32();
          const bitoff = b.rng.range(-256, 511);
          b.setReg(src, bitoff);
          b.avoid = 1 << src;
          const off = 0x40 + b.rng.below(0x20) * 2;
          b.patchValue(off, 4);
          o = { pre: b.segPrefix(k !== 0), tail: b.memAt(off, src) };
          b.avoid = 0;
        } else {
          src = b.reg32();
          o = rmOperand(b, false, s, src, k !== 0);
        }
        if (k !== 0 && mem && b.rng.chance(0.2)) o.pre.unshift(0xf0);
        b.emit(...p66(s), ...o.pre, 0x0f, 0xa3 + k * 8, ...o.tail);
        b.flags(CF | OF | SF | AF | PF, OF | SF | AF | PF);
      });
      add(`${op} r/m${n},imm8 ${kind}`, (b) => {
        const o = rmOperand(b, mem, s, 4 + k, k !== 0);
        b.emit(...p66(s), ...o.pre, 0x0f, 0xba, ...o.tail, b.rng.below(256));
        b.flags(CF | OF | SF | AF | PF, OF | SF | AF | PF);
      });
    }
  }
});
for (const [op, opc] of [['bsf', 0xbc], ['bsr', 0xbd]] as const) {
  for (const s of [2, 4]) {
    for (const mem of [false, true]) {
      add(`${op} r${bits(s)},r/m${bits(s)} ${mem ? 'mem' : 'reg'}`, (b) => {
        const o = rmOperand(b, mem, s, b.reg32(), false);
        b.emit(...p66(s), ...o.pre, 0x0f, opc, ...o.tail);
        b.flags(ARITH, CF | OF | SF | AF | PF);
      });
    }
  }
}

// ------------------------------------------------------------------ conditional forms
for (let cc = 0; cc < 16; cc++) {
  for (const mem of [false, true]) {
    add(`setcc(${cc}) r/m8 ${mem ? 'mem' : 'reg'}`, (b) => {
      b.needFlags(CC_FLAGS[cc]);
      const o = rmOperand(b, mem, 1, 0, true);
      b.emit(...o.pre, 0x0f, 0x90 + cc, ...o.tail);
    });
    for (const s of [2, 4]) {
      add(`cmovcc(${cc}) r${bits(s)},r/m${bits(s)} ${mem ? 'mem' : 'reg'}`, (b) => {
        b.needFlags(CC_FLAGS[cc]);
        const o = rmOperand(b, mem, s, b.reg32(), false);
        b.emit(...p66(s), ...o.pre, 0x0f, 0x40 + cc, ...o.tail);
      });
    }
  }
  add(`jcc(${cc}) rel8`, (b) => {
    b.needFlags(CC_FLAGS[cc]);
    const f = filler(b);
    b.emit(0x70 + cc, f.length, ...f);
  });
  add(`jcc(${cc}) rel32`, (b) => {
    b.needFlags(CC_FLAGS[cc]);
    const f = filler(b);
    b.emit(0x0f, 0x80 + cc, ...b.imm(f.length, 4), ...f);
  });
}
