/**
 * The bare machine the CPU-level tests run on: PhysMemory (no MMIO devices) + Mmu + Cpu, wired the
 * way src/machine/machine.ts wires them, plus the flat protected-mode state those tests start from
 * (set straight into the segment caches, no descriptor loads) and a step loop that runs a piece of
 * code to its end. The test harnesses (cpu-int, fpu, system, the fuzzers) build on this.
 *
 *   const { cpu, phys } = bareMachine(1 << 20, hv);
 *   setFlatSegments(cpu);
 *   const vector = runToEnd(cpu, phys, code, 0x1000, 10_000); // -1: no fault
 */
import { Cpu, type TimeSource } from '../../src/cpu/cpu.js';
import { FAULT } from '../../src/cpu/fault.js';
import type { ExitHandler } from '../../src/cpu/exit.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import type { Mmu } from '../../src/mem/mmu.js';
import { PhysMemory } from '../../src/mem/phys.js';
import { runToEndJit } from './run-jit.js';

export interface BareMachine {
  phys: PhysMemory;
  mmu: Mmu;
  cpu: Cpu;
}

/** A time source whose TSC stays 0. */
const stoppedClock = (): TimeSource => ({ tsc: () => 0 });

/** A Cpu (with its Mmu) over `phys`. */
export function attachCpu(phys: PhysMemory, hv: ExitHandler, time: TimeSource = stoppedClock()): Cpu {
  return new Cpu(phys, hv, time);
}

/** `memBytes` of RAM (an empty MMIO bus) and a Cpu on it, in its reset state. */
export function bareMachine(memBytes: number, hv: ExitHandler, time?: TimeSource): BareMachine {
  const phys = new PhysMemory(memBytes, new MmioBus());
  const cpu = attachCpu(phys, hv, time);
  return { phys, mmu: cpu.mmu, cpu };
}

/**
 * Flat protected mode in the segment caches: CR0.PE, CS = 0x08 (code, accessed), the others 0x10
 * (writable data, accessed), base 0, limit 4 GiB; 32-bit code and stack (the D/B bit) unless
 * `code16`. The selectors match the flat GDT entries the harnesses write.
 */
export function setFlatSegments(cpu: Cpu, code16 = false): void {
  const big = code16 ? 0 : 0x4000;
  cpu.cr0 |= 1;
  for (let s = 0; s < 6; s++) {
    cpu.segSel[s] = s === 1 ? 0x08 : 0x10;
    cpu.segBase[s] = 0;
    cpu.segLimit[s] = -1;
    cpu.segAttr[s] = (s === 1 ? 0x9b : 0x93) | big;
  }
  cpu.code32 = cpu.stack32 = !code16;
}

/** A 64-bit little-endian value (a descriptor, a gate) written as two dwords. */
export function put64(phys: PhysMemory, a: number, lo: number, hi: number): void {
  phys.write32(a, lo);
  phys.write32(a + 4, hi);
}

let engine: 'interp' | 'jit' = 'interp';

/** From now on (in this test file) runToEnd runs code through the JIT at threshold 0 (run-jit.ts). */
export function useJitEngine(): void {
  engine = 'jit';
}

/** runToEnd goes through the JIT (useJitEngine). */
export function runsThroughJit(): boolean {
  return engine === 'jit';
}

/**
 * Load `code` at `at` and single-step until EIP reaches its end (or `maxSteps` instructions).
 * Returns the vector of a guest fault, with EIP rewound to the faulting instruction as the run loop
 * does, or -1.
 */
export function runToEnd(cpu: Cpu, phys: PhysMemory, code: Uint8Array, at: number, maxSteps: number): number {
  if (engine === 'jit') return runToEndJit(cpu, phys, code, at, maxSteps);
  phys.u8.set(code, at);
  cpu.eip = at;
  const end = at + code.length;
  for (let n = 0; n < maxSteps && cpu.eip !== end; n++) {
    try {
      cpu.step();
    } catch (e) {
      if (e !== FAULT) throw e;
      cpu.eip = cpu.insnEip;
      return cpu.excVector;
    }
  }
  return -1;
}

/**
 * The two flat descriptors setFlatSegments' selectors name, written into the GDT at `gdt`: 0x08 code
 * and 0x10 data (base 0, limit 4 GiB, accessed), 32-bit unless `code16`.
 */
export function putFlatDescriptors(phys: PhysMemory, gdt: number, code16 = false): void {
  put64(phys, gdt + 8, 0x0000ffff, code16 ? 0x000f9b00 : 0x00cf9b00);
  put64(phys, gdt + 16, 0x0000ffff, code16 ? 0x000f9300 : 0x00cf9300);
}
