/**
 * The dispatcher's cost per block entry (issue 12 item 3, target <= 30 ns): a bare-machine guest
 * (flat 32-bit protected mode, bench/kernels/machine.mjs) whose loop is nothing but short basic
 * blocks, ~2 instructions each, ending in every kind of transfer the JIT sees:
 *
 *   top: add eax,1; jmp b1                 JMP rel (chained, TAKEN)
 *   b1:  add ebx,eax; test al,1; jnz b3    Jcc, taken every other pass (TAKEN / FALLTHROUGH)
 *   b2:  add ebx,3; jmp b4                 even passes
 *   b3:  sub ebx,1; jmp b4                 odd passes
 *   b4:  call f                            CALL rel (TAKEN)
 *   b5:  xor ebx,eax; jmp esi              RET lands here; JMP through a register (indirect)
 *   b6:  rol ebx,1; call f
 *   b7:  dec ecx; jnz top                  loop back
 *   f:   add edx,ebx; ret                  RET (indirect, the target cache)
 *
 * One pass = 9 basic blocks and 18 instructions; no block branches to its own start (that would
 * run as a loop inside one generated function). "ns per block entry" is CPU time (user + system
 * of this process) divided by the basic blocks executed, so it is comparable whatever the engine
 * does inside (chaining inside generated code, regions): the interpreter's figure is its cost per
 * basic block of ~2 instructions. The final registers of both engines must agree with the host's
 * computation of the same loop, else the bench aborts.
 *
 *   npm run build && node bench/jit-dispatch.mjs [--passes 2000000] [--time 2000] [--warmup 1000]
 *     [--modes interp,jit] [--threshold 50] [--region-threshold N] [--counting] [--stats]
 *
 * --counting: the per-block counts profilers turn on (Jit.counting).
 */
import os from 'node:os';
import { Jit } from '../dist/jit/engine.js';
import { DRIVER, asm, bareMachine, restart, runToHalt } from './kernels/machine.mjs';

const argv = process.argv;
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i > 0 ? argv[i + 1] : dflt;
};
const passes = Number(opt('passes', 2_000_000));
const timeMs = Number(opt('time', 2000));
const warmupMs = Number(opt('warmup', 1000));
const threshold = Number(opt('threshold', 50));
const regionThreshold = opt('region-threshold', null);
const modes = opt('modes', 'interp,jit').split(',');
const BLOCKS_PER_PASS = 9, INSNS_PER_PASS = 18, TARGET_NS = 30;

const code = asm(`
    mov ecx, ${passes}
    xor eax, eax
    xor ebx, ebx
    xor edx, edx
    mov esi, offset b6
top: add eax, 1
    jmp b1
b1: add ebx, eax
    test al, 1
    jnz b3
b2: add ebx, 3
    jmp b4
b3: sub ebx, 1
    jmp b4
b4: call f
b5: xor ebx, eax
    jmp esi
b6: rol ebx, 1
    call f
b7: dec ecx
    jnz top
    hlt
f:  add edx, ebx
    ret`, DRIVER);

/** The same loop on the host: the registers both engines must end with. */
function expected() {
  let a = 0, b = 0, d = 0;
  for (let c = passes; c > 0; c--) {
    a = (a + 1) | 0;
    b = (b + a) | 0;
    b = (a & 1) !== 0 ? (b - 1) | 0 : (b + 3) | 0;
    d = (d + b) | 0;
    b ^= a;
    b = (b << 1) | (b >>> 31);
    d = (d + b) | 0;
  }
  return { a, b, d };
}

function measure(mode) {
  const m = bareMachine(1 << 20);
  const { cpu, phys } = m;
  phys.u8.set(code, DRIVER);
  const jit = mode === 'jit' ? new Jit(cpu, phys, { threshold, verify: false }) : null;
  if (jit && regionThreshold !== null) jit.regionThreshold = Number(regionThreshold);
  if (jit && argv.includes('--counting')) jit.counting = true;
  const engine = jit ?? cpu;
  const once = () => {
    restart(cpu, DRIVER);
    return runToHalt(cpu, engine);
  };
  const insns = once();
  const want = expected();
  const got = { a: cpu.regs[0], b: cpu.regs[3], d: cpu.regs[2] };
  if (got.a !== want.a || got.b !== want.b || got.d !== want.d || cpu.regs[1] !== 0) {
    throw new Error(`${mode}: registers ${JSON.stringify(got)} ecx=${cpu.regs[1]}, host ${JSON.stringify(want)}`);
  }
  const expectInsns = passes * INSNS_PER_PASS + 6; // the 5 set-up instructions and HLT
  if (insns !== expectInsns) throw new Error(`${mode}: ${insns} instructions retired, expected ${expectInsns}`);
  if (jit) {
    const t0 = performance.now();
    while (performance.now() - t0 < warmupMs) once();
  }
  const s0 = jit ? { ...jit.stats } : null;
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  do {
    once();
    n++;
  } while (performance.now() - t0 < timeMs);
  const c = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  const cpuNs = (c.user + c.system) * 1000;
  const entries = passes * BLOCKS_PER_PASS * n;
  const stats = jit && s0 ? Object.fromEntries(Object.entries(jit.stats).map(([k, v]) => [k, (v - s0[k]) / n])) : null;
  return { n, nsPerBlock: cpuNs / entries, cpuMips: (insns * n) / (cpuNs / 1000), wallMips: (insns * n) / wallMs / 1000, stats };
}

console.log(`x86jit bench/jit-dispatch.mjs — Node ${process.version}, ${passes} passes of ${BLOCKS_PER_PASS} blocks / ${INSNS_PER_PASS} instructions, JIT threshold ${threshold}${regionThreshold !== null ? `, region threshold ${regionThreshold}` : ''}`);
console.log(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
const rows = [];
for (const mode of modes) {
  const r = measure(mode);
  rows.push(r);
  console.log(`  ${mode.padEnd(6)}: ${r.nsPerBlock.toFixed(1).padStart(6)} ns per block entry, ${r.cpuMips.toFixed(1).padStart(6)} M instr/s per CPU s (${r.wallMips.toFixed(1)} wall), ${r.n} timed runs`);
  if (r.stats && argv.includes('--stats')) {
    const s = r.stats;
    console.log(`          per run: ${s.blocksRun} dispatcher entries (${s.chainedRuns} chained), ${s.coldInstructions} cold instructions, ${s.blocksCompiled} blocks translated`);
  }
}
const j = rows[modes.indexOf('jit')];
if (j) console.log(`${rows.length > 1 ? `JIT/interp ${(j.cpuMips / rows[0].cpuMips).toFixed(2)}x; ` : ''}target <= ${TARGET_NS} ns per block entry: ${j.nsPerBlock <= TARGET_NS ? 'PASS' : 'FAIL'}`);
console.log(`load average at end ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
