/**
 * Test bench for the system tests: assembles a small program with GNU as (`as --32`, Intel syntax
 * allowed) into a flat binary at a given address, and runs it on PhysMemory + Mmu + Cpu with a stub
 * ExitHandler that records every VM exit, port write and 0xE9 character.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cpu } from '../../src/cpu/cpu.js';
import { Seg } from '../../src/frontend/insn.js';
import { ExitReason, type ExitHandler, type VmExit } from '../../src/cpu/exit.js';
import type { Mmu } from '../../src/mem/mmu.js';
import type { PhysMemory } from '../../src/mem/phys.js';
import { bareMachine } from '../support/machine.js';

/** True when GNU as/ld for i386 are installed (binutils). */
export function haveBinutils(): boolean {
  try {
    execFileSync('as', ['--version'], { stdio: 'ignore' });
    execFileSync('ld', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Assemble `source` (GNU as, 32-bit) and link it flat at `org`. Returns the binary and the symbol
 * table (name -> address), so tests compare against addresses the assembler chose.
 */
export function assemble(source: string, org: number): { bin: Uint8Array; sym: Map<string, number> } {
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-sys-'));
  try {
    const s = join(dir, 'p.s');
    writeFileSync(s, source);
    execFileSync('as', ['--32', '-o', join(dir, 'p.o'), s]);
    execFileSync('ld', ['-m', 'elf_i386', `-Ttext=0x${org.toString(16)}`, '-e', '0', '-o', join(dir, 'p.elf'), join(dir, 'p.o')]);
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'p.elf'), join(dir, 'p.bin')]);
    const nm = execFileSync('nm', [join(dir, 'p.elf')], { encoding: 'utf8' });
    const sym = new Map<string, number>();
    for (const line of nm.split('\n')) {
      const m = /^([0-9a-f]+) \w (\S+)$/.exec(line.trim());
      if (m) sym.set(m[2], parseInt(m[1], 16));
    }
    return { bin: new Uint8Array(readFileSync(join(dir, 'p.bin'))), sym };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface PortWrite {
  port: number;
  size: number;
  value: number;
}

/** Records exits; MSRs 0x174-0x176 go to the CPU's SYSENTER fields as the real hv does. */
export class StubHv implements ExitHandler {
  cpu: Cpu | null = null;
  readonly exits: number[] = [];
  readonly writes: PortWrite[] = [];
  text = '';
  tripleFaults = 0;
  handleExit(x: VmExit): void {
    this.exits.push(x.reason);
    switch (x.reason) {
      case ExitReason.IoOut:
        this.writes.push({ port: x.port, size: x.size, value: x.value >>> 0 });
        if (x.port === 0xe9) this.text += String.fromCharCode(x.value & 0xff);
        break;
      case ExitReason.IoIn:
        x.value = 0xffffffff;
        break;
      case ExitReason.Cpuid:
        x.eax = 1; x.ebx = 0x756e6547; x.ecx = 0x6c65746e; x.edx = 0x49656e69;
        break;
      case ExitReason.Rdmsr:
      case ExitReason.Wrmsr: {
        const c = this.cpu!;
        const w = x.reason === ExitReason.Wrmsr;
        if (x.ecx === 0x174) w ? (c.sysenterCs = x.eax & 0xffff) : (x.eax = c.sysenterCs);
        else if (x.ecx === 0x175) w ? (c.sysenterEsp = x.eax) : (x.eax = c.sysenterEsp);
        else if (x.ecx === 0x176) w ? (c.sysenterEip = x.eax) : (x.eax = c.sysenterEip);
        else x.fault = true;
        if (!w) x.edx = 0;
        break;
      }
      case ExitReason.TripleFault:
        this.tripleFaults++;
        break;
    }
  }
  /** 32-bit values written to `port`, in order. */
  valuesAt(port: number): number[] {
    return this.writes.filter((w) => w.port === port).map((w) => w.value);
  }
}

export interface Bench {
  phys: PhysMemory;
  mmu: Mmu;
  cpu: Cpu;
  hv: StubHv;
}

export function makeBench(memBytes = 4 << 20): Bench {
  const hv = new StubHv();
  let tsc = 0;
  const { phys, mmu, cpu } = bareMachine(memBytes, hv, { tsc: () => (tsc += 1000) });
  hv.cpu = cpu;
  return { phys, mmu, cpu, hv };
}

/** Load a program at `org` and start in real mode at 0000:org. */
export function loadReal(b: Bench, bin: Uint8Array, org: number): void {
  b.phys.writeBytes(org, bin);
  const cpu = b.cpu;
  cpu.segSel[Seg.CS] = 0;
  cpu.segBase[Seg.CS] = 0;
  cpu.eip = org;
  cpu.regs[4] = 0x7000;
}

/** Run until HLT (or the budget runs out); returns instructions retired. */
export function runToHalt(b: Bench, budget = 1_000_000): number {
  let n = 0;
  while (n < budget && !b.cpu.halted) {
    const k = b.cpu.run(Math.min(10_000, budget - n));
    n += k;
    if (k === 0) break;
  }
  return n;
}

export function runProgram(source: string, org = 0x1000): Bench & { sym: Map<string, number> } {
  const { bin, sym } = assemble(source, org);
  const b = makeBench();
  loadReal(b, bin, org);
  runToHalt(b);
  return { ...b, sym };
}
