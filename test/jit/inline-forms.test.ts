/**
 * Every instruction form the table marks as inline (src/cpu/sem templates) is translated *and
 * inlined*: for each such entry of the integer table, at both operand sizes, in its register and
 * memory forms, an instance with random operands runs in the interpreter and in the JIT
 * (threshold 0), the two machines must agree, and the JIT's block must hold no handler call for it.
 * A template that declined a form, or a canInline that refused it, fails here even though the
 * states would agree.
 */
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/frontend/decoder.js';
import { Insn } from '../../src/frontend/insn.js';
import { entries, type Entry } from '../../src/frontend/table.js';
import { mnemonicName } from '../../src/frontend/mnemonics.js';
import { templateFor } from '../../src/cpu/sem/gen.js';
import '../../src/cpu/cpu.js';
import { check, CODE, DATA, expectSame, expectSourcesValid, pair, runBoth } from './helpers.js';
import { Rng } from '../support/sequence.js';

/** Bytes of the source the decoder reads: the candidate instruction then filler. */
function source(bytes: number[]): { fetch8(a: number): number } {
  return { fetch8: (a: number) => bytes[a] ?? 0x90 };
}

interface Case {
  name: string;
  code: Uint8Array;
}

/** Instances of entry `e`: [66?] [0F] opcode [ModRM] [disp32] imm, register and memory forms. */
function instances(e: Entry, rng: Rng): Case[] {
  const out: Case[] = [];
  if (e.map > 1 || e.mandatory >= 0 || e.prefixF3) return out;
  const forms: ('reg' | 'mem' | 'none')[] = !e.hasModrm ? ['none'] : e.modrmByte >= 0 ? ['none'] : [
    ...(e.memOnly ? [] : ['reg' as const]),
    ...(e.regOnly ? [] : ['mem' as const]),
  ];
  for (const o16 of [false, true]) {
    for (const form of forms) {
      const b: number[] = [];
      if (o16) b.push(0x66);
      if (e.map === 1) b.push(0x0f);
      b.push(e.opcode);
      if (e.hasModrm) {
        const reg = e.modrmReg >= 0 ? e.modrmReg : rng.below(8);
        if (e.modrmByte >= 0) b.push(e.modrmByte);
        else if (form === 'reg') b.push(0xc0 | (reg << 3) | rng.below(8));
        else {
          // [disp32] inside the data area, 4-aligned or not.
          b.push((reg << 3) | 5);
          const d = DATA + 0x100 + rng.below(0x200);
          b.push(d & 255, (d >> 8) & 255, (d >> 16) & 255, (d >>> 24) & 255);
        }
      }
      for (let k = 0; k < 4; k++) b.push(rng.below(256));
      const insn = new Insn();
      decode(insn, source(b), 0, true);
      if (insn.entry !== e) continue;
      out.push({ name: `${e.enc}${o16 ? ' o16' : ''} ${form}`, code: new Uint8Array([...b.slice(0, insn.len), 0xf4]) });
    }
  }
  return out;
}

/** Entries the table's inline column marks (block ends are covered by the differential tests). */
const inlineEntries = entries.filter((e) => e.jitInline && !e.unitEnd && e.map <= 1);
/** String instructions (their registers must point somewhere sensible): the describe below. */
const STRING = new Set(['MOVS', 'CMPS', 'STOS', 'LODS', 'SCAS']);

const CONTROL = new Set(['JMP', 'Jcc', 'JCXZ', 'LOOP', 'LOOPE', 'LOOPNE', 'CALL', 'RET']);

describe('every templated form is translated and inlined', () => {
  it("the table's inline column names exactly the entries with a template (or a translated transfer)", () => {
    for (const e of entries) {
      if (!e.jitInline) {
        // A call entry has no template covering it: its semantics exist once, in its handler.
        const f = Object.assign(new Insn(), { mn: e.mn, entry: e, k0: e.nops > 0 ? 5 : 0 });
        if (/ s[A-Z]S/.test(e.enc)) continue; // PUSH/POP Sreg: the template does not cover Sreg
        expect(templateFor(f), `${e.enc} is marked call but has a template`).toBeUndefined();
      } else {
        const covered = [0, 1, 2, 3].some((k0) => templateFor(Object.assign(new Insn(), { mn: e.mn, entry: e, k0 })) !== undefined);
        expect(CONTROL.has(mnemonicName[e.mn]) || covered, `${e.enc} is marked inline without a template`).toBe(true);
      }
    }
  });

  it('covers the hot integer mnemonics', () => {
    const names = new Set(inlineEntries.map((e) => mnemonicName[e.mn]));
    for (const n of ['ADD', 'SUB', 'ADC', 'SBB', 'AND', 'OR', 'XOR', 'CMP', 'TEST', 'INC', 'DEC', 'NEG', 'NOT']) expect(names.has(n), n).toBe(true);
  });

  for (const e of inlineEntries) {
    if (STRING.has(mnemonicName[e.mn])) continue;
    it(e.enc, () => {
      const rng = new Rng(e.id * 7919 + 1);
      const cases = instances(e, rng);
      for (const c of cases) {
        const p = pair(c.code, (t) => {
          const r = new Rng(e.id);
          for (let k = 0; k < 8; k++) if (k !== 4) t.cpu.regs[k] = r.next() | 0;
          // Register operands used as addresses stay harmless: the memory forms use [disp32].
          for (let k = 0; k < 0x400; k++) t.phys.u8[DATA + k] = r.below(256);
        }, 0);
        const n = runBoth(p, 10);
        expect(n.jit, c.name).toBe(n.interp);
        expectSame(p);
        expectSourcesValid(p);
        const blocks = [...p.engine.blocks()].filter((b) => b.eip === CODE && b.fn !== null);
        expect(blocks.length, `${c.name}: translated`).toBe(1);
        const b = blocks[0];
        expect(b.inlined[0], `${c.name}: inlined (no handler call)`).toBe(1);
      }
    });
  }
});

/**
 * String instructions: every mnemonic at every element size, without a prefix, with REP (F3) and
 * with F2, at 32- and 16-bit address size (SI/DI/CX wrap, the upper halves kept), both directions,
 * with and without a segment override (FS, based elsewhere), on counts that stop at once, after a
 * few elements, on a REPE/REPNE condition, and after more than one chunk (the instruction yields and
 * runs again). Per mnemonic, one program runs every case (a machine is costly to make): it must
 * agree with the interpreter (icount included), and every string instruction of every translated
 * block must be inline (no handler call).
 */
describe('string instructions are translated and inlined, with and without REP', () => {
  const OPS: [number, string][] = [[0xa4, 'MOVS'], [0xa6, 'CMPS'], [0xaa, 'STOS'], [0xac, 'LODS'], [0xae, 'SCAS']];
  const FS_BASE = 0x3000;
  const movImm = (r: number, v: number): number[] => [0xb8 + r, v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >>> 24) & 255];
  for (const [op, name] of OPS) {
    it(name, () => {
      const rng = new Rng(op);
      const code: number[] = [];
      let cases = 0;
      for (const size of [1, 2, 4]) for (const a16 of [false, true]) for (const rep of [0, 0xf3, 0xf2]) for (const df of [false, true]) {
        for (const count of rep === 0 ? [3] : [0, 1, 9, 5000]) {
          const mis = rng.below(4);
          const hi = a16 ? rng.next() & 0xffff0000 : 0;
          // Offsets: 16-bit ones below 64 KiB (some near the top, so that SI/DI wrap); 32-bit ones
          // in DATA. The regions alternate between long equal runs and random bytes (setup).
          const base = a16 ? (rng.below(4) === 0 ? 0xfff0 : 0x8000) : DATA + (rng.below(2) << 16);
          const si = df ? base + 0x7000 : base + 0x100;
          const di = df ? base + 0x7800 : base + 0x4000;
          code.push(...movImm(6, hi | ((si + mis) & (a16 ? 0xffff : -1))));
          code.push(...movImm(7, (hi ^ 0x10000) | ((di + mis) & (a16 ? 0xffff : -1))));
          code.push(...movImm(1, (a16 ? rng.next() & 0xffff0000 : 0) | count));
          code.push(...movImm(0, rng.below(2) === 0 ? 0x5a5a5a5a : rng.next()));
          code.push(df ? 0xfd : 0xfc);
          if (rng.below(2) === 0) code.push(0x64);
          if (a16) code.push(0x67);
          if (size === 2) code.push(0x66);
          if (rep !== 0) code.push(rep);
          code.push(size === 1 ? op : op + 1);
          cases++;
        }
      }
      code.push(0xf4);
      expect(cases).toBe(3 * 2 * 2 * (1 + 2 * 4));
      const p = pair(new Uint8Array(code), (t) => {
        const r = new Rng(op + 1);
        t.cpu.segBase[4] = FS_BASE;
        // 0x4000..0x10000 (16-bit offsets, above the code) and DATA..DATA+0x20000: equal runs of
        // 0x5a with a rare 1 in the first half of each 64 KiB, random bytes in the second.
        for (const [from, to] of [[0x4000, 0x10000], [DATA, DATA + 0x20000]]) {
          for (let k = from; k < to; k++) t.phys.u8[k] = (k & 0x8000) === 0 ? (r.below(3000) === 0 ? 1 : 0x5a) : r.below(4);
        }
      }, 0);
      const ran = runBoth(p, 100_000);
      expect(p.interp.cpu.halted).toBe(true);
      expect(ran.jit).toBe(ran.interp);
      // Six instructions a case, and HLT: more were retired, so some REP cases yielded and ran again.
      expect(ran.interp).toBeGreaterThan(6 * cases + 1);
      expectSame(p);
      expectSourcesValid(p);
      let seen = 0;
      for (const b of p.engine.blocks()) {
        if (b.fn === null) continue;
        b.insns.forEach((i, k) => {
          if (mnemonicName[i.mn] !== name) return;
          seen++;
          expect(b.inlined[k], `${name} at 0x${b.eips[k].toString(16)}: inlined`).toBe(1);
        });
      }
      expect(seen).toBeGreaterThanOrEqual(cases);
    });
  }

  it('REP STOS takes the bulk path in translated code and yields after a chunk', () => {
    // rep stosd of 5000 dwords: two executions (4096 + 904 elements), then HLT.
    const p = pair(new Uint8Array([0xf3, 0xab, 0xf4]), (t) => {
      t.cpu.regs[7] = DATA;
      t.cpu.regs[1] = 5000;
      t.cpu.regs[0] = 0x01020304;
    }, 0);
    const ran = runBoth(p, 20);
    expect(ran.interp).toBe(3);
    expect(ran.jit).toBe(3);
    expectSame(p);
    expect(p.sources.some((s) => /rt\.stos\(/.test(s))).toBe(true);
    expect(p.jit.cpu.regs[7]).toBe(DATA + 20000);
  });
});

/** LOOP/LOOPE/LOOPNE/JCXZ end their block: translated inline in flat 32-bit code (ECX, or CX with
 *  the address-size prefix), agreeing with the interpreter. */
describe('LOOPcc and JCXZ are translated and inlined', () => {
  const programs: [string, string][] = [
    ['loop', 'mov ecx, 7\n 1: add eax, ecx\n loop 1b'],
    ['loop a16 (CX wraps, the upper half kept)', 'mov ecx, 0x30002\n 1: add eax, 3\n addr16 loop 1b'],
    ['loope', 'mov ecx, 50\n 1: add eax, 1\n cmp eax, 0x7fffffff\n cmp ebx, ebx\n loope 1b'],
    ['loopne', 'mov ecx, 50\n 1: add eax, 1\n cmp eax, 9\n loopne 1b'],
    ['loope stops on ZF = 0', 'mov ecx, 50\n 1: inc ebx\n cmp ebx, 4\n loope 1b\n mov esi, ecx'],
    ['jecxz', 'mov ecx, 5\n 1: dec ecx\n jecxz 2f\n add eax, 2\n jmp 1b\n 2:'],
    ['jcxz', 'mov ecx, 0x50003\n 1: dec ecx\n jcxz 2f\n add eax, 2\n jmp 1b\n 2:'],
  ];
  for (const [name, body] of programs) {
    it(name, () => {
      const p = check(`${body}\n hlt`, () => {}, 0);
      let seen = 0;
      for (const b of p.engine.blocks()) {
        if (b.fn === null) continue;
        b.insns.forEach((i, k) => {
          if (!['LOOP', 'LOOPE', 'LOOPNE', 'JCXZ'].includes(mnemonicName[i.mn])) return;
          seen++;
          expect(b.inlined[k], `${name}: inlined`).toBe(1);
        });
      }
      expect(seen).toBeGreaterThan(0);
    });
  }
});
