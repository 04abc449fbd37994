#!/usr/bin/env node
/**
 * Where the time of a CLI boot goes (issue 12 items 2 and 6): one boot of the reference guest to
 * BOOT-OK and power-off under `node --cpu-prof --trace-opt --trace-deopt`, then
 * - the main thread's self time by part of the product, from the .cpuprofile: interpreter and
 *   handlers (src/cpu, src/frontend), dispatcher (src/jit/engine), translator (other src/jit),
 *   generated code (functions named by their `x86jit/block_*` sourceURL), memory (src/mem),
 *   devices and machine (src/devices, src/hv, src/machine, src/loader), GC, and V8's own work
 *   (`(program)`: compilation on the main thread, IC misses, the runtime);
 * - optimising compiles by tier and their main-thread time (the `took a, b, c ms` of each
 *   synchronous compile: with concurrent recompilation the compile itself runs on a helper thread
 *   and only its count is known);
 * - deoptimisations per translated function (`--stats`' blocks compiled).
 *
 *   npm run build && node bench/boot-profile.mjs [--node PATH] [--flags "--no-concurrent-recompilation"]
 *        [--args '["boot","--append","console=ttyS0 quiet x86jit.poweroff"]'] [--keep DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli', 'main.js');
const argv = process.argv.slice(2);
let node = process.execPath;
let flags = []; // the CLI's: Node's defaults (concurrent recompilation on)
let extra = ['boot', '--append', 'console=ttyS0 quiet x86jit.poweroff', '--stats'];
let keep = '';
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--node') node = argv[++i];
  else if (a === '--flags') flags = argv[++i].split(/\s+/).filter((s) => s !== '');
  else if (a === '--args') extra = JSON.parse(argv[++i]);
  else if (a === '--keep') keep = argv[++i];
  else {
    console.error(`boot-profile: unknown argument ${a}`);
    process.exit(2);
  }
}

const dir = keep || mkdtempSync(join(tmpdir(), 'x86jit-prof-'));
const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
const t0 = process.hrtime.bigint();
const res = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %e', node, ...flags, '--cpu-prof', '--cpu-prof-dir', dir, '--trace-opt', '--trace-deopt', cli, ...extra],
  { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
const wallHost = Number(process.hrtime.bigint() - t0) / 1e9;
const out = res.stdout + res.stderr;
const time = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(res.stderr);
console.log(`node ${version} ${flags.join(' ')}; x86jit ${extra.join(' ')}`);
console.log(`exit status ${res.status}; ${time ? `${time[1]} s user, ${time[2]} s system, ${time[3]} s wall` : `${wallHost.toFixed(1)} s wall`}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (!out.includes('BOOT-OK')) console.log('warning: BOOT-OK not seen');

// ---- V8's optimising compiles and deopts
const tiers = new Map();
// "took A, B, C ms": prepare, execute, finalize. With concurrent recompilation (Node's default,
// the CLI's) only A and C block the main thread and B runs on a helper thread; without it all
// three are on the main thread.
const concurrent = !flags.includes('--no-concurrent-recompilation');
let compileMs = 0;
let helperMs = 0;
for (const m of out.matchAll(/\[completed (?:compiling|optimizing) [^\]]*?\(target (\w+)\)( OSR)?(?: - took ([\d.]+), ([\d.]+), ([\d.]+) ms)?\]/g)) {
  const key = `${m[1]}${m[2] ?? ''}`;
  const t = tiers.get(key) ?? { n: 0, ms: 0, timed: 0 };
  if (m[0].startsWith('[completed compiling')) {
    const ms = Number(m[3]) + (concurrent ? 0 : Number(m[4])) + Number(m[5]);
    t.ms += ms;
    t.timed++;
    compileMs += ms;
    if (concurrent) helperMs += Number(m[4]);
  } else t.n++;
  tiers.set(key, t);
}
let deopts = 0, blockDeopts = 0;
const reasons = new Map();
for (const m of out.matchAll(/\[bailout \(kind: ([\w-]+), reason: ([^)]*)\): begin\. deoptimizing 0x[0-9a-f]+ <JSFunction ([^ >]*)/g)) {
  deopts++;
  if (m[3] === 'block' || m[3] === 'region') blockDeopts++;
  const k = `${m[3]}: ${m[1]}, ${m[2]}`;
  reasons.set(k, (reasons.get(k) ?? 0) + 1);
}
const compiled = /([\d,]+) blocks translated/.exec(out);
const translated = compiled ? Number(compiled[1].replace(/,/g, '')) : NaN;

// ---- the main thread's self time by part
const profFile = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f))[0];
const prof = JSON.parse(readFileSync(profFile, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dts = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dts[i] ?? 0));
function part(cf) {
  const u = cf.url || '';
  if (cf.functionName === '(garbage collector)') return 'GC';
  if (cf.functionName === '(program)') return "V8's own work (compile on the main thread, runtime, IC misses)";
  if (cf.functionName === '(idle)') return 'idle';
  if (u.startsWith('x86jit/')) return 'generated code';
  if (/\/dist\/jit\/engine\.js$/.test(u)) return 'dispatcher (src/jit/engine)';
  if (/\/dist\/jit\//.test(u)) return 'translator (src/jit, not the engine)';
  if (/\/dist\/(cpu|frontend)\//.test(u)) return 'interpreter and handlers (src/cpu, src/frontend)';
  if (/\/dist\/mem\//.test(u)) return 'memory, paging, TLB (src/mem)';
  if (/\/dist\/(devices|hv|machine|loader|guest)\//.test(u)) return 'devices, hypervisor, machine (src/devices, hv, machine)';
  if (/\/dist\//.test(u)) return 'other x86jit (cli, profiler)';
  if (u === '' && cf.functionName === 'block') return 'generated code';
  return 'Node and libraries';
}
const parts = new Map();
let total = 0;
for (const [id, us] of self) {
  const p = part(byId.get(id).callFrame);
  parts.set(p, (parts.get(p) ?? 0) + us);
  total += us;
}
console.log('\n| part (main thread, --cpu-prof self time) | s | share |');
console.log('|---|---|---|');
for (const [p, us] of [...parts].sort((a, b) => b[1] - a[1])) console.log(`| ${p} | ${(us / 1e6).toFixed(2)} | ${((100 * us) / total).toFixed(1)}% |`);
console.log(`| total sampled | ${(total / 1e6).toFixed(2)} | |`);

console.log('\n| optimising compiles (--trace-opt) | finished on a helper thread | timed | main-thread ms |');
console.log('|---|---|---|---|');
for (const [k, t] of [...tiers].sort()) console.log(`| ${k} | ${t.n} | ${t.timed} | ${t.ms.toFixed(0)} |`);
console.log(`optimising-compile time on the main thread: ${(compileMs / 1000).toFixed(2)} s${time ? ` = ${((100 * compileMs) / 1000 / Number(time[3])).toFixed(1)}% of the wall time` : ''}` +
  (concurrent ? `; on the helper thread (concurrent recompilation): ${(helperMs / 1000).toFixed(2)} s` : ''));
console.log(`\ndeoptimisations: ${deopts} in all, ${blockDeopts} of translated functions; translated functions (--stats): ${translated}; ` +
  `${Number.isFinite(translated) ? (blockDeopts / translated).toFixed(3) : '?'} per translated function`);
for (const [k, n] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${n} x ${k}`);
if (!keep) rmSync(dir, { recursive: true, force: true });
