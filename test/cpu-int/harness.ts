/**
 * Test harness for the integer interpreter: a Cpu on real PhysMemory + Mmu, running machine code
 * through the real decoder. Code is assembled with GNU `as` (binutils) at test time, or given as
 * bytes. The CPU starts in flat 32-bit protected mode (segment caches set directly: base 0, limit
 * 4 GiB, CS/SS with the D/B bit), or in a 16-bit flavour of the same (code16: D/B clear).
 *
 *   const t = machine();
 *   t.cpu.regs[0] = 5;
 *   run(t, asm('add eax, 3'));
 *   expect(t.cpu.regs[0]).toBe(8);
 */
import type { Cpu } from '../../src/cpu/cpu.js';
import { getEflags, setEflags } from '../../src/cpu/flags.js';
import type { ExitHandler, VmExit } from '../../src/cpu/exit.js';
import type { PhysMemory } from '../../src/mem/phys.js';
import { assembleIntel } from '../support/asm.js';
import { bareMachine, putFlatDescriptors, runToEnd, setFlatSegments } from '../support/machine.js';

/** Global descriptor table. */
export const GDT = 0x500;
/** Where test code is placed. */
export const CODE = 0x1000;
/** A scratch data area. */
export const DATA = 0x20000;
/** Initial ESP. */
export const STACK_TOP = 0x80000;
export const MEM_SIZE = 1 << 20;

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800, DF = 0x400;
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** Records port I/O exits; `inValue` answers IN. */
export class TestHv implements ExitHandler {
  readonly log: string[] = [];
  inValue = 0;
  handleExit(x: VmExit): void {
    if (x.reason === 0) {
      x.value = this.inValue;
      this.log.push(`in ${x.port.toString(16)} ${x.size}`);
    } else if (x.reason === 1) this.log.push(`out ${x.port.toString(16)} ${x.size} ${(x.value >>> 0).toString(16)}`);
    else this.log.push(`exit ${x.reason}`);
  }
}

export interface TestMachine {
  cpu: Cpu;
  phys: PhysMemory;
  hv: TestHv;
}

export function machine(opts: { code16?: boolean } = {}): TestMachine {
  const hv = new TestHv();
  const { cpu, phys } = bareMachine(MEM_SIZE, hv);
  setFlatSegments(cpu, opts.code16);
  // A GDT for POP Sreg tests: 0x08 flat code, 0x10 flat data, 0x18 16-bit data (limit 0xFFFF).
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 0x1f;
  putFlatDescriptors(phys, GDT, opts.code16);
  phys.write32(GDT + 24, 0x0000ffff); // 0x18: 16-bit data, limit 0xFFFF
  phys.write32(GDT + 28, 0x00009300);
  cpu.cpl = 0;
  cpu.regs[4] = STACK_TOP;
  setEflags(cpu, 2);
  return { cpu, phys, hv };
}

/**
 * Turn on 32-bit paging with the first 4 MiB identity-mapped as user pages (page directory and
 * table at 0x70000/0x71000), except `readOnly` pages (present, user, not writable) and `absent`
 * pages (not present); page numbers are linear addresses >> 12.
 */
export function enablePaging(t: TestMachine, readOnly: number[] = [], absent: number[] = []): void {
  const pd = 0x70000, pt = 0x71000;
  t.phys.write32(pd, pt | 7);
  for (let p = 0; p < 1024; p++) t.phys.write32(pt + 4 * p, (p << 12) | (absent.includes(p) ? 0 : readOnly.includes(p) ? 5 : 7));
  t.cpu.cr3 = pd;
  t.cpu.cr0 |= 0x80000000;
  t.cpu.mmu.flush(true);
}

/** Assemble Intel-syntax `src` (lines or ';'-free text) as 32-bit (or 16-bit) code at CODE. */
export function asm(src: string, bits: 32 | 16 = 32): Uint8Array {
  return assembleIntel(src, bits, CODE);
}

/**
 * Load `code` at CODE and execute until EIP reaches its end (or `maxSteps` instructions).
 * Returns the vector of a guest fault (EIP rewound to the faulting instruction, as the run loop
 * does) or -1.
 */
export function run(t: TestMachine, code: Uint8Array, maxSteps = 100000): number {
  return runToEnd(t.cpu, t.phys, code, CODE, maxSteps);
}

/** The six arithmetic flags of the architectural EFLAGS. */
export function flags(t: TestMachine): number {
  return getEflags(t.cpu) & ARITH;
}

export function setFlags(t: TestMachine, f: number): void {
  setEflags(t.cpu, f | 2);
}

export function rd32(t: TestMachine, a: number): number {
  return t.phys.read32(a);
}
export function wr32(t: TestMachine, a: number, v: number): void {
  t.phys.write32(a, v);
}

/** Parity flag per the SDM definition: set when the low byte has an even number of 1 bits. */
export function parity(v: number): number {
  let n = 0;
  for (let i = 0; i < 8; i++) n += (v >> i) & 1;
  return n % 2 === 0 ? PF : 0;
}

/** SF/ZF/PF of an n-bit result (unsigned `r`). */
export function szp(r: number, bits: number): number {
  return (r === 0 ? ZF : 0) | (Math.floor(r / 2 ** (bits - 1)) & 1 ? SF : 0) | parity(r);
}

/** Interesting operand values for `bits`-wide sweeps (unsigned). */
export function edgeValues(bits: number): number[] {
  const m = 2 ** bits;
  const v = [0, 1, 2, 7, 8, 9, 0xf, 0x10, 0x11, 0x3f, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xffff,
    0x10000, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x12345678, 0x9abcdef0, 0x5555aaaa];
  return [...new Set(v.map((x) => x % m))];
}
