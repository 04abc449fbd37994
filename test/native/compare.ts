/**
 * Comparison of a native outcome with the interpreter's, and the minimal reproducer printed for a
 * mismatch (sequence bytes, objdump disassembly, initial state, differing fields).
 *
 * What is compared (README "What is compared"):
 * - status (completed / faulted), the fault vector, the error code of vectors that push one, and
 *   the EIP of the faulting instruction;
 * - EAX..EDI (ESP included: it points into the scratch page), minus registers the SDM leaves
 *   undefined for the generated operands;
 * - EFLAGS: CF PF AF ZF SF OF DF IF IOPL NT ID, minus the arithmetic flags the executed instructions
 *   leave undefined (interp-runner.ts: table entry + SDM count rules);
 * - ES DS FS GS selectors; the 768-byte scratch area (data, stack, x87 images), minus x87 pointer fields;
 * - x87 (sequences that use it): CW, SW (minus condition codes the SDM leaves undefined), TW and
 *   every non-empty ST(i). 'exact' sequences bit for bit;
 *   'tol' sequences: PE/UE/C1 not compared, values within TOLERANCE (below), x87 stores in memory
 *   by value.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_ADDR, FSAVE, initialScratch, type Outcome, SCRATCH_ADDR, SCRATCH_SIZE, type Sequence, STRADDLE_OFF, VIEW_SIZE } from './format.js';
import { f80Parts, f80ToNumber, hex80 } from './gen/f80.js';
import type { InterpResult } from './interp-runner.js';

/** EFLAGS bits compared: CF PF AF ZF SF DF OF, IF, IOPL, NT, AC, ID. */
export const EFLAGS_COMPARED = 0x0cd5 | 0x0200 | 0x3000 | 0x4000 | 0x40000 | 0x200000;
/**
 * Tolerance of 'tol' x87 sequences: |native - interp| <= 2^-40 * max(|native|, |interp|). A 'tol'
 * sequence holds at most one precision-dependent operation, last (generate.ts), so the difference
 * is the interpreter's own error on one operation: 53-bit significands where the hardware keeps 64
 * under PC = extended (src/cpu/fpu/state.ts), and transcendental functions computed in doubles.
 */
export const TOLERANCE = 2 ** -40;
/** Vectors with an error code (SDM Vol. 3 Table 6-1). */
const HAS_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);

export interface Diff {
  field: string;
  native: string;
  interp: string;
}

const hex = (v: number, w = 8): string => (v >>> 0).toString(16).padStart(w, '0');
const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];

/**
 * X86JIT_FUZZ_X87_STRICT=1 compares 'tol' sequences bit for bit as well (for work on the x87's
 * extended-precision paths; the documented contract is the tolerance).
 */
const X87_STRICT = process.env.X86JIT_FUZZ_X87_STRICT === '1';

export function compare(s: Sequence, n: Outcome, i: InterpResult): Diff[] {
  if (X87_STRICT && s.fpu === 'tol') s = { ...s, fpu: 'exact' };
  const d: Diff[] = [];
  const add = (field: string, a: string, b: string): void => void d.push({ field, native: a, interp: b });
  if (n.status === 2) add('native', 'did not finish within 0.5 s of CPU time (a generator bug: report it)', i.error || 'ran');
  if (i.error) add('interpreter', '-', i.error);
  if (n.status !== i.status) add('status', n.status ? `fault #${n.vector}` : 'completed', i.status ? `fault #${i.vector}` : 'completed');
  else if (n.status === 1) {
    if (n.vector !== i.vector) add('vector', String(n.vector), String(i.vector));
    else if (HAS_CODE.has(n.vector) && (n.errorCode & 0xffff) !== (i.errorCode & 0xffff)) add('error code', hex(n.errorCode, 4), hex(i.errorCode, 4));
    if (n.vector === 14 && i.vector === 14 && n.cr2 !== i.cr2) add('cr2', hex(n.cr2), hex(i.cr2));
  }
  if (n.eipOff !== i.eipOff) add('eip', `+${n.eipOff}`, `+${i.eipOff}`);
  for (let r = 0; r < 8; r++) {
    if (s.undefRegs & (1 << r)) continue;
    if (n.regs[r] !== i.regs[r]) add(REGS[r], hex(n.regs[r]), hex(i.regs[r]));
  }
  const undef = i.traced ? i.undefFlags : s.undefFlags;
  const fm = EFLAGS_COMPARED & ~undef;
  if ((n.eflags & fm) !== (i.eflags & fm)) add(`eflags (mask ${hex(fm, 6)})`, `${hex(n.eflags & fm, 6)} ${flagNames(n.eflags & fm)}`, `${hex(i.eflags & fm, 6)} ${flagNames(i.eflags & fm)}`);
  if (!sameDataSelector(n.es, i.es)) add('es', hex(n.es, 4), hex(i.es, 4));
  if (!sameDataSelector(n.ds, i.ds)) add('ds', hex(n.ds, 4), hex(i.ds, 4));
  if (!sameDataSelector(n.fs, i.fs)) add('fs', hex(n.fs, 4), hex(i.fs, 4));
  if (!sameDataSelector(n.gs, i.gs)) add('gs', hex(n.gs, 4), hex(i.gs, 4));
  compareMemory(s, n, i, add);
  if (s.fpu !== 'none' && (n.status === 0 || s.fpuAfterFault !== false)) compareFpu(s, n, i, add);
  return d;
}

function compareMemory(s: Sequence, n: Outcome, i: Outcome, add: (f: string, a: string, b: string) => void): void {
  const skip = new Uint8Array(n.scratch.length);
  for (const [off, len] of s.memMask) skip.fill(1, off, off + len);
  if (s.fpu === 'tol') {
    for (const [off, fmt] of s.fpStores) {
      const size = { f32: 4, f64: 8, f80: 10, i16: 2, i32: 4, i64: 8, bcd: 10 }[fmt] ?? 0;
      const a = memValue(n.scratch, off, fmt), b = memValue(i.scratch, off, fmt);
      const same = fmt === 'f80' ? hex80(n.scratch, off) === hex80(i.scratch, off) || closeF80(n.scratch, i.scratch, off) || (Number.isNaN(a) && Number.isNaN(b))
        : closeEnough(a, b, fmt.startsWith('f') ? 0 : 1);
      if (!same) add(`mem[${hex(off, 3)}] ${fmt}`, fmt === 'f80' ? `${hex80(n.scratch, off)} (${a})` : String(a), fmt === 'f80' ? `${hex80(i.scratch, off)} (${b})` : String(b));
      skip.fill(1, off, off + size);
    }
  }
  for (const [from, to] of [[0, SCRATCH_SIZE], [STRADDLE_OFF, VIEW_SIZE]]) {
    let first = -1, last = -1;
    for (let k = from; k < to; k++) {
      if (skip[k] || n.scratch[k] === i.scratch[k]) continue;
      if (first < 0) first = k;
      last = k;
    }
    if (first >= 0) {
      const lo = first & ~3, hi = Math.min(to, (last | 3) + 1, lo + 32);
      add(`mem[${hex(lo, 3)}..${hex(hi - 1, 3)}]`, bytesHex(n.scratch.subarray(lo, hi)), bytesHex(i.scratch.subarray(lo, hi)));
    }
  }
}

function memValue(b: Uint8Array, off: number, fmt: string): number {
  const dv = new DataView(b.buffer, b.byteOffset + off);
  switch (fmt) {
    case 'f32': return dv.getFloat32(0, true);
    case 'f64': return dv.getFloat64(0, true);
    case 'f80': return f80ToNumber(b, off);
    case 'i16': return dv.getInt16(0, true);
    case 'i32': return dv.getInt32(0, true);
    case 'i64': return Number(dv.getBigInt64(0, true));
    default: { // packed BCD (SDM Vol. 1 §4.7): 18 digits, sign in bit 79
      let v = 0;
      for (let k = 8; k >= 0; k--) v = v * 100 + (b[off + k] >> 4) * 10 + (b[off + k] & 15);
      return b[off + 9] & 0x80 ? -v : v;
    }
  }
}

function closeEnough(a: number, b: number, absolute = 0): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= Math.max(absolute, TOLERANCE * Math.max(Math.abs(a), Math.abs(b)));
}

function compareFpu(s: Sequence, n: Outcome, i: Outcome, add: (f: string, a: string, b: string) => void): void {
  const dn = new DataView(n.fsave.buffer, n.fsave.byteOffset), di = new DataView(i.fsave.buffer, i.fsave.byteOffset);
  const cwN = dn.getUint16(FSAVE.cw, true) & 0x1f7f, cwI = di.getUint16(FSAVE.cw, true) & 0x1f7f;
  if (cwN !== cwI) add('fpu cw', hex(cwN, 4), hex(cwI, 4));
  const swMask = (s.fpu === 'exact' ? 0xffff : 0xffff & ~(0x20 | 0x10 | 0x200)) & ~s.undefFsw;
  const swN = dn.getUint16(FSAVE.sw, true) & swMask, swI = di.getUint16(FSAVE.sw, true) & swMask;
  if (swN !== swI) add(`fpu sw (mask ${hex(swMask, 4)})`, hex(swN, 4), hex(swI, 4));
  const twN = dn.getUint16(FSAVE.tw, true), twI = di.getUint16(FSAVE.tw, true);
  if (twN !== twI) add('fpu tw', hex(twN, 4), hex(twI, 4));
  const top = (dn.getUint16(FSAVE.sw, true) >> 11) & 7;
  for (let k = 0; k < 8; k++) {
    const phys = (top + k) & 7;
    if (((twN >> (2 * phys)) & 3) === 3 && ((twI >> (2 * phys)) & 3) === 3) continue;
    const off = FSAVE.st + 10 * k;
    const a = hex80(n.fsave, off), b = hex80(i.fsave, off);
    if (a === b) continue;
    if (s.fpu === 'tol') {
      const pa = f80Parts(n.fsave, off), pb = f80Parts(i.fsave, off);
      const nanA = pa.exp === 0x7fff && (pa.mant << 1n) !== 0n, nanB = pb.exp === 0x7fff && (pb.mant << 1n) !== 0n;
      if (nanA && nanB) continue;
      if (closeF80(n.fsave, i.fsave, off)) continue;
    }
    add(`st(${k})`, `${a} (${f80ToNumber(n.fsave, off)})`, `${b} (${f80ToNumber(i.fsave, off)})`);
  }
}

/** Two float80 values within TOLERANCE, exactly (BigInt), whatever their exponents. */
function closeF80(x: Uint8Array, y: Uint8Array, off: number): boolean {
  const a = f80Parts(x, off), b = f80Parts(y, off);
  if (a.exp === 0x7fff || b.exp === 0x7fff) return false; // inf/NaN: equal patterns only
  if (a.sign !== b.sign) return a.mant === 0n && b.mant === 0n;
  // value = mant * 2^(exp - 16383 - 63) (denormals use exponent 1)
  const ea = a.exp === 0 ? 1 : a.exp, eb = b.exp === 0 ? 1 : b.exp;
  const e = Math.min(ea, eb);
  const va = a.mant << BigInt(ea - e), vb = b.mant << BigInt(eb - e);
  const diff = va > vb ? va - vb : vb - va;
  const big = va > vb ? va : vb;
  return diff * 2n ** 40n <= big; // |a - b| <= 2^-40 * max(|a|, |b|)
}

function flagNames(f: number): string {
  const names: Array<[number, string]> = [[0x800, 'OF'], [0x400, 'DF'], [0x80, 'SF'], [0x40, 'ZF'], [0x10, 'AF'], [0x4, 'PF'], [0x1, 'CF'], [0x4000, 'NT'], [0x200000, 'ID'], [0x200, 'IF']];
  return names.filter(([b]) => f & b).map(([, n]) => n).join(' ') || '-';
}

function bytesHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

let objdumpDir = '';
/** objdump's Intel-syntax disassembly of the sequence bytes (at the address they run at). */
export function disassemble(code: Uint8Array): string {
  try {
    if (!objdumpDir) objdumpDir = mkdtempSync(join(tmpdir(), 'x86jit-native-dis-'));
    const f = join(objdumpDir, 'seq.bin');
    writeFileSync(f, code);
    const out = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386', '-M', 'intel', `--adjust-vma=0x${CODE_ADDR.toString(16)}`, f], { encoding: 'utf8' });
    return out.split('\n').filter((l) => /^\s*[0-9a-f]+:\t/.test(l)).join('\n');
  } catch (e) {
    return `(objdump unavailable: ${String(e).split('\n')[0]})`;
  }
}

/** The reproducer of one mismatching sequence. */
export function reproducer(seed: number, s: Sequence, diffs: Diff[], withDisassembly = true, campaign = ''): string {
  const lines: string[] = [];
  lines.push(`--- MISMATCH: ${s.forms[0]}   (seed ${seed}, sequence ${s.id}; with ${s.forms.slice(1).join(' | ') || 'nothing else'})`);
  if (campaign) lines.push(`rerun alone: X86JIT_FUZZ_ONLY=${campaign}:${seed}:${s.id} npx vitest run test/native/differential.test.ts`);
  lines.push(`bytes: ${bytesHex(s.code)}`);
  if (withDisassembly) lines.push(disassemble(s.code));
  lines.push(`initial: ${REGS.map((r, k) => `${r}=${hex(s.regs[k])}`).join(' ')} eflags=${hex(s.eflags, 4)} (${flagNames(s.eflags)})`);
  const mem = initialScratch(s);
  lines.push(`initial scratch @${hex(SCRATCH_ADDR)} (seed ${hex(s.memSeed)}; patches ${s.patches.map(([o, v]) => `[${hex(o, 3)}]=${hex(v)}`).join(' ') || '-'}): ${bytesHex(mem.subarray(0, 32))} ...`);
  if (s.fpu !== 'none') {
    const dv = new DataView(s.fsave.buffer, s.fsave.byteOffset);
    const st = Array.from({ length: 8 }, (_, k) => `st${k}=${hex80(s.fsave, FSAVE.st + 10 * k)}`).join(' ');
    lines.push(`initial x87 (${s.fpu}): cw=${hex(dv.getUint16(FSAVE.cw, true), 4)} sw=${hex(dv.getUint16(FSAVE.sw, true), 4)} tw=${hex(dv.getUint16(FSAVE.tw, true), 4)} ${st}`);
  }
  const w = Math.max(...diffs.map((d) => d.field.length));
  for (const d of diffs) lines.push(`  ${d.field.padEnd(w)}  native ${d.native}  interp ${d.interp}`);
  return lines.join('\n');
}

/**
 * A data segment register, native vs interpreter. A null selector with a non-zero RPL (1-3) that
 * the sequence loaded reads back as 0 natively when the host took an interrupt in the sequence:
 * the kernel's IRET back to CPL 3 zeroes a data segment register whose cached DPL is below the new
 * CPL (SDM Vol. 2 IRET, "return to outer privilege level"), which a null selector's cache is. Seen
 * once in 160,000 sequences under CI load (LDS of selector 0002); the same sequence alone agrees.
 */
function sameDataSelector(native: number, interp: number): boolean {
  return native === interp || (native === 0 && interp >= 1 && interp <= 3);
}
