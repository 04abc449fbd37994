/**
 * The profiler on a small guest with known shape (guest.ts): start -> f -> g, g spinning. Checks the
 * sampling arithmetic, the frame-pointer stacks, the JIT's exact block counts, and the report.
 */
import { describe, expect, it } from 'vitest';
import { Jit } from '../../src/jit/engine.js';
import { collectProfile, INTERPRETED } from '../../src/profiler/profile-data.js';
import { Profiler } from '../../src/profiler/profiler.js';
import { Sampler } from '../../src/profiler/sampler.js';
import { machine } from '../cpu-int/harness.js';
import { formatReport } from '../../src/profiler/report.js';
import { parseElfSymbols } from '../../src/profiler/symbols.js';
import { buildGuest, guestMachine, runToHalt } from './guest.js';

const syms = () => parseElfSymbols(buildGuest().elf);
const TEXT = { textLow: 0, textHigh: 0x100000 };

/** Instructions the guest retires: per call of f: f 6 + g 3 + 2*40 loop; start: 3 + 300*3 + hlt. */
const EXPECTED = 3 + 300 * (3 + 6 + 3 + 2 * 40 + 2) + 1;

describe('sample histogram', () => {
  it('keeps exact counts per EIP through growth, for addresses spread over the whole space', () => {
    const t = machine();
    const s = new Sampler(t.cpu, t.phys, { period: 1, maxDepth: 1 });
    const expected = new Map<number, number>();
    for (let k = 0; k < 30000; k++) {
      const eip = (Math.imul(k % 9001, 0x01000193) ^ (k % 7 === 0 ? 0xc0000000 : 0)) >>> 0;
      t.cpu.eip = eip | 0;
      s.sample();
      expected.set(eip, (expected.get(eip) ?? 0) + 1);
    }
    expect(s.samples).toBe(30000);
    expect(s.histogram()).toEqual(expected);
    expect(s.keys.length).toBeGreaterThan(2 * expected.size - 1);
  });
});

describe('sampler on the interpreter', () => {
  it('takes one sample per period of retired instructions, all counted', () => {
    const m = guestMachine((t) => t.cpu);
    const prof = Profiler.attach(m, { period: 101, maxDepth: 8, ...TEXT });
    runToHalt(m);
    prof.detach();
    expect(m.engine).toBe(m.cpu); // detach restored the engine
    const retired = prof.retired();
    expect(retired).toBe(EXPECTED);
    expect(prof.sampler.samples).toBe(Math.floor(retired / 101));
    let histTotal = 0;
    for (const n of prof.sampler.histogram().values()) histTotal += n;
    expect(histTotal).toBe(prof.sampler.samples);
  });

  it('reconstructs start -> f -> g from the frame-pointer chain, prologues included', () => {
    const m = guestMachine((t) => t.cpu);
    const s = syms();
    const prof = Profiler.attach(m, { period: 7, maxDepth: 8, ...TEXT });
    runToHalt(m);
    let inG = 0;
    let fullInG = 0;
    let rootIsStart = 0;
    prof.sampler.forEachSample((frames) => {
      const names = frames.map((a) => s.nameOf(a));
      if (names[names.length - 1] === 'start') rootIsStart++;
      if (names[0] === 'g') {
        inG++;
        if (names.join(',') === 'g,f,start') fullInG++;
      }
    });
    const n = prof.sampler.samples;
    expect(inG).toBeGreaterThan(n * 0.8);
    expect(fullInG).toBe(inG);
    expect(rootIsStart).toBe(n);
  });

  it('reports hot code in g and function shares summing to 100%', () => {
    const m = guestMachine((t) => t.cpu);
    const prof = Profiler.attach(m, { period: 13, maxDepth: 8, ...TEXT });
    runToHalt(m);
    prof.detach();
    const d = collectProfile(prof, syms(), { top: 5 });
    expect(d.engine).toBe('interp');
    expect(d.hot[0].func).toBe('g');
    expect(d.hot[0].disasm.map((l) => l.text)).toContain('dec eax');
    const fsum = d.functions.reduce((a, f) => a + f.share, 0);
    expect(Math.abs(fsum - 1)).toBeLessThan(1e-9);
    expect(d.functions[0].name).toBe('g');
    const start = d.functions.find((f) => f.name === 'start')!;
    expect(start.totalSamples).toBe(d.samples);
    const text = formatReport(d);
    expect(text).toMatch(/g\+0x/);
    expect(text).toContain('HLT');
  });
});

describe('exact block counts with the JIT', () => {
  it('counts every retired instruction in blocks or as interpreted, and names the hot loop', () => {
    const m = guestMachine((t) => new Jit(t.cpu, t.phys, { threshold: 2, verify: true }));
    const prof = Profiler.attach(m, { period: 101, maxDepth: 8, ...TEXT });
    expect(prof.engineName).toBe('jit');
    runToHalt(m);
    prof.detach();
    const bc = prof.blocks!;
    const retired = prof.retired();
    expect(retired).toBe(EXPECTED);
    expect(prof.sampler.samples).toBe(Math.floor(retired / 101));
    const d = collectProfile(prof, syms(), { top: 50 });
    expect(d.jit!.interpreted).toBe(retired - bc.totalRetired());
    expect(bc.totalRetired()).toBeGreaterThan(retired * 0.9);
    // All blocks plus the interpreted row make up every instruction.
    const all = d.hot.reduce((a, h) => a + h.share, 0) + d.interpretedShare;
    expect(d.hotTotal).toBe(d.hot.length);
    expect(Math.abs(all - 1)).toBeLessThan(1e-9);
    const fsum = d.functions.reduce((a, f) => a + f.share, 0);
    expect(Math.abs(fsum - 1)).toBeLessThan(1e-9);
    expect(d.functions.find((f) => f.name === INTERPRETED)!.jitRetired).toBe(d.jit!.interpreted);
    // The hottest block is g's loop; its source is the generated JS.
    const top = d.hot[0];
    expect(top.func).toBe('g');
    expect(top.disasm.map((l) => l.text)).toContain('dec eax');
    expect(top.source).toContain('function');
    expect(top.retired).toBeGreaterThan(0);
    expect(top.entries).toBeGreaterThan(0);
    // Each pass of a block retires its instructions: counts are multiples of nothing less than one pass.
    for (const h of d.hot) expect(h.retired).toBeGreaterThanOrEqual(h.entries);
    // Detached: the JIT runs its own block functions again.
    for (const b of (m.engine as Jit).blocks()) expect(b.fn?.name).not.toBe('counted');
    expect(d.jit!.blocksCompiled).toBeGreaterThan(0);
    const text = formatReport(d, { sourceBlocks: 1 });
    expect(text).toContain('generated JS:');
    expect(text).toMatch(/blocks compiled \d+/);
  });
});

describe('JIT without exact counts', () => {
  it('samples only, leaves the blocks unwrapped, and says so in the report', () => {
    const m = guestMachine((t) => new Jit(t.cpu, t.phys, { threshold: 2, verify: true }));
    const prof = Profiler.attach(m, { period: 101, maxDepth: 8, ...TEXT, exactBlocks: false });
    runToHalt(m);
    prof.detach();
    expect(prof.engineName).toBe('jit');
    expect(prof.blocks).toBeNull();
    for (const b of (m.engine as Jit).blocks()) expect(b.fn?.name).not.toBe('counted');
    const d = collectProfile(prof, syms());
    expect(d.jit).toBeNull();
    expect(d.samples).toBe(Math.floor(EXPECTED / 101));
    expect(d.hot[0].func).toBe('g');
    expect(formatReport(d)).toContain('JIT without exact counts');
  });
});
