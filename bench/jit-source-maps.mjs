/**
 * What source maps for generated code cost (src/jit/source-map.ts, `--jit-source-maps`).
 *
 *   npm run build && node bench/jit-source-maps.mjs [--insns 60e6] [--threshold 50] [--rounds 3]
 *     Compile cost: boots the reference guest for --insns instructions collecting every generated
 *     source, then compiles all of them (each made unique, V8 caches `new Function` by source) with
 *     maps off / on / on / off per round (on-bare: markers only, no disassembly or symbols): µs per
 *     function.
 *   node bench/jit-source-maps.mjs --boot on|off [--threshold 300] [--dir D]
 *     Boot to the shell prompt (deterministic clock) with maps on or off: wall time. Run `off` and
 *     `on` as separate processes (a second boot in one process runs slower).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareReferenceGuest, referenceGuestLabel } from '../dist/guest/reference.js';
import { loadMachine } from '../dist/cli/profile-run.js';
import { MachineStop } from '../dist/hv/exit.js';
import { compileGenerated } from '../dist/jit/compile.js';
import { loadSymbolFile } from '../dist/profiler/symbols.js';
import { GuestPeek } from '../dist/cpu/guest-peek.js';
import { decode } from '../dist/frontend/decoder.js';
import { Insn } from '../dist/frontend/insn.js';
import { formatInsn } from '../dist/frontend/disasm.js';

const argv = process.argv;
const opt = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : undefined;
};
const bootMode = opt('boot');
const threshold = Number(opt('threshold') ?? (bootMode ? 300 : 50));
const insns = Number(opt('insns') ?? 60e6);
const rounds = Number(opt('rounds') ?? 3);
const PROMPT = '/root #';

const g = prepareReferenceGuest(() => {});
const symbols = loadSymbolFile(g.systemMap);
const symbolize = (lin) => symbols.formatKnown(lin);
console.log(`guest: ${referenceGuestLabel(g)}`);

/** The reference guest (host-decompressed kernel, deterministic clock), JIT, maps as given. */
async function machine(sourceMaps, onOut, maxInstructions) {
  const { machine: m } = await loadMachine({
    mode: 'jit', jitThreshold: threshold, jitSourceMaps: sourceMaps, maxInstructions, powerOffAtShell: false, console: onOut,
  });
  return m;
}

if (bootMode) {
  let out = '';
  let m;
  const maps = bootMode === 'on' ? { dir: opt('dir') ?? null, symbolize } : null;
  m = await machine(maps, (b) => {
    out += Buffer.from(b).toString('latin1');
    if (out.includes(PROMPT)) m.requestStop(new MachineStop(0, 'prompt'));
  });
  const t0 = performance.now();
  await m.run();
  const ms = performance.now() - t0;
  if (!out.includes(PROMPT)) throw new Error('no prompt');
  console.log(`boot to shell, source maps ${bootMode}${maps?.dir ? ` (+ .map files in ${maps.dir})` : ''}, threshold ${threshold}: ${(ms / 1000).toFixed(1)} s, ${m.cpu.icount} guest instructions, ${m.engine.stats.blocksCompiled} blocks compiled`);
} else {
  const sources = [];
  const m = await machine(null, () => {}, insns);
  m.engine.onCompile = (b) => sources.push(b.source);
  await m.run();
  const peek = new GuestPeek(m.cpu, m.phys);
  const insn = new Insn();
  const disassemble = (eip) => {
    peek.ok = true;
    decode(insn, peek, eip, true);
    return peek.ok && insn.len > 0 ? formatInsn(insn, eip, true) : null;
  };
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-bench-maps-'));
  const variants = {
    off: null,
    'on-bare': {},
    on: { symbolize, disassemble },
    'on+files': { symbolize, disassemble, dir },
  };
  const params = ['H', 'I', 'X', 'TC', 'FCF'];
  const bytes = sources.reduce((n, s) => n + s.length, 0);
  console.log(`${sources.length} generated sources from the first ${insns} boot instructions (threshold ${threshold}), ${(bytes / sources.length).toFixed(0)} chars each on average`);
  const times = { off: [], 'on-bare': [], on: [], 'on+files': [] };
  let tag = 0;
  for (let r = 0; r < rounds; r++) {
    for (const v of ['off', 'on-bare', 'on', 'on+files', 'on+files', 'on', 'on-bare', 'off']) {
      const o = variants[v];
      tag++;
      const t0 = performance.now();
      for (const s of sources) compileGenerated(params, `${s}\n// ${tag}`, o);
      times[v].push(((performance.now() - t0) * 1000) / sources.length);
    }
  }
  const best = (a) => Math.min(...a);
  for (const v of Object.keys(times)) console.log(`maps ${v.padEnd(8)}: ${best(times[v]).toFixed(1)} µs per function (best of ${times[v].length}; all: ${times[v].map((t) => t.toFixed(1)).join(' ')})`);
  console.log(`cost of a map: ${(best(times.on) - best(times.off)).toFixed(1)} µs per function (markers only, no disassembly or symbols: ${(best(times['on-bare']) - best(times.off)).toFixed(1)} µs); with .map files ${(best(times['on+files']) - best(times.off)).toFixed(1)} µs`);
}
