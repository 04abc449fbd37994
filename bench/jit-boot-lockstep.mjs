/**
 * Lockstep differential boot: the reference guest boots on two machines with the deterministic
 * clock, one with the interpreter and one with the JIT, driven by the same run loop as
 * Machine.run (timers, HLT fast-forward, slices). After every slice the CPU states must be equal;
 * every `--check` instructions guest memory is compared too (FNV hash). Prints the first divergence
 * (or how far the two agreed) and the console output.
 *
 *   npm run build && node bench/jit-boot-lockstep.mjs [--insns 200000000] [--check 20000000]
 *       [--threshold 50] [--region-threshold N] [--verify]
 */
import { loadMachine } from '../dist/cli/profile-run.js';
import { getEflags } from '../dist/cpu/flags.js';
import { EF } from '../dist/cpu/state.js';
import { referenceGuestLabel } from '../dist/guest/reference.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const maxInsns = arg('insns', 200_000_000);
const checkEvery = arg('check', 20_000_000);
const threshold = arg('threshold', 50);
const verify = process.argv.includes('--verify');
/** --region-threshold N: the JIT's Jit.regionThreshold (0: no regions). */
const regionThreshold = arg('region-threshold', undefined);
const SLICE = 20_000;

async function make(mode) {
  const out = [];
  // The reference guest, kernel decompressed on the host, deterministic clock, its own command line.
  const { machine: m } = await loadMachine({
    mode, jitThreshold: threshold, jitVerify: verify, powerOffAtShell: false, console: (b) => out.push(...b),
  });
  if (regionThreshold !== undefined && m.engine.regionThreshold !== undefined) m.engine.regionThreshold = regionThreshold;
  return { m, out };
}

/** One step of Machine.run's loop; returns false when the machine has nothing to do. */
function step(m) {
  const { cpu, clock } = m;
  const timed = m.platform.timed;
  const now = clock.now();
  let next = Infinity;
  for (let k = 0; k < timed.length; k++) {
    timed[k].advance(now);
    const t = timed[k].nextDeadline(now);
    if (t < next) next = t;
  }
  if (cpu.halted && !((cpu.eflags & EF.IF) !== 0 && cpu.intr.hasInterrupt())) {
    if ((cpu.eflags & EF.IF) === 0 || next === Infinity) return false;
    clock.skipTo(next);
    return true;
  }
  m.engine.run(Math.min(SLICE, clock.insnsUntil(next)));
  return true;
}

function state(m) {
  const c = m.cpu;
  return `eip=${(c.eip >>> 0).toString(16)} icount=${c.icount} regs=${Array.from(c.regs, (r) => (r >>> 0).toString(16)).join(',')} ` +
    `eflags=${(getEflags(c) >>> 0).toString(16)} cr0=${(c.cr0 >>> 0).toString(16)} cr3=${(c.cr3 >>> 0).toString(16)} cpl=${c.cpl} ` +
    `seg=${Array.from(c.segSel).join(',')} halted=${c.halted}`;
}

function memHash(m) {
  const w = m.phys.i32;
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 16777619);
  return h >>> 0;
}

console.log(`guest: ${referenceGuestLabel()}`);
const a = await make('interp');
const b = await make('jit');
const t0 = Date.now();
let lastCheck = 0;
let ta = 0, tb = 0;
let verdict = 'agreed';
try {
  for (;;) {
    let t = performance.now();
    const ga = step(a.m);
    ta += performance.now() - t;
    t = performance.now();
    const gb = step(b.m);
    tb += performance.now() - t;
    const sa = state(a.m), sb = state(b.m);
    if (sa !== sb || ga !== gb) {
      verdict = `DIVERGED\n  interp: ${sa}\n  jit:    ${sb}`;
      break;
    }
    if (!ga || a.m.cpu.icount >= maxInsns) break;
    if (a.m.cpu.icount - lastCheck >= checkEvery) {
      lastCheck = a.m.cpu.icount;
      const ha = memHash(a.m), hb = memHash(b.m);
      if (ha !== hb) {
        verdict = `MEMORY DIVERGED by icount ${lastCheck} (previous check passed)\n  ${sa}`;
        break;
      }
      process.stderr.write(`  ${lastCheck} instructions agree (memory too); interp ${(ta / 1000).toFixed(1)} s, jit ${(tb / 1000).toFixed(1)} s\n`);
    }
  }
} catch (e) {
  verdict = `stopped: ${e?.message ?? e}\n  interp: ${state(a.m)}\n  jit:    ${state(b.m)}`;
}
const jit = b.m.engine;
console.log(`${verdict} after ${a.m.cpu.icount} instructions (${((Date.now() - t0) / 1000).toFixed(1)} s wall)`);
console.log(`CPU time in engine.run: interp ${(ta / 1000).toFixed(1)} s, jit ${(tb / 1000).toFixed(1)} s (${(ta / tb).toFixed(2)}x)`);
if (jit.stats) console.log('jit stats', jit.stats);
const outA = Buffer.from(a.out).toString('latin1'), outB = Buffer.from(b.out).toString('latin1');
console.log(`console output ${outA === outB ? 'identical' : 'DIFFERS'} (${outA.length} bytes); tail:\n${outA.slice(-600)}`);
if (outA !== outB) console.log(`jit tail:\n${outB.slice(-600)}`);
