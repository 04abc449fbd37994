/**
 * x87 test machine: a Cpu over real PhysMemory + Mmu with flat 32-bit segments set directly in the
 * segment caches, running code assembled by GNU `as --32` (Intel syntax) through the real decoder.
 *
 *   const t = fpuMachine();
 *   runCode(t, 'fld1\nfld1\nfaddp\nfstp qword ptr [0x20000]');
 *   expect(t.readF64(DATA)).toBe(2);
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu } from '../../src/cpu/cpu.js';
import { FAULT } from '../../src/cpu/fault.js';
import { setEflags } from '../../src/cpu/flags.js';
import type { ExitHandler, VmExit } from '../../src/hv/exit.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { Mmu } from '../../src/mem/mmu.js';
import { PhysMemory } from '../../src/mem/phys.js';

export const CODE = 0x1000;
export const DATA = 0x20000;

class NoExits implements ExitHandler {
  handleExit(x: VmExit): void {
    throw new Error(`unexpected VM exit ${x.reason}`);
  }
}

export class FpuMachine {
  readonly phys = new PhysMemory(1 << 20, new MmioBus());
  readonly cpu: Cpu;
  readonly view: DataView;

  constructor() {
    const mmu = new Mmu(this.phys, undefined as never);
    this.cpu = new Cpu(mmu, new NoExits(), { tsc: () => 0 });
    (mmu as { cpu: unknown }).cpu = this.cpu;
    const cpu = this.cpu;
    cpu.cr0 = 0x00000033; // PE, MP, ET, NE
    for (let s = 0; s < 6; s++) {
      cpu.segSel[s] = s === 1 ? 0x08 : 0x10;
      cpu.segBase[s] = 0;
      cpu.segLimit[s] = -1;
      cpu.segAttr[s] = (s === 1 ? 0x9b : 0x93) | 0x4000;
    }
    cpu.code32 = cpu.stack32 = true;
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

const cache = new Map<string, Uint8Array>();
let dir = '';

/** Assemble Intel-syntax 32-bit code. */
export function asm(src: string): Uint8Array {
  const hit = cache.get(src);
  if (hit) return hit;
  if (!dir) dir = mkdtempSync(join(tmpdir(), 'x86jit-fpu-'));
  const s = join(dir, 'a.s'), o = join(dir, 'a.o'), b = join(dir, 'a.bin');
  writeFileSync(s, `.intel_syntax noprefix\n.code32\n${src}\n`);
  execFileSync('as', ['--32', '-o', o, s]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', o, b]);
  const out = new Uint8Array(readFileSync(b));
  cache.set(src, out);
  return out;
}

/**
 * Run `src` (assembled) at CODE until its end. Returns the vector of the first guest fault (EIP
 * rewound to the faulting instruction), or -1.
 */
export function runCode(t: FpuMachine, src: string, maxSteps = 10000): number {
  const code = asm(src);
  t.phys.u8.set(code, CODE);
  const cpu = t.cpu;
  cpu.eip = CODE;
  const end = CODE + code.length;
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
