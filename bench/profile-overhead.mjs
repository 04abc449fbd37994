/**
 * Overhead of profiling (issue 8, acceptance 3; goal: at most 1.5x slower than without), reported
 * as ratios measured in one run:
 * - CPU-bound guest loops (bench/jit-programs.mjs: CRC-32, arithmetic), each on a fresh machine per
 *   configuration, engine `interp` and `jit`, without and with the profiler (sampling every
 *   `--period` instructions with frame-pointer stacks; with the JIT also the exact per-block
 *   counters). Steady state: one warm-up run, then the best of `--runs` timed runs
 *   of each, alternating (the host is shared: alternation spreads its noise over both).
 * - The first `--boot N` instructions of the reference guest's boot (0 to skip), same pairs, via
 *   runProfile and a plain Machine.
 * - With `--job MB`: the CPU-bound guest job of bench/guest-job.mjs (an MB-sized file, sha256sum and
 *   gzip -c, `--job-rounds` times) inside the booted reference guest, timed between the markers the
 *   guest prints, JIT only, profiled from power-on or not, in the order off/on/on/off (best of
 *   each). Slow: four whole boots.
 * Without the profiler nothing of it is installed, so "off" is the engine's own speed.
 *
 *   npm run build && node bench/profile-overhead.mjs [--period 10007] [--runs 5] [--boot 20000000]
 *
 * Needs GNU as + objcopy (binutils) for the guest loops.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu } from '../dist/cpu/cpu.js';
import { setEflags } from '../dist/cpu/flags.js';
import { MmioBus } from '../dist/hv/mmio-bus.js';
import { Jit } from '../dist/jit/engine.js';
import { Mmu } from '../dist/mem/mmu.js';
import { PhysMemory } from '../dist/mem/phys.js';
import { Profiler } from '../dist/profiler/profiler.js';
import { loadMachine, runProfile, startProfile } from '../dist/profiler/profile-command.js';
import { arithLoop, crc32, crc32Loop } from './jit-programs.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PERIOD = arg('period', 10007);
const RUNS = arg('runs', 10);
const BOOT = arg('boot', 20_000_000);
const JOB_MB = arg('job', 0);
const JOB_ROUNDS = arg('job-rounds', 1);
const CODE = 0x1000;

function assemble(src) {
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-bench-'));
  const s = join(dir, 'a.s'), o = join(dir, 'a.o'), b = join(dir, 'a.bin');
  writeFileSync(s, `.intel_syntax noprefix\n.code32\n${src}\n`);
  execFileSync('as', ['--32', '-o', o, s]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', o, b]);
  return new Uint8Array(readFileSync(b));
}

/** Flat 32-bit protected mode, no devices (HLT ends a run), random data at 1 MiB. */
function flatMachine(code) {
  const phys = new PhysMemory(4 << 20, new MmioBus());
  const mmu = new Mmu(phys, undefined);
  const cpu = new Cpu(mmu, { handleExit() {} }, { tsc: () => 0 });
  mmu.cpu = cpu;
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
  return { cpu, phys, hv: { statsLines: () => [] }, engine: cpu };
}

function restart(cpu) {
  cpu.regs.fill(0);
  cpu.regs[4] = 0x80000;
  setEflags(cpu, 2);
  cpu.halted = false;
  cpu.eip = CODE;
}

/** A machine running the program with `mode`, profiled or not; `once()` runs it to HLT. */
function loopRunner(code, mode, profiled, check) {
  const m = flatMachine(code);
  if (mode === 'jit') m.engine = new Jit(m.cpu, m.phys, { threshold: 50, verify: false });
  if (profiled) Profiler.attach(m, { period: PERIOD, maxDepth: 16, textLow: 0, textHigh: 0x100000 });
  return () => {
    restart(m.cpu);
    while (!m.cpu.halted) m.engine.run(20_000);
    if (check && !check(m.cpu, m.phys)) throw new Error(`wrong result (${mode}, profiled=${profiled})`);
  };
}

/** Best times (ms) of the unprofiled and profiled runners, timed alternately after a warm-up. */
function timePair(code, mode, check) {
  const off = loopRunner(code, mode, false, check);
  const on = loopRunner(code, mode, true, check);
  off();
  on();
  const best = { off: Infinity, on: Infinity };
  for (let r = 0; r < RUNS; r++) {
    for (const [k, fn] of [['off', off], ['on', on]]) {
      const t0 = performance.now();
      fn();
      best[k] = Math.min(best[k], performance.now() - t0);
    }
  }
  return best;
}

const loops = [
  { name: 'CRC-32 loop (64 KiB)', src: crc32Loop(65536, 0x100000), check: (cpu, phys) => (cpu.regs[0] >>> 0) === crc32(phys.u8.subarray(0x100000, 0x100000 + 65536)) },
  { name: 'arith loop (1M iterations)', src: arithLoop(1_000_000) },
];

console.log(`profiling overhead: sample every ${PERIOD} guest instructions, frame-pointer stacks up to 16 frames; best of ${RUNS} runs`);
const rows = [];
for (const w of loops) {
  const code = assemble(w.src);
  for (const mode of ['interp', 'jit']) {
    const t = timePair(code, mode, w.check);
    rows.push({ name: `${w.name} [${mode}]`, off: t.off, on: t.on });
  }
}

if (BOOT > 0) {
  for (const mode of ['interp', 'jit']) {
    const times = {};
    for (const profiled of [false, true]) {
      const t0 = performance.now();
      // Without the profiler: the same machine and load path, nothing attached.
      if (profiled) await runProfile({ mode, maxInstructions: BOOT, period: PERIOD });
      else await (await loadMachine({ mode, maxInstructions: BOOT })).machine.run();
      times[profiled ? 'on' : 'off'] = performance.now() - t0;
    }
    rows.push({ name: `reference boot, first ${BOOT.toExponential(0)} insns [${mode}]`, off: times.off, on: times.on });
  }
}

/** Seconds the guest job takes between its markers, profiled or not (JIT). */
async function jobSeconds(profiled, exactBlocks = true) {
  const { machine, symbols } = await loadMachine({ mode: 'jit', powerOffAtShell: false, console: (b) => onOut(b) });
  if (profiled) startProfile(machine, { period: PERIOD, exactBlocks }, symbols);
  // ~7 bytes per line of seq output.
  const lines = Math.round((JOB_MB * 1024 * 1024) / 7.2);
  const job = [
    `seq 1 ${lines} > /tmp/f; echo JOB-START`,
    `for i in $(seq 1 ${JOB_ROUNDS}); do sha256sum /tmp/f; gzip -c /tmp/f | wc -c; done`,
    'echo JOB-END; poweroff -f',
  ].join('\n');
  let out = '';
  let sent = false;
  let start = 0;
  let end = 0;
  function onOut(b) {
    out += Buffer.from(b).toString('latin1');
    if (!sent && /BOOT-OK[\s\S]*[#$] /.test(out)) {
      sent = true;
      machine.input(new TextEncoder().encode(job + '\n'));
    }
    if (!start && /^JOB-START/m.test(out)) start = performance.now();
    if (!end && /^JOB-END/m.test(out)) end = performance.now();
  }
  await machine.run();
  if (!start || !end) throw new Error(`guest job did not complete:\n${out.slice(-1500)}`);
  return (end - start) / 1000;
}

if (JOB_MB > 0) {
  // Order off, on, on, off (each a fresh machine), best of each: a process that has already run a
  // whole boot runs the next one differently (heap, code space), so neither side always goes first.
  const t = { off: Infinity, on: Infinity };
  for (const profiled of [false, true, true, false]) {
    const sec = await jobSeconds(profiled);
    console.log(`  guest job, ${profiled ? 'profiled' : 'not profiled'}: ${sec.toFixed(1)} s`);
    t[profiled ? 'on' : 'off'] = Math.min(t[profiled ? 'on' : 'off'], sec);
  }
  rows.push({ name: `guest job ${JOB_MB} MB x${JOB_ROUNDS} [jit]`, off: t.off * 1000, on: t.on * 1000 });
}

for (const r of rows) {
  console.log(`${r.name.padEnd(48)} off ${r.off.toFixed(1).padStart(9)} ms   on ${r.on.toFixed(1).padStart(9)} ms   overhead ${(r.on / r.off).toFixed(3)}x`);
}
const worst = Math.max(...rows.map((r) => r.on / r.off));
console.log(`worst overhead ${worst.toFixed(3)}x (goal <= 1.5x)`);
