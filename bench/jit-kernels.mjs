/**
 * The real hot loops of the reference guest (issue 17, "Benchmarks"), loaded from the real binaries
 * into a bare machine and run in the interpreter (Cpu.run) and in the JIT (Jit.run):
 *   - busybox's sha256 block transform (sha256_process_block64, found by its K-table reference),
 *   - busybox gzip's deflate (longest_match and the hash insert are inlined into deflate(); fill_window
 *     and updcrc with it): the whole `busybox gzip -c` process on a bare machine with a host syscall shim,
 *   - the kernel's crc32_le, memcpy, memset, and zlib_inflate/inflate_fast (System.map addresses).
 * See bench/README.md ("Real guest loops") and bench/kernels/*.mjs for how each is located.
 *
 * Per loop and engine: a fresh machine; one check run from the reset state (the interpreter's and
 * the JIT's final registers and output memory must be identical, and the output must match the
 * host's computation, else the bench aborts); then timed runs, each from the reset state (the JIT
 * keeps its translations: warm-up runs first, until --warmup ms of JIT time have passed).
 *
 *   npm run build && node bench/jit-kernels.mjs [--threshold 50] [--time 1500] [--warmup 1500] [--only NAME]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Jit } from '../dist/jit/engine.js';
import { busyboxPath, gzipLoop, sha256Loop } from './kernels/busybox.mjs';
import { crc32Loop, inflateLoop, kernelImage, memcpyLoop, memsetLoop, mpiSubmulLoop } from './kernels/kernel.mjs';
import { DRIVER, restart, runToHalt, stateDigest } from './kernels/machine.mjs';

const argv = process.argv;
/** --region-threshold N: the engine's regionThreshold (default: the engine's own). */
const regionThreshold = argv.includes('--region-threshold') ? Number(argv[argv.indexOf('--region-threshold') + 1]) : null;
const dumpDir = process.argv.includes('--dump') ? process.argv[process.argv.indexOf('--dump') + 1] : null;
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : dflt;
};
const threshold = Number(opt('threshold', 50));
const timeMs = Number(opt('time', 1500));
const warmupMs = Number(opt('warmup', 1500));
const only = opt('only');
const TARGET_MIPS = 600, TARGET_RATIO = 20;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x.toPrecision(3));

const ref = JSON.parse(readFileSync(`${process.env.X86JIT_CACHE ?? `${process.env.HOME}/.cache/x86jit`}/reference/reference.json`, 'utf8'));

const loops = [
  sha256Loop(),
  gzipLoop(),
  crc32Loop(ref),
  memcpyLoop(ref),
  memsetLoop(ref),
  inflateLoop(ref),
  mpiSubmulLoop(ref),
].filter((l) => !only || l.name.includes(only));

/** One engine on one loop: check run, then timed runs. */
function measure(loop, mode) {
  const b = loop.build();
  const { m } = b;
  const { cpu, phys } = m;
  const jit = mode === 'jit' ? new Jit(cpu, phys, { threshold, verify: false }) : null;
  if (jit && regionThreshold !== null) jit.regionThreshold = regionThreshold;
  if (jit && dumpDir) jit.counting = true; // --dump ranks blocks by instructions retired
  const engine = jit ?? cpu;
  const start = b.start ?? (() => restart(cpu, DRIVER));
  if (b.setup) {
    phys.u8.set(b.setup, DRIVER);
    restart(cpu, DRIVER);
    runToHalt(cpu, cpu); // paging on etc. (interpreter: not part of the loop)
  }
  // Over the setup code, through the store path: the interpreter's pre-decoded blocks of it are
  // disarmed (a plain u8.set would leave them to run the setup's bytes again).
  if (b.driver) phys.writeBytes(DRIVER, b.driver);
  const once = () => {
    b.reset();
    start();
    return runToHalt(cpu, engine);
  };
  const exits0 = m.exits;
  const insns = once();
  const exits = m.exits - exits0;
  const problem = b.check();
  if (problem) throw new Error(`${loop.name} [${mode}]: ${problem}`);
  const digest = stateDigest(cpu, phys, b.ranges, b.extra?.() ?? '');
  if (jit) {
    const t0 = performance.now();
    while (performance.now() - t0 < warmupMs) once();
  }
  let n = 0, ms = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  do {
    b.reset();
    start();
    const s = performance.now();
    runToHalt(cpu, engine);
    ms += performance.now() - s;
    n++;
  } while (performance.now() - t0 < timeMs);
  const c1 = process.cpuUsage(c0);
  if (jit && dumpDir) {
    // --dump DIR: the generated source of the hottest blocks (by instructions retired), to read.
    mkdirSync(dumpDir, { recursive: true });
    const hot = [...jit.blocks()].filter((x) => x.fn !== null).sort((x, y) => y.retired - x.retired).slice(0, Number(process.env.DUMP_N ?? 5));
    hot.forEach((x, r) => writeFileSync(`${dumpDir}/${loop.name.replace(/[^a-z0-9]+/gi, '_')}.${r}.js`, x.source));
  }
  const cpuMs = (c1.user + c1.system) / 1000;
  return { insns, digest, exits, mips: (insns * n) / ms / 1000, cpuMips: (insns * n) / cpuMs / 1000, mbps: (loop.bytes * n) / ms / 1000, runs: n };
}

const kernel = kernelImage(ref);
const bbVersion = (readFileSync(busyboxPath()).toString('latin1').match(/BusyBox v[0-9.]+ \([^)]*\)/) ?? ['?'])[0];
console.log(`x86jit bench/jit-kernels.mjs — Node ${process.version}, JIT threshold ${threshold}, ${timeMs} ms timed per engine and loop (JIT after ${warmupMs} ms warm-up)`);
console.log(`kernel: ${ref.kernel.split('/').pop()} (${ref.kernelPackage}; vmlinux ${ref.vmlinux.split('/').pop()}, ${kernel.patched} __fentry__ calls nopped)`);
console.log(`busybox: ${bbVersion} (${busyboxPath()})`);
console.log(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at start\n`);

const rows = [];
let fail = false;
for (const loop of loops) {
  const i = measure(loop, 'interp');
  const j = measure(loop, 'jit');
  if (i.digest !== j.digest || i.insns !== j.insns || i.exits !== j.exits) {
    console.error(`MISMATCH on ${loop.name}: interpreter ${i.insns} insns, ${i.exits} exits, state ${i.digest}; JIT ${j.insns} insns, ${j.exits} exits, state ${j.digest}`);
    process.exit(2);
  }
  const ratio = j.mips / i.mips;
  const pass = j.mips >= TARGET_MIPS && ratio >= TARGET_RATIO;
  if (!pass) fail = true;
  rows.push([loop.name, (i.insns / 1e6).toFixed(2), i.mips.toFixed(1), j.mips.toFixed(1), `${ratio.toFixed(2)}x`, `${i.cpuMips.toFixed(1)} / ${j.cpuMips.toFixed(1)}`, `${fmt(i.mbps)} / ${fmt(j.mbps)}`, pass ? 'PASS' : 'FAIL']);
  console.log(`  ${loop.name}: interp ${i.runs} timed runs, JIT ${j.runs}; same final state (${i.digest.slice(0, 12)}), ${i.insns} insns and ${i.exits} VM exits per run`);
}
const head = ['loop', 'M insns/run', 'interp M insns/s', 'JIT M insns/s', 'JIT/interp', 'per CPU s: interp / JIT', 'MB/s interp / JIT', `target (>=${TARGET_MIPS} M/s, >=${TARGET_RATIO}x)`];
const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
const line = (r) => `| ${r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join(' | ')} |`;
console.log(`\n${line(head)}\n| ${w.map((n, c) => (c === 0 ? '-'.repeat(n) : `${'-'.repeat(n - 1)}:`)).join(' | ')} |`);
for (const r of rows) console.log(line(r));
console.log(`load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; M/s columns are wall clock (targets apply to them); "per CPU s" divides by this process's CPU time (all threads) instead.`);
console.log(fail ? '\nSome loops miss the issue-17 target (FAIL above).' : '\nAll loops meet the issue-17 target.');
