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
import { CODE, DATA, expectSame, expectSourcesValid, pair, runBoth } from './helpers.js';
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

const CONTROL = new Set(['JMP', 'Jcc', 'CALL', 'RET']);

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
