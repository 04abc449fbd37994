/**
 * Boot to the shell (issue 6, acceptance 4a): the reference guest boots with the deterministic
 * clock (Machine.run, the product's run loop) until the busybox shell prompt appears on the console, once with the interpreter and once
 * with the JIT (or only `--mode`), and the wall times are reported with their ratio. Both runs
 * execute exactly the same guest instructions (deterministic clock), so the ratio is pure engine speed.
 *
 *   npm run build && node bench/jit-boot.mjs [--mode jit|interp] [--threshold 50]
 *   node --cpu-prof bench/jit-boot.mjs --mode jit     # profile: generated blocks show as x86jit/block_*.js
 */
import { loadMachine } from '../dist/cli/profile-run.js';
import { MachineStop } from '../dist/hv/exit.js';
import { referenceGuestLabel } from '../dist/guest/reference.js';

const argv = process.argv;
const opt = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : undefined;
};
const modes = opt('mode') ? [opt('mode')] : ['interp', 'jit'];
const threshold = Number(opt('threshold') ?? 50);
const limit = Number(opt('insns') ?? 5e9);
/** --stop-at N: stop after N guest instructions (no prompt needed; for profiles of a boot prefix). */
const stopAt = opt('stop-at') ? Number(opt('stop-at')) : undefined;
const PROMPT = '/root #';

async function boot(mode) {
  let out = '';
  let onOut = () => {};
  // The reference guest, kernel decompressed on the host (~2.2G decompressor instructions skipped),
  // deterministic clock, its own command line (no power-off: the run stops at the prompt).
  const { machine: m } = await loadMachine({
    mode, jitThreshold: threshold, maxInstructions: stopAt, powerOffAtShell: false,
    console: (b) => { out += Buffer.from(b).toString('latin1'); onOut(); },
  });
  if (opt('region-threshold') !== undefined && m.engine.regionThreshold !== undefined) m.engine.regionThreshold = Number(opt('region-threshold'));
  if (argv.includes('--region-pages')) m.engine.regionLoops = false;
  onOut = () => {
    if (out.includes(PROMPT)) m.requestStop(new MachineStop(0, 'prompt'));
    else if (m.cpu.icount > limit) m.requestStop(new MachineStop(1, 'limit'));
  };
  const t0 = performance.now();
  const r = await m.run();
  const { cpu } = m;
  if (!out.includes(PROMPT) && stopAt === undefined) throw new Error(`${mode}: no prompt (${r.why}) after ${cpu.icount} instructions; console ends with:\n${out.slice(-800)}`);
  const ms = performance.now() - t0;
  console.log(`${mode.padEnd(6)} boot to shell: ${(ms / 1000).toFixed(1)} s, ${cpu.icount} guest instructions, ${(cpu.icount / ms / 1000).toFixed(1)} M/s`);
  if (m.engine.stats) console.log('        jit stats', JSON.stringify(m.engine.stats));
  return ms;
}

console.log(`guest: ${referenceGuestLabel()}`);
const times = {};
for (const mode of modes) times[mode] = await boot(mode);
if (times.interp && times.jit) console.log(`JIT speed-up on boot to shell: ${(times.interp / times.jit).toFixed(2)}x`);
