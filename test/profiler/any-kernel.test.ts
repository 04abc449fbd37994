/**
 * Profiles of a kernel given as --kernel name its functions (issue 14 item 6), and the HTML flame
 * graph renders offline in headless Chromium with those names. One boot: the reference kernel
 * passed explicitly (no reference-guest shortcut: its System.map is not used), early boot only
 * (1e8 instructions; the kernel is unpacked on the host and its kallsyms read).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginBootProfile, registerProfileCommand } from '../../src/cli/profile.js';
import { loadMachine } from '../../src/cli/profile-run.js';
import { prepareReferenceGuest } from '../../src/guest/reference.js';
import { oracle } from '../support/oracle.js';
import { readPng } from '../support/png.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = oracle('the flame graph check in a browser', existsSync(CHROMIUM), `${CHROMIUM} is absent (Debian: apt-get install --no-install-recommends chromium)`);

const dir = mkdtempSync(join(tmpdir(), 'x86jit-any-kernel-'));
const html = join(dir, 'boot.html');
let report = '';

beforeAll(async () => {
  const g = prepareReferenceGuest();
  const program = new Command().exitOverride();
  registerProfileCommand(program, (s) => (report += s));
  // No nokaslr on this command line: the profile must find out where the kernel runs itself.
  await program.parseAsync(['profile', '--kernel', g.kernel, '--initrd', g.initrd, '--append', 'console=ttyS0 quiet', '--max-instructions', '100000000', '--top', '5', '--source-blocks', '0', '-o', html], { from: 'user' });
}, 600_000);

/** Function names of the report's "Guest functions" table, in order. */
function reportFunctions(): string[] {
  const table = report.split('Guest functions')[1].split('\n\n')[0];
  return [...table.matchAll(/^\s+[\d.]+%\s+[\d.]+%\s+[\d.]+%\s+(.+)$/gm)].map((m) => m[1]);
}

describe('profile --kernel (no --symbols)', () => {
  it("names the kernel's functions from its own kallsyms, at the address it runs at", () => {
    expect(report).toMatch(/^symbols: \d{5,} from the kallsyms of vmlinuz-/m);
    expect(report).toContain('kernel found in guest memory at its link address (no KASLR slide)');
    const names = reportFunctions().filter((n) => !n.startsWith('('));
    expect(names.length).toBeGreaterThan(10);
    // Named, not "0x01ffa000-page": the top rows are kallsyms names, and the early boot's hot
    // kallsyms lookups are among them (reference-boot.test.ts measures them on the whole boot).
    for (const n of names.slice(0, 10)) expect(n).toMatch(/^[A-Za-z_][\w.]*$/);
    expect(names.slice(0, 5)).toContain('get_symbol_offset');
    expect(report).toMatch(/^\s+\d+\s+[\d.]+%\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+0xc[0-9a-f]{7}\s+[A-Za-z_][\w.]*\+0x[0-9a-f]+ /m);
  });

  it('writes a flame graph that needs nothing from the network', () => {
    const page = readFileSync(html, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    // The only URL is the SVG namespace; no <link>, no script or image sources.
    expect(page.match(/https?:\/\/[^\s"')]+/g)?.filter((u) => u !== 'http://www.w3.org/2000/svg') ?? []).toEqual([]);
    expect(page).not.toMatch(/<link\b|\bsrc=|@import|url\(/);
    expect(report).toContain(`wrote ${html} (a flame graph`);
  });

  it.runIf(haveChromium)('the flame graph renders in headless Chromium, boxes named with kernel functions', () => {
    const flags = ['--headless', '--disable-gpu', '--no-sandbox', `--user-data-dir=${join(dir, 'chromium')}`];
    const dom = execFileSync(CHROMIUM, [...flags, '--dump-dom', `file://${html}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
    const texts = [...dom.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(texts.length).toBeGreaterThan(100);
    for (const name of ['start_kernel', 'get_symbol_offset']) expect(texts).toContain(name);

    const shot = join(dir, 'shot.png');
    execFileSync(CHROMIUM, [...flags, `--screenshot=${shot}`, '--window-size=1240,700', `file://${html}`], { stdio: 'ignore', timeout: 120_000 });
    const img = readPng(new Uint8Array(readFileSync(shot)));
    expect(img.width).toBe(1240);
    // Painted, not blank: a good part of the page is flame-coloured (red > 180, blue < 100) boxes.
    let flame = 0;
    for (let i = 0; i < img.data.length; i += img.channels) if (img.data[i] > 180 && img.data[i + 2] < 100) flame++;
    expect(flame / (img.width * img.height)).toBeGreaterThan(0.05);
  }, 240_000);
});

describe('boot --profile --kernel', () => {
  it("runs the kernel's own decompressor: named as such, and the kernel not yet found says addresses are unslid", async () => {
    const g = prepareReferenceGuest();
    // 3e6 instructions: well inside the in-guest xz decompressor (~2.2e9), as `boot` runs it.
    const { machine } = await loadMachine({ kernel: g.kernel, initrd: g.initrd, append: 'console=ttyS0', hostDecompress: false, mode: 'interp', maxInstructions: 3_000_000 });
    const p = beginBootProfile(machine, { profile: join(dir, 'early.html'), kernel: g.kernel, append: 'console=ttyS0', profilePeriod: 1009 })!;
    await machine.run();
    let text = '';
    p.finish((s) => (text += s));
    expect(text).toMatch(/^symbols: \d{5,} from the kallsyms of vmlinuz-/m);
    expect(text).toMatch(/^addresses unslid: the kernel's text was not found in guest memory/m);
    // Every sample is in it (from code32_start, and where it moved itself), none in an unnamed page.
    const row = /^\s+[\d.]+%\s+([\d.]+)%\s+[\d.]+%\s+\[kernel decompressor\]$/m.exec(text);
    expect(row).not.toBeNull();
    expect(Number(row![1])).toBeGreaterThan(99);
    expect(readFileSync(join(dir, 'early.html'), 'utf8')).toContain('<title>[kernel decompressor] (');
  }, 120_000);
});
