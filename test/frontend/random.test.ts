/**
 * Randomised differential test: instructions built from random table entries with random prefixes,
 * ModRM/SIB bytes, displacements and immediates (fixed seed, so failures reproduce), decoded by
 * us and by objdump. Lengths and text must agree wherever both accept the encoding.
 *
 * Not compared: FWAIT folded into the next x87 instruction by objdump; encodings that later
 * processors defined (LATER_EXTENSIONS); encodings objdump accepts but an i686 rejects with #UD (LOCK on a non-lockable
 * form, CR1/CR5-7, segment register 6/7, SSE3+ encodings we do not list): there we decode INVALID.
 * Normalisation: objdump prints prefixes that the instruction does not use (`gs mov eax,ebx`,
 * `data16 fadd ...`, `repz shr ...`) as leading words; those words are removed from both texts
 * before comparing, and every prefix word we print must be among objdump's.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entries, type Entry } from '../../src/frontend/table.js';
import { decode } from '../../src/frontend/decoder.js';
import { formatInsn } from '../../src/frontend/disasm.js';
import { Insn } from '../../src/frontend/insn.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { objdumpRaw } from './objdump.js';
import { ArraySource } from './helpers.js';

/** xorshift32: a small deterministic generator. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

const PREFIXES = [0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const UNDOCUMENTED = /name=(fcom2|fcomp3|fcomp5|fstp1|fstp8|fstp9|fxch4|fxch7)|SALC/;

function randomInsn(next: () => number, e: Entry): number[] {
  const bytes: number[] = [];
  const nPrefix = next() % 4 === 0 ? next() % 3 : 0;
  for (let k = 0; k < nPrefix; k++) bytes.push(PREFIXES[next() % PREFIXES.length]);
  if (e.mandatory === 1) bytes.push(0x66);
  if (e.mandatory === 2 || e.prefixF3) bytes.push(0xf3);
  if (e.mandatory === 3) bytes.push(0xf2);
  if (e.map >= 1) bytes.push(0x0f);
  if (e.map === 2) bytes.push(0x38);
  if (e.map === 3) bytes.push(0x3a);
  bytes.push(e.opcode);
  if (e.hasModrm) {
    let modrm = next() & 0xff;
    if (e.modrmByte >= 0) modrm = e.modrmByte;
    if (e.modrmReg >= 0) modrm = (modrm & 0xc7) | (e.modrmReg << 3);
    if (e.memOnly && modrm >= 0xc0) modrm &= 0x7f;
    if (e.regOnly && !e.forceReg) modrm |= 0xc0;
    bytes.push(modrm);
  }
  // Enough random bytes for any SIB/displacement/immediate; the decoder takes what it needs.
  for (let k = 0; k < 10; k++) bytes.push(next() & 0xff);
  return bytes;
}

/** Encodings that later processors gave a meaning (objdump decodes them; an i686 does not). */
const LATER_EXTENSIONS = /\b(umwait|umonitor|tpause|movsldup|movshdup|movddup|incsspd|rdsspd|ptwrite|clflushopt|bndldx|bndstx|bndmov|bndcl|bndcu|bndcn|bndmk|cldemote|wbnoinvd)\b/;

const PREFIX_WORD = /^(cs|ds|es|ss|fs|gs|data16|data32|addr16|addr32|rep|repz|repnz|lock|bnd|xacquire|xrelease|notrack)$/;

/** Leading prefix words and the rest of an instruction's text. */
function splitPrefixes(text: string): [string[], string] {
  const words = text.split(' ');
  let k = 0;
  while (k < words.length - 1 && PREFIX_WORD.test(words[k])) k++;
  return [words.slice(0, k), words.slice(k).join(' ')];
}

describe('random encodings against objdump', () => {
  it('agree in length and text (32-bit and 16-bit code)', () => {
    const next = rng(Number(process.env.X86JIT_RANDOM_SEED ?? 0x5eed1234));
    const pool = entries.slice(1).filter((e) => !UNDOCUMENTED.test(e.enc));
    const problems: string[] = [];
    for (const code32 of [true, false]) {
      const samples: number[][] = [];
      for (let n = 0; n < 6000; n++) samples.push(randomInsn(next, pool[next() % pool.length]));
      const PAD = 16;
      const starts: number[] = [];
      const blob: number[] = [];
      for (const s of samples) { starts.push(blob.length); blob.push(...s, ...new Array<number>(PAD).fill(0x90)); }
      const file = join(mkdtempSync(join(tmpdir(), 'x86jit-random-')), 'r.bin');
      writeFileSync(file, Uint8Array.from(blob));
      const refAt = new Map(objdumpRaw(file, !code32).map((r) => [r.addr, r]));
      const src = new ArraySource(Uint8Array.from(blob));
      const insn = new Insn();
      let compared = 0;
      for (const at of starts) {
        const r = refAt.get(at);
        decode(insn, src, at, code32);
        if (!r || r.text.includes('(bad)')) continue;
        compared++;
        if (insn.mn === 0 && (insn.entry === null || (insn.entry as unknown as { name: string }).name === '')) continue;
        if (LATER_EXTENSIONS.test(r.text)) continue;
        // Our named #UD encodings (SSE and later extensions) get other meanings from further
        // 66/F2/F3 prefixes on later processors; only their unprefixed forms are compared here.
        if (insn.mn === Mn.INVALID && (insn.rep !== 0 || insn.osize !== (code32 ? 4 : 2))) continue;
        // objdump folds FWAIT (9B) into the following x87 instruction (fstsw = 9B DD /7); the
        // processor executes them as two instructions, and so do we.
        if (insn.mn === Mn.WAIT && r.len > insn.len) continue;
        // objdump shows NOTRACK for any 3E on an indirect branch, even one a later segment
        // prefix overrides; we follow the last segment prefix, as the processor does.
        if (r.text.includes('notrack') && !formatInsn(insn, at, code32).includes('notrack')) continue;
        const hex = blob.slice(at, at + Math.max(insn.len, r.len)).map((b) => b.toString(16).padStart(2, '0')).join(' ');
        if (insn.len !== r.len) problems.push(`${code32 ? 32 : 16}: [${hex}] length ${insn.len} vs objdump ${r.len} "${r.text}" (ours "${formatInsn(insn, at, code32)}")`);
        else {
          const ours = formatInsn(insn, at, code32);
          const [oursPfx, oursBody] = splitPrefixes(ours);
          const [refPfx, refBody] = splitPrefixes(r.text);
          if (oursBody !== refBody || oursPfx.some((p) => !refPfx.includes(p))) problems.push(`${code32 ? 32 : 16}: [${hex}] ours "${ours}" objdump "${r.text}"`);
        }
      }
      expect(compared).toBeGreaterThan(4000);
    }
    for (const p of problems.slice(0, 300)) console.log(p);
    expect(problems).toEqual([]);
  });
});
