/**
 * End to end (issue 8, acceptance 1 and 2): profile the reference guest's whole boot to its shell
 * and power-off with the JIT (Debian i386 Linux 6.1, kernel decompressed on the host; one boot
 * serves several tests), and the first 5e7 instructions with the interpreter. The profile is
 * checked against the run and against itself: figures add up to the instructions retired, the
 * kernel functions that dominate are named from the System.map rebuilt from kallsyms, exact counts
 * and samples agree, frame-pointer stacks hold the callers, the speedscope export is valid.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareReferenceGuest, type ReferenceGuest } from '../../src/guest/reference.js';
import { runProfile, type ProfileRun } from '../../src/cli/profile-run.js';
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

/** Kernel functions that dominate the boot to the shell (host-decompressed kernel, deterministic
 *  clock), by exact guest instructions: the initramfs gunzip (inflate_fast, ~12%), the calibrated
 *  delays (delay_tsc, ~9%) and kallsyms lookups (get_symbol_offset, ~9%); measured with
 *  `x86jit profile` on 2026-11-22 (src/profiler/README.md). */
const BOOT_DOMINANT = ['inflate_fast', 'delay_tsc', 'get_symbol_offset'];

describe('profile of the reference boot', () => {
  // One whole boot to the shell and power-off (~3.8e8 instructions, ~40 s with the JIT), serving
  // every assertion about it below.
  let full: ProfileRun;
  let fullConsole = '';
  const fullBoot = async (): Promise<ProfileRun> => {
    if (!full) {
      const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-e2e-'));
      full = await runProfile({ mode: 'jit', jitThreshold: 300, period: PERIOD, top: 10, out: join(dir, 'boot.speedscope.json'), console: (b) => (fullConsole += Buffer.from(b).toString('latin1')) });
    }
    return full;
  };

  it('JIT, whole boot to the shell: powers off, and the figures add up to the instructions retired', async () => {
    const r = await fullBoot();
    expect(fullConsole).toContain('BOOT-OK');
    expect(r.result.exitCode).toBe(0);
    expect(r.result.why).toMatch(/powered off/);
    const d = r.data;
    // The profile covers the whole run: from the kernel's first instruction to power-off.
    expect(d.retired).toBe(r.machine.cpu.icount);
    expect(d.retired).toBeGreaterThan(2e8);
    expect(d.samples).toBe(Math.floor(d.retired / PERIOD));
    // Exact counts: instructions retired in translated blocks + instructions the JIT interpreted
    // = every instruction of the run.
    const j = d.jit!;
    expect(r.profiler.blocks!.totalRetired() + j.interpreted).toBe(d.retired);
    expect(j.blocksCompiled).toBeGreaterThan(1000);
    // Shares sum to 100%: by function (the interpreted row included), and the hot blocks' shares
    // are a part of it.
    const fsum = d.functions.reduce((a, f) => a + f.share, 0);
    expect(Math.abs(fsum - 1)).toBeLessThan(1e-6);
    const hsum = d.hot.reduce((a, h) => a + h.share, 0);
    expect(hsum).toBeGreaterThan(0.05);
    expect(hsum).toBeLessThanOrEqual(1 + 1e-9);
    const selfSum = d.functions.reduce((a, f) => a + f.selfSamples, 0);
    expect(selfSum).toBeLessThanOrEqual(d.samples);
    expect(selfSum).toBeGreaterThan(d.samples * 0.95);
  }, 600_000);

  it('JIT, whole boot: names the kernel functions that dominate it, and exact counts and samples agree', async () => {
    const r = await fullBoot();
    const d = r.data;
    const named = d.functions.filter((f) => f.name !== INTERPRETED);
    const top5 = named.slice(0, 5).map((f) => f.name);
    for (const name of BOOT_DOMINANT) {
      expect(top5).toContain(name);
      const f = named.find((x) => x.name === name)!;
      expect(f.share).toBeGreaterThan(0.04);
      // Samples (every PERIOD instructions) and exact counts measure the same thing.
      expect(Math.abs(f.share - f.selfSamples / d.samples)).toBeLessThan(0.02);
    }
    for (const f of named.slice(0, 10)) expect(f.name).toMatch(/^[A-Za-z_][\w.]*$/);
    // The hottest block is named symbol+offset inside one of them, with its generated JS.
    expect(d.hot[0].symbol).toMatch(/^[A-Za-z_][\w.]*\+0x[0-9a-f]+$/);
    expect(d.hot[0].source).toContain('function');
    // Frame-pointer stacks: inflate_fast runs under unpack_to_rootfs (the initramfs unpacker).
    const inflate = named.find((f) => f.name === 'inflate_fast')!;
    const unpack = d.functions.find((f) => f.name === 'unpack_to_rootfs');
    expect(unpack).toBeDefined();
    expect(unpack!.totalSamples).toBeGreaterThan(inflate.selfSamples * 0.9);
    expect(r.report).toContain('generated JS:');
    expect(r.report).toMatch(/VM exits by reason/);
    for (const name of BOOT_DOMINANT) expect(r.report).toContain(name);
  }, 600_000);

  it('JIT, whole boot: the speedscope export is valid and holds every sample', async () => {
    const r = await fullBoot();
    const file = JSON.parse(readFileSync(r.files[0], 'utf8'));
    expect(validateSpeedscope(file)).toEqual([]);
    expect(file.profiles[0].samples.length).toBe(r.data.samples);
    const frames = (file.shared.frames as { name: string }[]).map((f) => f.name);
    for (const name of BOOT_DOMINANT) expect(frames).toContain(name);
  }, 600_000);

  it('interpreter: samples add up and name the kernel functions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-e2e-'));
    const limit = 5e7;
    const r = await runProfile({ mode: 'interp', maxInstructions: limit, period: PERIOD, out: join(dir, 'p.speedscope.json'), top: 10 });
    expect(guest.systemMap).not.toBeNull();
    checkCommon(r, limit);
    const hotShare = r.data.hot.reduce((a, h) => a + h.share, 0);
    expect(hotShare).toBeGreaterThan(0);
    expect(hotShare).toBeLessThanOrEqual(1 + 1e-9);
    expect(r.data.hot[0].symbol).toMatch(/^[A-Za-z_][\w.]*(\+0x[0-9a-f]+)?$/);
  }, 600_000);
});
