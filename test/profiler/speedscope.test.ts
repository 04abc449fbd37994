/**
 * The exports load in speedscope (its file format, checked field by field) and Chrome's
 * .cpuprofile shape, and carry the same samples as the profiler.
 */
import { describe, expect, it } from 'vitest';
import { Profiler } from '../../src/profiler/profiler.js';
import { toCpuProfile, toSpeedscope } from '../../src/profiler/speedscope.js';
import { parseElfSymbols } from '../../src/profiler/symbols.js';
import { buildGuest, guestMachine, runToHalt } from './guest.js';
import { validateSpeedscope } from './speedscope-schema.js';

function profiled(): Profiler {
  const m = guestMachine((t) => t.cpu);
  const prof = Profiler.attach(m, { period: 11, maxDepth: 8, textLow: 0, textHigh: 0x100000 });
  runToHalt(m);
  prof.detach();
  return prof;
}

describe('speedscope export', () => {
  it('is valid speedscope JSON whose frames are the guest functions', () => {
    const prof = profiled();
    const file = JSON.parse(JSON.stringify(toSpeedscope(prof, parseElfSymbols(buildGuest().elf), 'test')));
    expect(validateSpeedscope(file)).toEqual([]);
    expect(file.shared.frames.map((f: { name: string }) => f.name).sort()).toEqual(['f', 'g', 'start']);
    const p = file.profiles[0];
    expect(p.samples.length).toBe(prof.sampler.samples);
    expect(p.weights.reduce((a: number, b: number) => a + b, 0)).toBe(prof.sampler.samples * 11);
    expect(p.endValue).toBe(prof.sampler.samples * 11);
    // Root first: every stack starts at `start`; g is never above f.
    const name = (i: number) => file.shared.frames[i].name;
    for (const st of p.samples) expect(name(st[0])).toBe('start');
    expect(p.samples.some((st: number[]) => st.map(name).join('>') === 'start>f>g')).toBe(true);
    expect(file.profiles[1].unit).toBe('milliseconds');
  });

  it('the checker catches what speedscope would reject', () => {
    const good = JSON.parse(JSON.stringify(toSpeedscope(profiled(), parseElfSymbols(buildGuest().elf))));
    const broken = (f: (x: any) => void) => {
      const x = structuredClone(good);
      f(x);
      return validateSpeedscope(x);
    };
    expect(broken((x) => delete x.$schema)).not.toEqual([]);
    expect(broken((x) => (x.profiles[0].unit = 'instructions'))).not.toEqual([]);
    expect(broken((x) => x.profiles[0].weights.pop())).not.toEqual([]);
    expect(broken((x) => (x.profiles[0].samples[0] = [999]))).not.toEqual([]);
    expect(broken((x) => delete x.shared.frames[0].name)).not.toEqual([]);
    expect(broken((x) => (x.profiles[0].type = 'flame'))).not.toEqual([]);
  });
});

describe('Chrome .cpuprofile export', () => {
  it('is a call tree whose hit counts are the samples', () => {
    const prof = profiled();
    const cp = toCpuProfile(prof, parseElfSymbols(buildGuest().elf));
    expect(cp.samples.length).toBe(prof.sampler.samples);
    expect(cp.timeDeltas.length).toBe(cp.samples.length);
    const ids = new Set(cp.nodes.map((n) => n.id));
    expect(ids.size).toBe(cp.nodes.length);
    for (const n of cp.nodes) for (const c of n.children) expect(ids.has(c)).toBe(true);
    for (const s of cp.samples) expect(ids.has(s)).toBe(true);
    expect(cp.nodes.reduce((a, n) => a + n.hitCount, 0)).toBe(cp.samples.length);
    expect(cp.nodes[0].callFrame.functionName).toBe('(root)');
    const names = new Set(cp.nodes.map((n) => n.callFrame.functionName));
    expect([...names].sort()).toEqual(['(root)', 'f', 'g', 'start']);
    expect(cp.endTime).toBeGreaterThanOrEqual(cp.startTime);
  });
});
