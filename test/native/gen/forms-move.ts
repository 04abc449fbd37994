/**
 * Data movement, exchange, LEA, conversions, flag instructions, BCD adjustments and XLAT forms
 * (encodings: SDM Vol. 2 opcode maps; flags: each instruction's "Flags Affected").
 */
import { SCRATCH_ADDR } from '../format.js';
import { DATA_END, F, R, SeqBuilder } from './builder.js';
import { bits, formList, modrmReg, p66, rmOperand, segSelector, SZ, w } from './form-kit.js';
import { value32 } from './rng.js';

export const { forms: moveForms, add } = formList();
const { CF, PF, AF, ZF, SF, OF, ARITH } = F;

for (const s of SZ) {
  const n = bits(s);
  for (const mem of [false, true]) {
    const kind = mem ? 'mem' : 'reg';
    add(`mov r/m${n},r${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, b.reg(s), true);
      b.emit(...p66(s), ...o.pre, 0x88 + w(s), ...o.tail);
    });
    add(`mov r${n},r/m${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, b.reg(s), false);
      b.emit(...p66(s), ...o.pre, 0x8a + w(s), ...o.tail);
    });
    add(`mov r/m${n},imm${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, 0, true);
      b.emit(...p66(s), ...o.pre, 0xc6 + w(s), ...o.tail, ...b.imm(value32(b.rng), s));
    });
    add(`xchg r/m${n},r${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, b.reg(s), true, mem && b.rng.chance(0.3));
      b.emit(...p66(s), ...o.pre, 0x86 + w(s), ...o.tail);
    });
    add(`xadd r/m${n},r${n} ${kind}`, (b) => {
      const o = rmOperand(b, mem, s, b.reg(s), true, mem && b.rng.chance(0.3));
      b.emit(...p66(s), ...o.pre, 0x0f, 0xc0 + w(s), ...o.tail);
      b.flags(ARITH);
    });
    add(`cmpxchg r/m${n},r${n} ${kind}`, (b) => {
      // Half of the time make the accumulator equal to the destination.
      const v = value32(b.rng);
      b.setReg(R.EAX, v);
      b.avoid = 1 << R.EAX;
      const src = b.reg(s);
      let o;
      if (mem) {
        const off = b.dataOff(s);
        if (b.rng.chance(0.5)) b.patch(off, v);
        o = { pre: [...(b.rng.chance(0.3) ? [0xf0] : []), ...b.segPrefix(true)], tail: b.memAt(off, src) };
      } else {
        const d = b.reg(s);
        if (b.rng.chance(0.5) && s !== 1) b.setReg(d, v);
        o = { pre: [], tail: [modrmReg(src, d)] };
      }
      b.avoid = 0;
      b.emit(...p66(s), ...o.pre, 0x0f, 0xb0 + w(s), ...o.tail);
      b.flags(ARITH);
    });
    if (s !== 1) {
      for (const [op, opc] of [['movzx', 0xb6], ['movsx', 0xbe]] as const) {
        add(`${op} r${n},r/m8 ${kind}`, (b) => {
          const o = rmOperand(b, mem, 1, b.reg32(), false);
          b.emit(...p66(s), ...o.pre, 0x0f, opc, ...o.tail);
        });
        add(`${op} r${n},r/m16 ${kind}`, (b) => {
          const o = rmOperand(b, mem, 2, b.reg32(), false);
          b.emit(...p66(s), ...o.pre, 0x0f, opc + 1, ...o.tail);
        });
      }
    }
  }
  add(`mov r${n},imm${n} (B0/B8+r)`, (b) => {
    b.emit(...p66(s), (s === 1 ? 0xb0 : 0xb8) + b.reg(s), ...b.imm(value32(b.rng), s));
  });
  add(`mov ${['al', 'ax', 'eax'][s >> 1]},moffs${n}`, (b) => {
    const off = b.dataOff(s);
    b.patchValue(off, s);
    b.emit(...p66(s), ...b.segPrefix(false), 0xa0 + w(s), ...b.imm(SCRATCH_ADDR + off, 4));
  });
  add(`mov moffs${n},${['al', 'ax', 'eax'][s >> 1]}`, (b) => {
    b.emit(...p66(s), ...b.segPrefix(true), 0xa2 + w(s), ...b.imm(SCRATCH_ADDR + b.dataOff(s), 4));
  });
  if (s !== 1) add(`xchg ${s === 2 ? 'ax' : 'eax'},r${n} (90+r)`, (b) => b.emit(...p66(s), 0x90 + b.reg32()));
}

add('cmpxchg8b m64', (b) => {
  const off = b.dataOff(8);
  const lo = value32(b.rng), hi = value32(b.rng);
  b.setReg(R.EAX, lo);
  b.setReg(R.EDX, hi);
  if (b.rng.chance(0.5)) { b.patch(off, lo); b.patch(off + 4, b.rng.chance(0.8) ? hi : hi ^ 1); }
  b.avoid = (1 << R.EAX) | (1 << R.EDX);
  const pre = [...(b.rng.chance(0.3) ? [0xf0] : []), ...b.segPrefix(true)];
  const tail = b.memAt(off, 1);
  b.avoid = 0;
  b.emit(...pre, 0x0f, 0xc7, ...tail);
  b.flags(ZF);
});
add('bswap r32', (b) => b.emit(0x0f, 0xc8 + b.reg32()));
add('nop', (b) => b.emit(0x90));
add('nop r/m32 (0F 1F /0)', (b) => {
  const o = rmOperand(b, b.rng.chance(0.5), 4, 0, false);
  b.emit(...o.pre, 0x0f, 0x1f, ...o.tail);
});
add('pause', (b) => b.emit(0xf3, 0x90));

// LEA: no memory access, so random base/index values exercise every ModRM/SIB shape (incl. 16-bit
// operand size, which truncates the 32-bit address).
for (const s of [2, 4]) {
  add(`lea r${bits(s)},m`, (b) => {
    const r = b.rng;
    const dst = b.reg32();
    const base = r.below(8), index = r.below(8), scale = r.below(4);
    const mod = r.below(3);
    const rmSib = r.chance(0.5);
    const disp = mod === 1 ? [r.below(256)] : mod === 2 ? b.imm(value32(r), 4) : [];
    if (rmSib) {
      const needDisp32 = mod === 0 && (base & 7) === 5;
      b.emit(...p66(s), 0x8d, (mod << 6) | (dst << 3) | 4, (scale << 6) | (index << 3) | base, ...(needDisp32 ? b.imm(value32(r), 4) : disp));
    } else {
      let rmv = r.below(8);
      if (rmv === 4) rmv = 3; // 4 selects a SIB (the other branch)
      const needDisp32 = mod === 0 && rmv === 5;
      b.emit(...p66(s), 0x8d, (mod << 6) | (dst << 3) | rmv, ...(needDisp32 ? b.imm(value32(r), 4) : disp));
    }
  });
}

// ------------------------------------------------------------------ conversions and flags
add('cbw', (b) => b.emit(0x66, 0x98));
add('cwde', (b) => b.emit(0x98));
add('cwd', (b) => b.emit(0x66, 0x99));
add('cdq', (b) => b.emit(0x99));
add('lahf', (b) => { b.needFlags(SF | ZF | AF | PF | CF); b.emit(0x9f); });
add('sahf', (b) => { b.emit(0x9e); b.flags(SF | ZF | AF | PF | CF); });
add('clc', (b) => { b.emit(0xf8); b.flags(CF); });
add('stc', (b) => { b.emit(0xf9); b.flags(CF); });
add('cmc', (b) => { b.needFlags(CF); b.emit(0xf5); b.flags(CF); });
add('cld', (b) => { b.emit(0xfc); b.df = 0; });
add('std', (b) => { b.emit(0xfd); b.df = 1; });
// SALC (D6, undocumented by Intel, AL = CF ? FF : 00): executes on Intel and AMD outside 64-bit mode.
add('salc', (b) => { b.needFlags(CF); b.emit(0xd6); });

// ------------------------------------------------------------------ BCD (SDM Vol. 2 DAA/DAS/AAA/AAS/AAM/AAD)
const bcdAx = (b: SeqBuilder): void => {
  const r = b.rng;
  const al = r.chance(0.5) ? r.below(256) : r.pick([0x00, 0x09, 0x0a, 0x0f, 0x10, 0x99, 0x9a, 0xf9, 0xfa, 0xff, 0x66, 0x7f, 0x80]);
  b.setReg(R.EAX, (value32(r) & ~0xffff) | (r.below(256) << 8) | al);
};
add('daa', (b) => { bcdAx(b); b.needFlags(CF | AF); b.emit(0x27); b.flags(ARITH, OF); });
add('das', (b) => { bcdAx(b); b.needFlags(CF | AF); b.emit(0x2f); b.flags(ARITH, OF); });
add('aaa', (b) => { bcdAx(b); b.needFlags(AF); b.emit(0x37); b.flags(ARITH, OF | SF | ZF | PF); });
add('aas', (b) => { bcdAx(b); b.needFlags(AF); b.emit(0x3f); b.flags(ARITH, OF | SF | ZF | PF); });
// AAM with an immediate of 0 raises #DE (SDM Vol. 2 AAM)
add('aam imm8', (b) => { bcdAx(b); b.emit(0xd4, b.rng.chance(0.5) ? 10 : b.rng.chance(0.1) ? 0 : b.rng.below(256)); b.flags(ARITH, OF | AF | CF); });
add('aad imm8', (b) => { bcdAx(b); b.emit(0xd5, b.rng.chance(0.5) ? 10 : b.rng.below(256)); b.flags(ARITH, OF | AF | CF); });

// XLAT: AL = [EBX + AL] (DS, overridable).
add('xlat', (b) => {
  b.setReg(R.EBX, SCRATCH_ADDR + b.rng.below(DATA_END));
  b.emit(...b.segPrefix(false), 0xd7);
});

// ------------------------------------------------------------------ segment registers (flat user selectors)
add('mov r/m16,sreg', (b) => {
  const sreg = b.rng.pick([0, 1, 2, 3]); // ES CS SS DS (FS/GS hold host-specific TLS selectors)
  const mem = b.rng.chance(0.5);
  const o = rmOperand(b, mem, 2, sreg, true);
  b.emit(...(b.rng.chance(0.5) ? [0x66] : []), ...o.pre, 0x8c, ...o.tail);
});
add('mov sreg,r/m16', (b) => {
  const sreg = b.rng.pick([0, 3, 2, 0, 3]); // ES DS SS
  const r = b.reg32();
  const sel = segSelector(b, sreg === 2);
  b.setReg(r, (value32(b.rng) & ~0xffff) | sel);
  b.emit(0x8e, modrmReg(sreg, r));
});

// LEA with 16-bit addressing (67): no memory access, so every 16-bit ModRM shape with any
// register values (the address wraps at 64 KiB; a 32-bit destination gets it zero-extended).
for (const s of [2, 4]) {
  add(`lea r${bits(s)},m (a16)`, (b) => {
    const r = b.rng;
    const mod = r.below(3), rm = r.below(8);
    const disp = mod === 1 ? [r.below(256)] : mod === 2 || (mod === 0 && rm === 6) ? b.imm(value32(r), 2) : [];
    b.emit(...p66(s), 0x67, 0x8d, (mod << 6) | (b.reg32() << 3) | rm, ...disp);
  });
}

// Redundant and conflicting prefixes: repeated 66, several segment overrides (the last one wins
// on current CPUs... and for a flat address space any of them is the same), F2/F3 on
// instructions that ignore them.
add('prefix soup on ALU r/m,r', (b) => {
  const r = b.rng;
  const op = r.pick([0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x03, 0x2b, 0x85, 0x89, 0x8b]);
  if (op === 0x11 || op === 0x19) b.needFlags(F.CF);
  const mem = r.chance(0.7);
  const o = rmOperand(b, mem, 4, b.reg32(), true);
  const pfx: number[] = [];
  const n = r.range(1, 4);
  for (let k = 0; k < n; k++) pfx.push(r.pick([0x66, 0x66, 0x26, 0x36, 0x3e, 0xf2, 0xf3, ...(mem ? [] : [0x2e])]));
  b.emit(...pfx, ...o.pre, op, ...o.tail);
  if (op !== 0x89 && op !== 0x8b) b.flags(F.ARITH, op === 0x09 || op === 0x21 || op === 0x31 || op === 0x85 ? F.AF : 0);
});
