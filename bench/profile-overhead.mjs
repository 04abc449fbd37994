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
 * - The CPU-bound guest job of bench/guest-job.mjs (`--job MB`, default 2 MiB; `--job-rounds`,
 *   default 1; 0 to skip), JIT, inside the booted reference guest, timed between the markers the
 *   guest prints (boot excluded), each configuration in a fresh process, in the order off, on,
 *   sampled, detached, off (best of the two "off"): "on" = profiled from power-on as `boot
 *   --profile` (samples + exact block counts), "sampled" = samples only (`--no-exact`),
 *   "detached" = profiled during the boot and detached at the shell, so the job runs after the
 *   profiler removed its hooks. Every run's sha256 output is checked against the host's.
 * Without the profiler nothing of it is installed, so "off" is the engine's own speed.
 *
 *   npm run build && node bench/profile-overhead.mjs [--period 10007] [--runs 10] [--boot 20000000] [--job 2] [--job-rounds 1] [--loops 0]
 *
 * Needs GNU as + objcopy (binutils) for the guest loops.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu } from '../dist/cpu/cpu.js';
import { setEflags } from '../dist/cpu/flags.js';
import { MmioBus } from '../dist/hv/mmio-bus.js';
import { Jit } from '../dist/jit/engine.js';
import { PhysMemory } from '../dist/mem/phys.js';
import { Profiler } from '../dist/profiler/profiler.js';
import { loadMachine, runProfile } from '../dist/cli/profile-run.js';
import { referenceGuestLabel } from '../dist/guest/reference.js';
import { arithLoop, crc32, crc32Loop } from './jit-programs.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PERIOD = arg('period', 10007);
const RUNS = arg('runs', 10);
const BOOT = arg('boot', 20_000_000);
const JOB_MB = arg('job', 2);
const LOOPS = arg('loops', 1);
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

/**
 * The guest job, once per configuration, each in a child process of its own (fresh V8 heap and
 * code space, Node's default V8 flags as the CLI): seconds between the job's markers.
 * Configurations:
 *   off       no profiler: the product without --profile;
 *   on        profiled from power-on, samples + exact block counts (`boot --profile`);
 *   sampled   profiled from power-on, samples only (`--no-exact`);
 *   detached  profiled from power-on, profiler detached when the shell is up: the job then runs
 *             with no hook left behind (what "no cost when off" means for a profiler that was on).
 */
const JOB_CONFIGS = {
  off: null,
  on: { period: PERIOD, exactBlocks: true },
  sampled: { period: PERIOD, exactBlocks: false },
  detached: { period: PERIOD, exactBlocks: true },
};

async function jobChild(config) {
  const { runGuestJob } = await import('./guest-job.mjs');
  let detachAtShell = null;
  const r = await runGuestJob({
    mode: 'jit',
    mb: JOB_MB,
    rounds: JOB_ROUNDS,
    profile: JOB_CONFIGS[config],
    onMachine(machine, prof) {
      if (config !== 'detached') return;
      // Detach as soon as the job's command is typed (the shell prompt is up).
      const input = machine.input.bind(machine);
      detachAtShell = prof;
      machine.input = (b) => {
        if (detachAtShell) detachAtShell.detach();
        detachAtShell = null;
        input(b);
      };
    },
  });
  const samples = r.profiler ? r.profiler.sampler.samples : 0;
  delete r.profiler;
  process.stdout.write(`RESULT ${JSON.stringify({ ...r, samples })}\n`);
}

function runJobChild(config) {
  const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--job-child', config, '--job', String(JOB_MB), '--job-rounds', String(JOB_ROUNDS), '--period', String(PERIOD)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const line = (p.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (p.status !== 0 || !line) throw new Error(`guest job (${config}) failed, status ${p.status}:\n${(p.stdout ?? '').slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

const JOB_CHILD = process.argv.includes('--job-child') ? process.argv[process.argv.indexOf('--job-child') + 1] : null;
if (JOB_CHILD !== null) {
  await jobChild(JOB_CHILD);
  process.exit(0);
}

const loops = [
  { name: 'CRC-32 loop (64 KiB)', src: crc32Loop(65536, 0x100000), check: (cpu, phys) => (cpu.regs[0] >>> 0) === crc32(phys.u8.subarray(0x100000, 0x100000 + 65536)) },
  { name: 'arith loop (1M iterations)', src: arithLoop(1_000_000) },
];

console.log(`profiling overhead: sample every ${PERIOD} guest instructions, frame-pointer stacks up to 16 frames; best of ${RUNS} runs`);
if (BOOT > 0 || JOB_MB > 0) console.log(`guest (boot and job): ${referenceGuestLabel()}`);
const rows = [];
for (const w of LOOPS ? loops : []) {
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

if (JOB_MB > 0) {
  // Alternating order, each configuration a fresh process: off, on, sampled, detached, off.
  const order = ['off', 'on', 'sampled', 'detached', 'off'];
  const best = {};
  let ref = null;
  for (const c of order) {
    const r = runJobChild(c);
    if (r.sums.length !== JOB_ROUNDS || r.sums.some((x) => x !== r.expectedSha256)) throw new Error(`guest job (${c}): wrong sha256 output ${r.sums.join(',')}`);
    ref ??= r.jobInstructions;
    console.log(`  guest job [${c}]: ${r.jobSeconds.toFixed(2)} s, ${(r.jobInstructions / 1e6).toFixed(1)}M guest instructions${r.samples ? `, ${r.samples} samples` : ''}`);
    best[c] = Math.min(best[c] ?? Infinity, r.jobSeconds * 1000);
  }
  const name = `guest job ${JOB_MB} MiB x${JOB_ROUNDS} [jit]`;
  rows.push({ name: `${name}, profiled`, off: best.off, on: best.on });
  rows.push({ name: `${name}, samples only`, off: best.off, on: best.sampled });
  rows.push({ name: `${name}, profiler detached`, off: best.off, on: best.detached, noGoal: true });
}

for (const r of rows) {
  console.log(`${r.name.padEnd(48)} off ${r.off.toFixed(1).padStart(9)} ms   on ${r.on.toFixed(1).padStart(9)} ms   overhead ${(r.on / r.off).toFixed(3)}x`);
}
const worst = Math.max(...rows.filter((r) => !r.noGoal).map((r) => r.on / r.off));
console.log(`worst overhead ${worst.toFixed(3)}x (goal <= 1.5x)`);
