/**
 * x87 test machine: a Cpu over real PhysMemory + Mmu with flat 32-bit segments set directly in the
 * segment caches, running code assembled by GNU `as --32` (Intel syntax) through the real decoder.
 *
 *   const t = fpuMachine();
 *   runCode(t, 'fld1\nfld1\nfaddp\nfstp qword ptr [0x20000]');
 *   expect(t.readF64(DATA)).toBe(2);
 */
import type { Cpu } from '../../src/cpu/cpu.js';
import { setEflags } from '../../src/cpu/flags.js';
import type { ExitHandler, VmExit } from '../../src/cpu/exit.js';
import type { PhysMemory } from '../../src/mem/phys.js';
import { assembleIntel } from '../support/asm.js';
import { bareMachine, runToEnd, setFlatSegments } from '../support/machine.js';

export const CODE = 0x1000;
export const DATA = 0x20000;

class NoExits implements ExitHandler {
  handleExit(x: VmExit): void {
    throw new Error(`unexpected VM exit ${x.reason}`);
  }
}

export class FpuMachine {
  readonly phys: PhysMemory;
  readonly cpu: Cpu;
  readonly view: DataView;

  constructor() {
    const { cpu, phys } = bareMachine(1 << 20, new NoExits());
    this.phys = phys;
    this.cpu = cpu;
    cpu.cr0 = 0x00000033; // PE, MP, ET, NE
    setFlatSegments(cpu);
    cpu.regs[4] = 0x80000;
    setEflags(cpu, 2);
    cpu.fpu.init();
    this.view = new DataView(this.phys.buffer);
  }

  readF64(a: number): number {
    return this.view.getFloat64(a, true);
  }
  writeF64(a: number, v: number): void {
    this.view.setFloat64(a, v, true);
  }
  /** 64-bit little-endian value at `a` as a BigInt (unsigned). */
  readU64(a: number): bigint {
    return this.view.getBigUint64(a, true);
  }
  writeU64(a: number, v: bigint): void {
    this.view.setBigUint64(a, BigInt.asUintN(64, v), true);
  }
  u16(a: number): number {
    return this.view.getUint16(a, true);
  }
  u32(a: number): number {
    return this.view.getUint32(a, true);
  }
  /** float80 at `a` as [se, mantissa]. */
  readF80(a: number): [number, bigint] {
    return [this.u16(a + 8), this.readU64(a)];
  }
  writeF80(a: number, se: number, mant: bigint): void {
    this.writeU64(a, mant);
    this.view.setUint16(a + 8, se, true);
  }
  sw(): number {
    return this.cpu.fpu.getSw();
  }
}

/** Assemble Intel-syntax 32-bit code (not linked: absolute addresses are written as numbers). */
export function asm(src: string): Uint8Array {
  return assembleIntel(src, 32, null);
}

/**
 * Run `src` (assembled) at CODE until its end. Returns the vector of the first guest fault (EIP
 * rewound to the faulting instruction), or -1.
 */
export function runCode(t: FpuMachine, src: string, maxSteps = 10000): number {
  return runToEnd(t.cpu, t.phys, asm(src), CODE, maxSteps);
}

/** Bits of a double as a BigInt. */
export function bitsOf(v: number): bigint {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, v, true);
  return dv.getBigUint64(0, true);
}

export function fromBits(b: bigint): number {
  const dv = new DataView(new ArrayBuffer(8));
  dv.setBigUint64(0, b, true);
  return dv.getFloat64(0, true);
}
