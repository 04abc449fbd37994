/**
 * The profiler's command-line surface, mounted on a bare commander program as src/cli/main.ts
 * would mount it, on a short prefix of the reference boot.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addBootProfileOptions, beginBootProfile, registerProfileCommand } from '../../src/cli/profile.js';
import { loadMachine } from '../../src/cli/profile-run.js';
import { parseBzImage } from '../../src/loader/bzimage.js';
import { prepareReferenceGuest } from '../../src/guest/reference.js';
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
    // A block at the reference kernel's first byte: physical pref_address (LOAD_PHYSICAL_ADDR),
    // linear + PAGE_OFFSET, where System.map puts _text and its aliases (startup_32, _stext).
    const g = prepareReferenceGuest();
    const phys = parseBzImage(new Uint8Array(readFileSync(g.kernel)), g.kernel).prefAddress;
    const map = readFileSync(g.systemMap!, 'utf8').trim().split('\n').map((l) => l.split(' '));
    const textAddr = map.find((f) => f[2] === '_text')![0];
    expect(parseInt(textAddr, 16)).toBe((phys + 0xc0000000) >>> 0);
    const names = map.filter((f) => f[0] === textAddr && /^[tTwW]$/.test(f[1])).map((f) => f[2]);
    const host = { nodes: [{ id: 1, callFrame: { functionName: 'block', url: `x86jit/block_${phys.toString(16).padStart(8, '0')}_371.js`, scriptId: '9', lineNumber: 0, columnNumber: 0 }, hitCount: 1, children: [] }], startTime: 0, endTime: 1, samples: [1], timeDeltas: [1] };
    writeFileSync(input, JSON.stringify(host));
    let text = '';
    const program = new Command().exitOverride();
    registerProfileCommand(program, (s) => (text += s));
    await program.parseAsync(['profile', '--symbolize', input], { from: 'user' });
    expect(text).toContain('renamed 1 generated-block frames');
    const out = JSON.parse(readFileSync(join(dir, 'CPU.guest.cpuprofile'), 'utf8'));
    expect(names).toContain('_text');
    const renamed: string = out.nodes[0].callFrame.functionName;
    expect(renamed).toMatch(/^\[guest\] /);
    expect(names).toContain(renamed.slice('[guest] '.length));
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
