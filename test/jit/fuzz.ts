/**
 * Differential fuzzer: random instruction sequences run in the interpreter (Cpu.run) and in the JIT
 * (threshold 0: every block is translated on first sight) must leave identical registers, flags,
 * EIP, instruction counts, exception state, memory and thrown errors.
 *
 * Sequences mix the instruction forms the JIT inlines (ALU, MOV, LEA, PUSH/POP, Jcc, CALL/RET...)
 * with everything else the interpreter runs as handler calls (shifts, MUL/DIV, string ops with REP,
 * SETcc/CMOVcc, flag instructions, far transfers and system instructions from raw random bytes),
 * memory operands near live data and near the code itself (self-modifying code, writes into the
 * running block), page-crossing code, faults (#DE, #UD, #PF with paging on in some cases), and
 * 16-bit code. Machines are reused between cases (memory cleared, TLB flushed, state reset).
 *
 * A failing case is shrunk (instructions removed while it still fails) and reported as hex bytes
 * with their disassembly.
 */
import { Cpu } from '../../src/cpu/cpu.js';
import { getEflags, setEflags } from '../../src/cpu/flags.js';
import type { ExitHandler, VmExit } from '../../src/cpu/exit.js';
import { Jit } from '../../src/jit/engine.js';
import { PhysMemory } from '../../src/mem/phys.js';
import { decode } from '../../src/frontend/decoder.js';
import { formatInsn } from '../../src/frontend/disasm.js';
import { Insn } from '../../src/frontend/insn.js';
import { bareMachine, put64, setFlatSegments } from '../support/machine.js';
import { Rng } from '../support/sequence.js';

const MEM = 1 << 20;
/** Code is placed near the end of a page so some sequences cross into the next one (16-bit code
 *  below 64 KiB, where IP can reach it). */
const CODE32 = 0x10f80;
const CODE16 = 0xf80;
const DATA = 0x20000;
const GDT = 0x500;
const IDT = 0x600;
const STUB = 0x800;
const PAGE_DIR = 0x40000;
const PAGE_TABLE = 0x41000;
const ABSENT_PAGE = 0x50;
/** Instructions per case. */
const BUDGET = 1000;

export { Rng } from '../support/sequence.js';

/** One generated case: instruction byte chunks and the machine flavour. */
export interface FuzzCase {
  seed: number;
  chunks: number[][];
  paging: boolean;
  code16: boolean;
  regs: number[];
}

class NullHv implements ExitHandler {
  handleExit(x: VmExit): void {
    if (x.reason === 0) x.value = 0x5a;
  }
}

interface FuzzMachine {
  cpu: Cpu;
  phys: PhysMemory;
}

function makeMachine(): FuzzMachine {
  return bareMachine(MEM, new NullHv());
}

/** Reset `m` to the case's initial state with `code` loaded. */
function prepare(m: FuzzMachine, c: FuzzCase, code: Uint8Array): void {
  const { cpu, phys } = m;
  phys.u8.fill(0);
  phys.codePages.fill(0);
  phys.onCodeWrite = () => {};
  cpu.reset();
  cpu.icount = 0;
  put64(phys, GDT, 0, 0);
  put64(phys, GDT + 8, 0x0000ffff, c.code16 ? 0x000f9b00 : 0x00cf9b00);
  put64(phys, GDT + 16, 0x0000ffff, c.code16 ? 0x000f9300 : 0x00cf9300);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 23;
  for (let v = 0; v < 32; v++) put64(phys, IDT + v * 8, (0x08 << 16) | ((STUB + v) & 0xffff), 0x8e00);
  cpu.idtBase = IDT;
  cpu.idtLimit = 32 * 8 - 1;
  phys.u8.fill(0xf4, STUB, STUB + 32);
  setFlatSegments(cpu, c.code16);
  // FS: a base and a 4 GiB limit (the JIT's inline path); GS: a base and a small limit.
  cpu.segBase[4] = 0x1000;
  cpu.segBase[5] = 0x20100;
  cpu.segLimit[5] = 0x3ff;
  for (let r = 0; r < 8; r++) cpu.regs[r] = c.regs[r];
  setEflags(cpu, 2);
  // Data: a recognisable pattern.
  for (let i = 0; i < 0x2000; i++) phys.u8[DATA + i] = (i * 37 + 11) & 0xff;
  // The code's neighbourhood is HLT, so stray jumps end the case instead of running zeros.
  const at = c.code16 ? CODE16 : CODE32;
  phys.u8.fill(0xf4, at - 0x600, at + 0x1000);
  phys.u8.set(code, at);
  if (c.paging) {
    phys.write32(PAGE_DIR, PAGE_TABLE | 3);
    for (let i = 0; i < 256; i++) phys.write32(PAGE_TABLE + i * 4, i === ABSENT_PAGE ? 0 : (i << 12) | 3);
    cpu.cr3 = PAGE_DIR;
    cpu.cr0 |= 0x80000000;
  }
  cpu.mmu.flush(true);
  cpu.eip = at;
}

// ------------------------------------------------------------------ generator

/** ModRM + SIB/displacement bytes: register form, or memory near DATA/stack/code. */
function modrm(rng: Rng, reg: number, code16: boolean): number[] {
  const kind = rng.below(10);
  if (kind < 5) return [0xc0 | (reg << 3) | rng.below(8)];
  if (code16) {
    // [bx+si+disp8] etc.: rm 0..7 with mod 1
    return [0x40 | (reg << 3) | rng.below(8), rng.below(256)];
  }
  if (kind < 8) {
    // [base + disp8] with base EBX/ESI/EDI/EBP/ESP(SIB)
    const base = rng.pick([3, 6, 7, 5, 4]);
    if (base === 4) return [0x44 | (reg << 3), 0x24, rng.below(256)];
    return [0x40 | (reg << 3) | base, rng.below(256)];
  }
  if (kind < 9) {
    // [base + index*scale + disp32]
    const sib = (rng.below(4) << 6) | (rng.pick([1, 2, 6]) << 3) | rng.pick([3, 6, 7]);
    const d = rng.pick([0, 4, 0xfff, 0x1000, -4]) | 0;
    return [0x84 | (reg << 3), sib, d & 0xff, (d >> 8) & 0xff, (d >> 16) & 0xff, (d >>> 24) & 0xff];
  }
  // absolute disp32 near data, code, the page end, or the absent page
  const a = rng.pick([DATA + rng.below(0x100), CODE32 + rng.below(0x100), CODE16 + rng.below(0x100), 0x10ffe, ABSENT_PAGE << 12, 0x7fffc]);
  return [0x05 | (reg << 3), a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, (a >>> 24) & 0xff];
}

function imm32(rng: Rng): number[] {
  const v = rng.pick([0, 1, -1, 0x7fffffff, 0x80000000, rng.next(), rng.below(16), 0xff, 0x8000]) | 0;
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}

/** One instruction (or a few raw bytes). */
function genInsn(rng: Rng, code16: boolean, remaining: number): number[] {
  const r = rng.below(8);
  const k = rng.below(100);
  if (k < 30) {
    // ALU r/m, r / r, r/m (00-3B) at 8 or 32 bits
    const op = (rng.below(8) << 3) | rng.below(4);
    return [op, ...modrm(rng, r, code16)];
  }
  if (k < 38) {
    // group 1 with immediate
    const op = rng.pick([0x80, 0x81, 0x83]);
    const m = modrm(rng, rng.below(8), code16);
    return [op, ...m, ...(op === 0x81 ? imm32(rng) : [rng.below(256)])];
  }
  if (k < 48) {
    // MOV forms
    const op = rng.pick([0x88, 0x89, 0x8a, 0x8b, 0x8d, 0xc7, 0xc6]);
    if (op === 0x8d) {
      const m = modrm(rng, r, code16);
      return (m[0] & 0xc0) === 0xc0 ? [op, 0x40 | (r << 3) | rng.below(8), rng.below(256)].filter((_, i) => i < 2 || (m[0] & 7) !== 4) : [op, ...m];
    }
    if (op === 0xc7) return [op, ...modrm(rng, 0, code16), ...imm32(rng)];
    if (op === 0xc6) return [op, ...modrm(rng, 0, code16), rng.below(256)];
    return [op, ...modrm(rng, r, code16)];
  }
  if (k < 53) return [rng.pick([0x40, 0x48, 0x50, 0x58]) + r]; // INC/DEC/PUSH/POP reg
  if (k < 56) return [0xb8 + r, ...imm32(rng)]; // MOV reg, imm32
  if (k < 62) {
    // Jcc / JMP short forward, sometimes backward a little
    const d = rng.below(10) < 8 ? rng.below(Math.max(1, Math.min(remaining, 40))) : 256 - rng.below(12);
    return rng.below(4) === 0 ? [0xeb, d] : [0x70 + rng.below(16), d];
  }
  if (k < 64) return [0xe8, rng.below(24), 0, 0, 0]; // CALL rel32 forward
  if (k < 65) return [0xc3];
  if (k < 70) {
    // shifts / rotates
    const op = rng.pick([0xc0, 0xc1, 0xd0, 0xd1, 0xd2, 0xd3]);
    const m = modrm(rng, rng.below(8), code16);
    return op === 0xc0 || op === 0xc1 ? [op, ...m, rng.pick([0, 1, 4, 31, 32, 33, rng.below(256)])] : [op, ...m];
  }
  if (k < 74) {
    // F6/F7 group: TEST NOT NEG MUL IMUL DIV IDIV
    const op = rng.pick([0xf6, 0xf7]);
    const sub = rng.below(8);
    const m = modrm(rng, sub, code16);
    if (sub <= 1) return [op, ...m, ...(op === 0xf7 ? imm32(rng) : [rng.below(256)])];
    return [op, ...m];
  }
  if (k < 80) {
    // 0F: MOVZX/MOVSX, CMOVcc, SETcc, IMUL, BT*, XADD, CMPXCHG, BSWAP
    const op2 = rng.pick([0xb6, 0xb7, 0xbe, 0xbf, 0x40 + rng.below(16), 0x90 + rng.below(16), 0xaf, 0xa3, 0xab, 0xbc, 0xbd, 0xc1, 0xb1, 0xc8 + r]);
    if (op2 >= 0xc8) return [0x0f, op2];
    return [0x0f, op2, ...modrm(rng, r, code16)];
  }
  if (k < 84) {
    // string ops, sometimes REP
    const op = rng.pick([0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad, 0xa6, 0xa7, 0xae, 0xaf]);
    // REP with a small count (a REP op retires as one instruction per 4096 elements: a huge ECX
    // would make the case slow without testing more).
    if (rng.below(2) === 0) return [op];
    return [0xb9, rng.below(40), 0, 0, 0, rng.below(3) === 0 ? 0xf2 : 0xf3, op];
  }
  if (k < 88) return [rng.pick([0x9c, 0x9d, 0xf8, 0xf9, 0xf5, 0xfc, 0xfd, 0x99, 0x98, 0x90, 0x9e, 0x9f, 0xfa, 0xfb])];
  if (k < 90) return [0x66, ...genInsn(rng, code16, remaining)]; // operand-size prefix
  if (k < 91) return [rng.pick([0x64, 0x65, 0x26, 0x36]), ...genInsn(rng, code16, remaining)]; // segment override
  if (k < 93) return [0x69, ...modrm(rng, r, code16), ...imm32(rng)];
  if (k < 95) return [rng.pick([0xe2, 0xe3]), rng.below(8)]; // LOOP / JECXZ
  // raw bytes: system instructions, far transfers, anything
  const n = 1 + rng.below(6);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.below(256));
  return out;
}

export function generate(seed: number): FuzzCase {
  const rng = new Rng(seed);
  const code16 = rng.below(8) === 0;
  const paging = !code16 && rng.below(4) === 0;
  const n = 4 + rng.below(24);
  const chunks: number[][] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = genInsn(rng, code16, 100 - bytes);
    chunks.push(c);
    bytes += c.length;
  }
  // A backward loop over the whole sequence sometimes (ECX counts).
  if (rng.below(3) === 0) chunks.push([0xe2, (256 - bytes - 2) & 0xff]);
  const regs = [
    rng.next() | 0, rng.below(5), rng.pick([0, -1, rng.next() | 0]), DATA + rng.below(0x80),
    0x7f000 - rng.below(64) * 4, DATA + 0x400, DATA + rng.below(0x100), rng.pick([DATA + 0x800, CODE32, CODE16, 0x10ff0]),
  ];
  if (code16) for (const i of [3, 5, 6, 7]) regs[i] &= 0x7fff;
  return { seed, chunks, paging, code16, regs };
}

// ------------------------------------------------------------------ running and comparing

const interpM = makeMachine();
const jitM = makeMachine();

function codeOf(c: FuzzCase): Uint8Array {
  return Uint8Array.from(c.chunks.flat());
}

function outcome(m: FuzzMachine, run: (budget: number) => number): string {
  let err = '';
  let n = 0;
  try {
    n = run(BUDGET);
  } catch (e) {
    err = e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
  }
  const c = m.cpu;
  const regs = Array.from(c.regs, (r) => (r >>> 0).toString(16)).join(' ');
  let f = 0;
  try {
    f = getEflags(c);
  } catch {
    f = -1;
  }
  return [
    `retired ${n} icount ${c.icount} err ${err}`,
    `regs ${regs}`,
    `eip ${(c.eip >>> 0).toString(16)} insnEip ${(c.insnEip >>> 0).toString(16)} eflags ${(f >>> 0).toString(16)}`,
    `halted ${c.halted} shadow ${c.intShadow} exc ${c.excVector}/${c.excHasCode}/${c.excCode} cr0 ${(c.cr0 >>> 0).toString(16)} cr2 ${c.cr2}`,
    `seg ${Array.from(c.segSel).join(',')} cpl ${c.cpl} code32 ${c.code32}`,
  ].join('\n');
}

/** Whether both machines' RAM is byte for byte the same (Buffer.equals is a memcmp). */
function sameMemory(x: FuzzMachine, y: FuzzMachine): boolean {
  const a = x.phys.u8;
  const b = y.phys.u8;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** FNV-1a over RAM's 32-bit words, for failure reports. */
function memDigest(m: FuzzMachine): string {
  let h = 0x811c9dc5;
  const w = m.phys.i32;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 16777619);
  return (h >>> 0).toString(16);
}

/** Debugging hook: called with each case's JIT engine (e.g. to print generated sources). */
let onJit: ((jit: Jit) => void) | null = null;
export function setOnJit(f: ((jit: Jit) => void) | null): void {
  onJit = f;
}

/** Run one case both ways; returns null when they agree, else both outcomes. */
export function runCase(c: FuzzCase): { interp: string; jit: string } | null {
  const code = codeOf(c);
  prepare(interpM, c, code);
  const a = outcome(interpM, (b) => interpM.cpu.run(b));
  prepare(jitM, c, code);
  // Every 8th case also runs the acorn verifier on each generated source (the other JIT tests
  // verify everything they generate; here it would dominate the time).
  const jit = new Jit(jitM.cpu, jitM.phys, { threshold: 0, verify: (c.seed & 7) === 0 });
  // Odd seeds also build regions (after 2 dispatcher entries into a page).
  jit.regionThreshold = (c.seed & 1) === 1 ? 2 : 0;
  if (onJit !== null) onJit(jit);
  const b = outcome(jitM, (n) => jit.run(n));
  if (a === b && sameMemory(interpM, jitM)) return null;
  // Only a failure pays for a digest of RAM: comparing the two RAMs is one memcmp.
  return { interp: `${a}\nmem ${memDigest(interpM)}`, jit: `${b}\nmem ${memDigest(jitM)}` };
}

/** Remove instructions while the case still fails. */
export function shrink(c: FuzzCase): FuzzCase {
  let cur = c;
  let progress = true;
  while (progress) {
    progress = false;
    for (let i = 0; i < cur.chunks.length; i++) {
      const t = { ...cur, chunks: cur.chunks.filter((_, j) => j !== i) };
      if (t.chunks.length > 0 && runCase(t) !== null) {
        cur = t;
        progress = true;
        break;
      }
    }
  }
  return cur;
}

/** A human-readable reproducer: flavour, registers, bytes and disassembly. */
export function describeCase(c: FuzzCase): string {
  const code = codeOf(c);
  const insn = new Insn();
  const at = c.code16 ? CODE16 : CODE32;
  const src = { fetch8: (a: number) => code[a - at] ?? 0xf4 };
  const lines: string[] = [];
  for (let a = at; a < at + code.length; ) {
    decode(insn, src, a, !c.code16);
    const len = Math.max(1, Math.min(insn.len, 15));
    const hex = Array.from(code.subarray(a - at, a - at + len), (b) => b.toString(16).padStart(2, '0')).join(' ');
    let text = '';
    try {
      text = formatInsn(insn, a, !c.code16);
    } catch {
      text = '?';
    }
    lines.push(`  ${a.toString(16)}: ${hex.padEnd(24)} ${text}`);
    a += len;
  }
  const r = runCase(c);
  return [
    `seed ${c.seed} paging ${c.paging} code16 ${c.code16}`,
    `regs ${c.regs.map((x) => (x >>> 0).toString(16)).join(' ')}`,
    `bytes ${Array.from(code, (b) => b.toString(16).padStart(2, '0')).join('')}`,
    ...lines,
    r === null ? 'passes' : `--- interpreter\n${r.interp}\n--- jit\n${r.jit}`,
  ].join('\n');
}

/** Run `count` cases from `firstSeed`; returns reproducers of the (shrunk) failures, at most `maxFailures`. */
export function fuzz(firstSeed: number, count: number, maxFailures = 3): string[] {
  const failures: string[] = [];
  for (let s = firstSeed; s < firstSeed + count && failures.length < maxFailures; s++) {
    const c = generate(s);
    if (runCase(c) !== null) failures.push(describeCase(shrink(c)));
  }
  return failures;
}

