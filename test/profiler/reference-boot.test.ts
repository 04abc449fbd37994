/**
 * End to end: profile the first instructions of the reference guest's boot (Debian i386 Linux 6.1,
 * kernel decompressed on the host) with both engines, and check the profile against the run and
 * against itself: figures add up to the instructions retired, kernel functions are named from the
 * System.map rebuilt from kallsyms, frame-pointer stacks lead back to start_kernel, and the JIT's
 * exact counts and the samples agree on which functions dominate.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareReferenceGuest, type ReferenceGuest } from '../../src/guest/reference.js';
import { runProfile, type ProfileRun } from '../../src/profiler/profile-command.js';
import { INTERPRETED } from '../../src/profiler/profile-data.js';
import { validateSpeedscope } from './speedscope-schema.js';

let guest: ReferenceGuest;
beforeAll(() => {
  guest = prepareReferenceGuest();
});

const PERIOD = 10007;

function checkCommon(r: ProfileRun, limit: number): void {
  expect(r.result.exitCode).toBe(124); // stopped by maxInstructions
  const d = r.data;
  // The kernel starts at icount 0: the profile covers every instruction of the run.
  expect(d.retired).toBe(r.machine.cpu.icount);
  expect(d.retired).toBeGreaterThanOrEqual(limit);
  expect(d.samples).toBe(Math.floor(d.retired / PERIOD));
  const fsum = d.functions.reduce((a, f) => a + f.share, 0);
  expect(Math.abs(fsum - 1)).toBeLessThan(1e-4);
  // Named kernel functions dominate: the top ten rows by share are kallsyms names.
  const named = d.functions.filter((f) => f.name !== INTERPRETED).slice(0, 10);
  for (const f of named) expect(f.name).toMatch(/^[A-Za-z_][\w.]*$/);
  // Early boot runs under start_kernel: the frame-pointer walk finds it on most stacks.
  const sk = d.functions.find((f) => f.name === 'start_kernel');
  expect(sk).toBeDefined();
  expect(sk!.totalSamples).toBeGreaterThan(d.samples * 0.5);
  // The speedscope file is valid and holds every sample.
  const file = JSON.parse(readFileSync(r.files[0], 'utf8'));
  expect(validateSpeedscope(file)).toEqual([]);
  expect(file.profiles[0].samples.length).toBe(d.samples);
  expect(r.report).toMatch(/start_kernel|VM exits by reason/);
}

describe('profile of the reference boot', () => {
  // The whole boot to the shell (~3.8e8 instructions, minutes at today's speeds): opt-in.
  it.runIf(process.env.X86JIT_PROFILE_FULL_BOOT === '1')('JIT, whole boot to the shell: powers off, figures add up, exact and sampled shares agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-e2e-'));
    let out = '';
    const r = await runProfile({ mode: 'jit', period: PERIOD, out: join(dir, 'p.speedscope.json'), console: (b) => (out += Buffer.from(b).toString('latin1')) });
    expect(out).toContain('BOOT-OK');
    expect(r.result.exitCode).toBe(0);
    const d = r.data;
    expect(d.retired).toBe(r.machine.cpu.icount);
    expect(d.samples).toBe(Math.floor(d.retired / PERIOD));
    expect(r.profiler.blocks!.totalRetired() + d.jit!.interpreted).toBe(d.retired);
    const top = d.functions.filter((f) => f.name !== INTERPRETED).slice(0, 5);
    for (const f of top) {
      expect(f.name).toMatch(/^[A-Za-z_][\w.]*$/);
      expect(Math.abs(f.share - f.selfSamples / d.samples)).toBeLessThan(0.02);
    }
    expect(validateSpeedscope(JSON.parse(readFileSync(r.files[0], 'utf8')))).toEqual([]);
  }, 3_600_000);

  it('interpreter: samples add up and name the kernel functions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-e2e-'));
    const limit = 1e8;
    const r = await runProfile({ mode: 'interp', maxInstructions: limit, period: PERIOD, out: join(dir, 'p.speedscope.json'), top: 10 });
    expect(guest.systemMap).not.toBeNull();
    checkCommon(r, limit);
    const hotShare = r.data.hot.reduce((a, h) => a + h.share, 0);
    expect(hotShare).toBeGreaterThan(0);
    expect(hotShare).toBeLessThanOrEqual(1 + 1e-9);
    expect(r.data.hot[0].symbol).toMatch(/^[A-Za-z_][\w.]*(\+0x[0-9a-f]+)?$/);
  }, 600_000);

  it('JIT: exact block counts add up, and agree with the samples on the hot functions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-e2e-'));
    const limit = 5e7;
    const r = await runProfile({ mode: 'jit', maxInstructions: limit, period: PERIOD, out: join(dir, 'p.speedscope.json'), top: 10, jitVerify: false });
    checkCommon(r, limit);
    const d = r.data;
    const j = d.jit!;
    expect(j.blocksCompiled).toBeGreaterThan(100);
    const all = d.hot.reduce((a, h) => a + h.share, 0);
    expect(all).toBeLessThanOrEqual(1 + 1e-9);
    // Exact: blocks + interpreted = everything retired.
    expect(r.profiler.blocks!.totalRetired() + j.interpreted).toBe(d.retired);
    // Two independent measures, exact counts and samples, agree on what dominates: the top three
    // translated functions by exact instructions are among the top ten by samples.
    const bySamples = [...d.functions].sort((a, b) => b.selfSamples - a.selfSamples).slice(0, 10).map((f) => f.name);
    const byExact = d.functions.filter((f) => f.name !== INTERPRETED).slice(0, 3).map((f) => f.name);
    for (const name of byExact) expect(bySamples).toContain(name);
    // ... and on how much: each of those functions' exact share is within 3 points of its sampled one.
    for (const name of byExact) {
      const f = d.functions.find((x) => x.name === name)!;
      expect(Math.abs(f.share - f.selfSamples / d.samples)).toBeLessThan(0.03);
    }
    expect(d.hot[0].source).toContain('function');
    expect(r.report).toContain('generated JS:');
  }, 600_000);
});
