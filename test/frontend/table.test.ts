/**
 * Every entry of the instruction table: generated encodings (examples.ts) -> decoded fields ->
 * disassembly, checked against GNU objdump on the same bytes. Entries where objdump is not a
 * usable reference (encodings binutils rejects or spells differently) carry explicit
 * expectations below instead.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entries } from '../../src/frontend/table.js';
import { decode } from '../../src/frontend/decoder.js';
import { formatInsn } from '../../src/frontend/disasm.js';
import { Insn } from '../../src/frontend/insn.js';
import { examplesFor, type Example } from './examples.js';
import { objdumpRaw } from './objdump.js';
import { ArraySource } from './helpers.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { OpKind, type Insn as InsnT } from '../../src/frontend/insn.js';
import { parseOperand, splitOperands } from './operand-parse.js';

/**
 * Compare the decoded operand slots with objdump's operand text: kind, register number and size,
 * memory access size where objdump prints one. Returns a problem description or ''.
 * String instructions and XLAT (implicit operands, empty slots) and selector-sized register
 * sources that objdump prints at operand size are skipped.
 */
function checkFields(insn: InsnT, refText: string): string {
  if ([Mn.MOVS, Mn.CMPS, Mn.STOS, Mn.LODS, Mn.SCAS, Mn.INS, Mn.OUTS, Mn.XLAT].includes(insn.mn)) return '';
  const want = splitOperands(refText).map(parseOperand);
  const got = [[insn.k0, insn.v0, insn.s0], [insn.k1, insn.v1, insn.s1], [insn.k2, insn.v2, insn.s2]].filter((x) => x[0] !== 0);
  if (want.length !== got.length) return `operand count ${got.length} vs objdump ${want.length}`;
  for (let n = 0; n < want.length; n++) {
    const [k, v, s] = got[n];
    const w = want[n];
    const kindOk = w.k === k || (w.k === OpKind.Imm && k === OpKind.Rel) || (w.k === OpKind.Moffs && k === OpKind.Mem);
    if (!kindOk) return `slot ${n}: kind ${k} vs objdump ${w.k}`;
    const selectorSource = k === OpKind.Reg && s === 2 && [Mn.MOVSEG, Mn.LAR, Mn.LSL].includes(insn.mn);
    if ((w.k === OpKind.Reg || w.k === OpKind.St || w.k === OpKind.Xmm || w.k === OpKind.Sreg || w.k === OpKind.Creg || w.k === OpKind.Dreg) && !selectorSource) {
      if (w.v !== v || w.s !== s) return `slot ${n}: reg ${v}/${s} vs objdump ${w.v}/${w.s}`;
    }
    if (w.k === OpKind.Mem && w.s > 0 && w.s !== s) return `slot ${n}: memory size ${s} vs objdump ${w.s}`;
  }
  return '';
}

/**
 * Encodings binutils prints as "(bad)" although P6 processors execute them: SALC (D6, sets AL from
 * CF) and the x87 register-form aliases (sandpile.org "x87 FPU opcode map": FCOM2, FCOMP3, FCOMP5,
 * FSTP1, FSTP8, FSTP9, FXCH4, FXCH7). Their expected text and length are written out here.
 */
const EXPLICIT: Array<[RegExp, (modrm: number) => string, number]> = [
  [/^D6 SALC/, () => 'salc', 1],
  [/^DC D0\+i/, (m) => `fcom2 st(${m & 7})`, 2],
  [/^DC D8\+i/, (m) => `fcomp3 st(${m & 7})`, 2],
  [/^DE D0\+i/, (m) => `fcomp5 st(${m & 7})`, 2],
  [/^D9 D8\+i/, (m) => `fstp1 st(${m & 7})`, 2],
  [/^DF D0\+i/, (m) => `fstp8 st(${m & 7})`, 2],
  [/^DF D8\+i/, (m) => `fstp9 st(${m & 7})`, 2],
  [/^DD C8\+i/, (m) => `fxch4 st(${m & 7})`, 2],
  [/^DF C8\+i/, (m) => `fxch7 st(${m & 7})`, 2],
];

/**
 * 0F 1A-0F 1C are reserved NOPs on an i686, but objdump decodes them as the later MPX and
 * CLDEMOTE instructions. Their reference is objdump's decoding of the same bytes with the opcode
 * replaced by 0F 1F (the documented NOP Ev), which an i686 decodes identically.
 */
function referenceBytes(x: Example): number[] {
  const e = x.entry;
  if (e.map !== 1 || e.opcode < 0x1a || e.opcode > 0x1c) return x.bytes;
  const k = x.bytes.indexOf(e.opcode, x.bytes.indexOf(0x0f) + 1);
  return x.bytes.map((b, n) => (n === k ? 0x1f : b));
}

describe('every table entry against objdump', () => {
  const examples: Example[] = [];
  for (const e of entries.slice(1)) examples.push(...examplesFor(e));
  // Each example is followed by NOPs so objdump resynchronises after an encoding it rejects.
  const PAD = 16;
  const blob = Uint8Array.from(examples.flatMap((x) => [...x.bytes, ...new Array<number>(PAD).fill(0x90)]));
  const file = join(mkdtempSync(join(tmpdir(), 'x86jit-table-')), 'all.bin');
  writeFileSync(file, Uint8Array.from(examples.flatMap((x) => [...referenceBytes(x), ...new Array<number>(PAD).fill(0x90)])));
  const ref = objdumpRaw(file);
  const refAt = new Map(ref.map((r) => [r.addr, r]));
  const src = new ArraySource(blob);

  it('has an example for every entry', () => {
    const covered = new Set(examples.map((x) => x.entry.id));
    console.log(`${entries.length - 1} table entries, ${examples.length} example encodings`);
    expect(covered.size).toBe(entries.length - 1);
  });

  it('decodes each example to its entry, with objdump length and text', () => {
    const insn = new Insn();
    const problems: string[] = [];
    let at = 0;
    for (const x of examples) {
      decode(insn, src, at, true);
      const r = refAt.get(at);
      const hex = x.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const tag = `${x.entry.enc} (${x.what}) [${hex}]`;
      const explicit = EXPLICIT.find(([re]) => re.test(x.entry.enc));
      if (insn.entry !== x.entry) problems.push(`${tag}: decoded to entry "${insn.entry?.enc}"`);
      else if (explicit) {
        const want = explicit[1](x.bytes[x.bytes.length - 1]);
        const ours = formatInsn(insn, at);
        if (insn.len !== explicit[2] || ours !== want) problems.push(`${tag}: ours ${insn.len} "${ours}" expected ${explicit[2]} "${want}"`);
      } else if (insn.len !== x.bytes.length) problems.push(`${tag}: length ${insn.len}`);
      else if (!r || r.len !== insn.len) problems.push(`${tag}: objdump length ${r?.len} "${r?.text}"`);
      else {
        const ours = formatInsn(insn, at);
        if (ours !== r.text) problems.push(`${tag}: ours "${ours}" objdump "${r.text}"`);
        const fieldProblem = checkFields(insn, r.text);
        if (fieldProblem) problems.push(`${tag}: ${fieldProblem} ("${r.text}")`);
      }
      at += x.bytes.length + PAD;
    }
    for (const p of problems) console.log(p);
    expect(problems).toEqual([]);
  });
});

describe('every table entry in 16-bit code against objdump -m i8086', () => {
  const examples: Example[] = [];
  for (const e of entries.slice(1)) examples.push(...examplesFor(e));
  const PAD = 16;
  const blob = Uint8Array.from(examples.flatMap((x) => [...x.bytes, ...new Array<number>(PAD).fill(0x90)]));
  const file = join(mkdtempSync(join(tmpdir(), 'x86jit-table16-')), 'all.bin');
  writeFileSync(file, Uint8Array.from(examples.flatMap((x) => [...referenceBytes(x), ...new Array<number>(PAD).fill(0x90)])));
  const refAt = new Map(objdumpRaw(file, true).map((r) => [r.addr, r]));
  const src = new ArraySource(blob);

  it('decodes the same bytes with 16-bit defaults to objdump length and text', () => {
    const insn = new Insn();
    const problems: string[] = [];
    let at = 0;
    for (const x of examples) {
      decode(insn, src, at, false);
      const r = refAt.get(at);
      const hex = x.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
      const tag = `${x.entry.enc} (${x.what}) [${hex}]`;
      const explicit = EXPLICIT.some(([re]) => re.test(x.entry.enc));
      if (!explicit) {
        if (!r || r.len !== insn.len) problems.push(`${tag}: length ${insn.len}, objdump ${r?.len} "${r?.text}"`);
        else {
          const ours = formatInsn(insn, at, false);
          if (ours !== r.text) problems.push(`${tag}: ours "${ours}" objdump "${r.text}"`);
        }
      }
      at += x.bytes.length + PAD;
    }
    for (const p of problems) console.log(p);
    expect(problems).toEqual([]);
  });
});
