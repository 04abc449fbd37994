/**
 * Differential harness for the JIT: the same guest code runs on two identical machines, one with
 * Cpu.run (the interpreter, the oracle) and one with Jit.run, and the whole CPU state and memory
 * are compared. Machines come from the integer interpreter's harness (flat 32-bit protected mode);
 * `withIdt` adds a GDT and an IDT whose gates all point at a `hlt` stub, so faults are delivered
 * and the run stops.
 */
import { expect } from 'vitest';
import { acorn } from './acorn.js';
import { getEflags } from '../../src/cpu/flags.js';
import { Jit } from '../../src/jit/engine.js';
import type { InterruptSource } from '../../src/cpu/cpu.js';
import { verifySource } from '../../src/jit/verify.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE, machine, type TestMachine } from '../cpu-int/harness.js';

export { CODE, DATA, STACK_TOP } from '../cpu-int/harness.js';

let asmDir = '';
const asmCache = new Map<string, Uint8Array>();

/** Assemble Intel-syntax 32-bit `src` with GNU as, linked at CODE (labels are absolute). */
export function asm(src: string): Uint8Array {
  const hit = asmCache.get(src);
  if (hit) return hit;
  if (!asmDir) asmDir = mkdtempSync(join(tmpdir(), 'x86jit-jit-asm-'));
  const s = join(asmDir, 'a.s'), o = join(asmDir, 'a.o'), e = join(asmDir, 'a.elf'), b = join(asmDir, 'a.bin');
  writeFileSync(s, `.intel_syntax noprefix\n.code32\n${src}\n`);
  execFileSync('as', ['--32', '-o', o, s]);
  execFileSync('ld', ['-m', 'elf_i386', `-Ttext=0x${CODE.toString(16)}`, '-e', '0', '-o', e, o]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', e, b]);
  const out = new Uint8Array(readFileSync(b));
  asmCache.set(src, out);
  return out;
}

export const GDT = 0x30000;
export const IDT = 0x31000;
/** Fault stub: `hlt` at this address; vector v's gate points to STUB + v. Filled with HLT bytes. */
export const STUB = 0x32000;
export const PAGE_DIR = 0x40000;
export const PAGE_TABLE = 0x41000;

function putDesc(t: TestMachine, addr: number, lo: number, hi: number): void {
  t.phys.write32(addr, lo);
  t.phys.write32(addr + 4, hi);
}

/** GDT (flat code 0x08, flat data 0x10) and an IDT of 32 interrupt gates -> STUB + vector. */
export function withIdt(t: TestMachine): void {
  putDesc(t, GDT, 0, 0);
  putDesc(t, GDT + 8, 0x0000ffff, 0x00cf9a00);
  putDesc(t, GDT + 16, 0x0000ffff, 0x00cf9200);
  t.cpu.gdtBase = GDT;
  t.cpu.gdtLimit = 23;
  for (let v = 0; v < 32; v++) {
    const off = STUB + v;
    putDesc(t, IDT + v * 8, (0x08 << 16) | (off & 0xffff), (off & 0xffff0000) | 0x8e00);
  }
  t.cpu.idtBase = IDT;
  t.cpu.idtLimit = 32 * 8 - 1;
  for (let i = 0; i < 32; i++) t.phys.u8[STUB + i] = 0xf4; // hlt
}

/** Identity paging of the first MiB (4 KiB pages, supervisor, writable), minus `absent` pages. */
export function withPaging(t: TestMachine, absent: number[] = []): void {
  t.phys.write32(PAGE_DIR, PAGE_TABLE | 3);
  for (let i = 0; i < 256; i++) t.phys.write32(PAGE_TABLE + i * 4, absent.includes(i) ? 0 : (i << 12) | 3);
  t.cpu.cr3 = PAGE_DIR;
  t.cpu.cr0 |= 0x80000000;
  t.cpu.mmu.flush(true);
}

/** Jit.regionThreshold for the differential tests (regions are off by default in the engine). */
export const REGION_THRESHOLD = 3;
let regionThreshold = 0;

/** Engines made by pair() from now on (in this test file) build regions after `n` entries (0: off). */
export function useRegions(n: number = REGION_THRESHOLD): void {
  regionThreshold = n;
}

export interface Pair {
  interp: TestMachine;
  jit: TestMachine;
  engine: Jit;
  sources: string[];
}

/** Two identical machines with `code` at CODE; `setup` runs on both. */
export function pair(code: Uint8Array, setup: (t: TestMachine) => void = () => {}, threshold = 1): Pair {
  const mk = (): TestMachine => {
    const t = machine();
    withIdt(t);
    setup(t);
    t.phys.u8.set(code, CODE);
    t.cpu.eip = CODE;
    return t;
  };
  const interp = mk();
  const jit = mk();
  const engine = new Jit(jit.cpu, jit.phys, { threshold, verify: true });
  engine.regionThreshold = regionThreshold;
  const sources: string[] = [];
  engine.onCompile = (b) => sources.push(b.source);
  engine.onRegion = (r) => sources.push(r.source);
  return { interp, jit, engine, sources };
}

/** Run both to completion (HLT) or `budget` instructions; returns retired counts. */
export function runBoth(p: Pair, budget = 1_000_000): { interp: number; jit: number } {
  const a = p.interp.cpu.run(budget);
  const b = p.engine.run(budget);
  return { interp: a, jit: b };
}

/** Architectural state as a plain object, for a readable diff. */
export function snapshot(t: TestMachine): Record<string, unknown> {
  const c = t.cpu;
  return {
    regs: Array.from(c.regs, (r) => (r >>> 0).toString(16)),
    eip: (c.eip >>> 0).toString(16),
    insnEip: (c.insnEip >>> 0).toString(16),
    eflags: (getEflags(c) >>> 0).toString(16),
    icount: c.icount,
    halted: c.halted,
    intShadow: c.intShadow,
    exc: [c.excVector, c.excHasCode, c.excCode],
    cr2: c.cr2,
    segSel: Array.from(c.segSel),
  };
}

/** Expect identical CPU state and identical memory. */
export function expectSame(p: Pair): void {
  expect(snapshot(p.jit)).toEqual(snapshot(p.interp));
  const a = p.interp.phys.u8;
  const b = p.jit.phys.u8;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) {
      first = i;
      break;
    }
  }
  expect(first === -1 ? 'memory equal' : `memory differs at 0x${first.toString(16)}`).toBe('memory equal');
}

/** Every generated source parses with acorn and passes the verifier. */
export function expectSourcesValid(p: Pair): void {
  for (const s of p.sources) {
    expect(() => acorn.parse(`(function(){${s}\n})`, { ecmaVersion: 2022 })).not.toThrow();
    expect(() => verifySource(s)).not.toThrow();
  }
}

/** Run `src` in both modes (JIT threshold `threshold`) and expect the same retired count, the same
 *  machine state and valid generated sources. */
export function check(src: string, setup: Parameters<typeof pair>[1] = () => {}, threshold = 1): Pair {
  const p = pair(asm(src), setup, threshold);
  const n = runBoth(p);
  expect(n.jit).toBe(n.interp);
  expectSame(p);
  expectSourcesValid(p);
  return p;
}

/** Raises one interrupt (vector `vec`) after `after` calls to hasInterrupt. */
export class CountdownIrq implements InterruptSource {
  calls = 0;
  delivered = 0;
  constructor(readonly after: number, readonly vec: number) {}
  hasInterrupt(): boolean {
    return this.delivered === 0 && ++this.calls > this.after;
  }
  acknowledge(): number {
    this.delivered++;
    return this.vec;
  }
}
