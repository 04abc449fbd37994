/**
 * The profiler's command-line surface, mounted on a bare commander program as src/cli/main.ts
 * would mount it, on a short prefix of the reference boot.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addBootProfileOptions, beginBootProfile, registerProfileCommand } from '../../src/profiler/cli.js';
import { loadMachine } from '../../src/profiler/profile-command.js';
import { validateSpeedscope } from './speedscope-schema.js';

describe('x86jit profile', () => {
  it('profiles the reference boot and writes both exports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-cli-'));
    let text = '';
    const program = new Command().exitOverride();
    registerProfileCommand(program, (s) => (text += s));
    const out = join(dir, 'p.json'), cp = join(dir, 'p.cpuprofile');
    await program.parseAsync(['profile', '--mode', 'interp', '--max-instructions', '3000000', '--period', '1009', '-o', out, '--cpuprofile', cp, '--top', '5'], { from: 'user' });
    expect(text).toMatch(/^x86jit profile \(interp\): 3,0\d\d,\d\d\d guest instructions/);
    expect(text).toContain('Guest functions');
    expect(text).toContain(`wrote ${out}, ${cp}`);
    expect(text).toMatch(/guest stopped: stopped after \d+ guest instructions/);
    expect(validateSpeedscope(JSON.parse(readFileSync(out, 'utf8')))).toEqual([]);
    const prof = JSON.parse(readFileSync(cp, 'utf8'));
    expect(prof.samples.length).toBeGreaterThan(2900);
    expect(process.exitCode ?? 0).toBe(0);
  }, 300_000);

  it('--symbolize renames generated blocks of a host profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-sym-'));
    const input = join(dir, 'CPU.cpuprofile');
    const host = { nodes: [{ id: 1, callFrame: { functionName: 'block', url: 'x86jit/block_01000000_371.js', scriptId: '9', lineNumber: 0, columnNumber: 0 }, hitCount: 1, children: [] }], startTime: 0, endTime: 1, samples: [1], timeDeltas: [1] };
    writeFileSync(input, JSON.stringify(host));
    let text = '';
    const program = new Command().exitOverride();
    registerProfileCommand(program, (s) => (text += s));
    await program.parseAsync(['profile', '--symbolize', input], { from: 'user' });
    expect(text).toContain('renamed 1 generated-block frames');
    const out = JSON.parse(readFileSync(join(dir, 'CPU.guest.cpuprofile'), 'utf8'));
    // Physical 0x1000000 is the reference kernel's first byte: linear 0xc1000000, startup_32 (or an alias).
    expect(out.nodes[0].callFrame.functionName).toMatch(/^\[guest\] (startup_32|_stext|_text)$/);
  });

  it('rejects a zero period', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    registerProfileCommand(program, () => {});
    await expect(program.parseAsync(['profile', '--period', '0'], { from: 'user' })).rejects.toThrow(/positive integer/);
  });
});

describe('boot --profile', () => {
  it('parses the options boot gains and profiles a machine the CLI built', async () => {
    const boot = addBootProfileOptions(new Command('boot').exitOverride());
    boot.parse(['--profile', 'x.json', '--profile-period', '2003', '--symbols', 'map'], { from: 'user' });
    expect(boot.opts()).toMatchObject({ profile: 'x.json', profilePeriod: 2003, symbols: 'map' });
    expect(beginBootProfile({} as never, {})).toBeNull();

    const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-boot-'));
    const { machine } = await loadMachine({ mode: 'interp', maxInstructions: 2_000_000 });
    const p = beginBootProfile(machine, { profile: join(dir, 'b.json'), profilePeriod: 2003 })!;
    await machine.run();
    let report = '';
    p.finish((s) => (report += s));
    expect(p.profiler.sampler.samples).toBe(Math.floor(machine.cpu.icount / 2003));
    expect(report).toContain('VM exits by reason');
    const file = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
    expect(validateSpeedscope(file)).toEqual([]);
    // Reference kernel symbols are used without --symbols.
    expect(file.shared.frames.some((f: { name: string }) => f.name === 'start_kernel')).toBe(true);
  }, 300_000);
});
