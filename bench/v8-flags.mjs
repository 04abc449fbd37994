#!/usr/bin/env node
/**
 * Which V8 flags `x86jit boot` should run with (issue 12 item 5): the same CLI boot of the
 * reference guest (to BOOT-OK, then power-off) under each Node binary and flag set, alternating
 * configurations round by round, user CPU seconds (steadier than wall time on a shared machine)
 * from /usr/bin/time, medians per configuration.
 *
 *   npm run build && node bench/v8-flags.mjs [--node PATH]... [--flags "A B|C|"] [--runs 3]
 *        [--args "boot --append 'console=ttyS0 quiet x86jit.poweroff'"]
 *
 * --flags is a '|'-separated list of flag sets ('' = Node's defaults); each set runs under each
 * --node (default: this process's node). A run counts only if its output has BOOT-OK.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli', 'main.js');
const argv = process.argv.slice(2);
const nodes = [];
let flagSets = ['', '--no-concurrent-recompilation'];
let runs = 3;
let extra = ['boot', '--append', 'console=ttyS0 quiet x86jit.poweroff'];
let marker = 'BOOT-OK';
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--node') nodes.push(argv[++i]);
  else if (a === '--flags') flagSets = argv[++i].split('|').map((s) => s.trim());
  else if (a === '--runs') runs = Number(argv[++i]);
  else if (a === '--args') extra = JSON.parse(argv[++i]);
  else if (a === '--marker') marker = argv[++i];
  else {
    console.error(`v8-flags: unknown argument ${a}`);
    process.exit(2);
  }
}
if (nodes.length === 0) nodes.push(process.execPath);

const configs = [];
for (const node of nodes) {
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  for (const flags of flagSets) configs.push({ node, version, flags, user: [], wall: [] });
}

console.log(`cli: ${cli} ${JSON.stringify(extra)}; ${runs} rounds of ${configs.length} configurations`);
for (let r = 0; r < runs; r++) {
  // Alternate the order every round so that drift in the machine's load spreads evenly.
  const order = r % 2 === 0 ? configs : [...configs].reverse();
  for (const c of order) {
    const flags = c.flags === '' ? [] : c.flags.split(/\s+/);
    const res = spawnSync('/usr/bin/time', ['-f', 'TIME %U %e', c.node, ...flags, cli, ...extra], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /TIME ([\d.]+) ([\d.]+)/.exec(res.stderr);
    const ok = (res.stdout + res.stderr).includes(marker) && m !== null;
    if (!ok) {
      console.log(`  ${c.version} [${c.flags}] run ${r + 1}: FAILED (status ${res.status}): ${res.stderr.slice(-300)}`);
      continue;
    }
    c.user.push(Number(m[1]));
    c.wall.push(Number(m[2]));
    console.log(`  ${c.version} [${c.flags || 'defaults'}] run ${r + 1}: ${m[1]} s user, ${m[2]} s wall (load ${loadavg()[0].toFixed(2)})`);
  }
}

const median = (xs) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
console.log('\n| node | flags | runs | median user s | median wall s |');
console.log('|---|---|---|---|---|');
for (const c of configs) console.log(`| ${c.version} | ${c.flags || '(defaults)'} | ${c.user.length} | ${median(c.user).toFixed(2)} | ${median(c.wall).toFixed(2)} |`);
