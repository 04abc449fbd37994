/**
 * JIT vs interpreter on micro guest loops (issue 6, acceptance 4c): an arithmetic loop, a memcpy
 * loop and a bitwise CRC-32, each run to its HLT on the same kind of machine (flat 32-bit protected
 * mode, paging off) by Cpu.run and by Jit.run. Each tinybench iteration restarts the program from
 * its first instruction on the same machine, so the JIT is measured in steady state (its blocks
 * stay translated); the first iterations include translation. Ratios come from one run.
 *
 *   npm run build && node bench/jit-micro.mjs [--time ms]
 *
 * Needs GNU as + objcopy (binutils).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { Cpu } from '../dist/cpu/cpu.js';
import { setEflags } from '../dist/cpu/flags.js';
import { MmioBus } from '../dist/hv/mmio-bus.js';
import { Jit } from '../dist/jit/engine.js';
import { PhysMemory } from '../dist/mem/phys.js';
import { arithLoop, crc32, crc32Loop, memcpyLoop } from './jit-programs.mjs';

const CODE = 0x1000;
const timeArg = process.argv.indexOf('--time');
const time = timeArg > 0 ? Number(process.argv[timeArg + 1]) : 2000;

function assemble(src) {
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-bench-'));
  const s = join(dir, 'a.s'), o = join(dir, 'a.o'), b = join(dir, 'a.bin');
  writeFileSync(s, `.intel_syntax noprefix\n.code32\n${src}\n`);
  execFileSync('as', ['--32', '-o', o, s]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', o, b]);
  return new Uint8Array(readFileSync(b));
}

/** A flat 32-bit protected-mode machine with `code` at CODE (no devices: HLT ends a run). */
function machine(code, memBytes) {
  const phys = new PhysMemory(memBytes, new MmioBus());
  const cpu = new Cpu(phys, { handleExit() {} }, { tsc: () => 0 });
  cpu.cr0 |= 1;
  for (let s = 0; s < 6; s++) {
    cpu.segSel[s] = s === 1 ? 0x08 : 0x10;
    cpu.segBase[s] = 0;
    cpu.segLimit[s] = -1;
    cpu.segAttr[s] = (s === 1 ? 0x9b : 0x93) | 0x4000;
  }
  cpu.code32 = cpu.stack32 = true;
  phys.u8.set(code, CODE);
  let x = 12345;
  for (let i = 0x100000; i < 0x180000; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    phys.u8[i] = x >>> 24;
  }
  return { cpu, phys };
}

function restart(cpu) {
  cpu.regs.fill(0);
  cpu.regs[4] = 0x80000;
  setEflags(cpu, 2);
  cpu.halted = false;
  cpu.eip = CODE;
}

const workloads = [
  { name: 'arith loop (1M iterations)', src: arithLoop(1_000_000) },
  { name: 'memcpy loop (256 KiB)', src: memcpyLoop(65536, 0x100000, 0x200000) },
  { name: 'CRC-32 loop (16 KiB)', src: crc32Loop(16384, 0x100000), check: (cpu, phys) => (cpu.regs[0] >>> 0) === crc32(phys.u8.subarray(0x100000, 0x100000 + 16384)) },
];

const bench = new Bench({ time, warmupTime: 500 });
const meta = new Map();
for (const w of workloads) {
  const code = assemble(w.src);
  for (const mode of ['interp', 'jit']) {
    const m = machine(code, 4 << 20);
    const jit = mode === 'jit' ? new Jit(m.cpu, m.phys, { threshold: 50, verify: false }) : null;
    let insns = 0;
    const once = () => {
      restart(m.cpu);
      const before = m.cpu.icount;
      while (!m.cpu.halted) (jit ? jit.run(1 << 24) : m.cpu.run(1 << 24));
      insns = m.cpu.icount - before;
      if (w.check && !w.check(m.cpu, m.phys)) throw new Error(`${w.name} (${mode}): wrong result`);
    };
    once();
    const name = `${w.name} [${mode}]`;
    meta.set(name, { w: w.name, mode, insns: () => insns });
    bench.add(name, once);
  }
}
await bench.run();

const perRun = new Map();
for (const task of bench.tasks) {
  const m = meta.get(task.name);
  const ms = task.result.latency.mean;
  perRun.set(task.name, ms);
  const mips = m.insns() / ms / 1000;
  console.log(`${task.name.padEnd(40)} ${ms.toFixed(2).padStart(9)} ms/run  ${mips.toFixed(1).padStart(8)} M guest insns/s  (±${task.result.latency.rme.toFixed(1)}%, ${task.result.latency.samplesCount ?? task.result.samples?.length ?? '?'} runs)`);
}
console.log('\nJIT speed-up over the interpreter (same run):');
for (const w of workloads) {
  const i = perRun.get(`${w.name} [interp]`), j = perRun.get(`${w.name} [jit]`);
  console.log(`  ${w.name.padEnd(32)} ${(i / j).toFixed(2)}x`);
}
