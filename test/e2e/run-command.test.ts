/**
 * `x86jit run -- COMMAND` (issue 14 item 2), spawning dist/cli/main.js: the command's output alone
 * on stdout (no echo, no prompt, several lines intact) and its exit status as x86jit's. Two
 * reference-guest boots (uname -a; a multi-line printf then false); the failure paths use a bad
 * file and a tiny guest that powers off before any prompt.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { commandLine, commandOutput, endPattern, pendingMarkerStart, shellQuote } from '../../src/cli/run-script.js';
import { streamOutput } from '../../src/cli/run.js';
import { prepareReferenceGuest } from '../../src/guest/reference.js';
import { tinyGuest } from '../api/tiny-guest.js';
import { CLI } from './session.js';

// ~30 s on an idle core; 140 s was seen with four sessions sharing two cores.
const BOOT_TIMEOUT_MS = 300_000;

/** Run the CLI with stdin closed; stdout exactly as written. */
function x86jit(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('x86jit run on the reference guest', () => {
  test('-- uname -a prints the uname line alone and exits 0', async () => {
    const g = prepareReferenceGuest();
    const r = await x86jit(['run', '--', 'uname', '-a'], BOOT_TIMEOUT_MS);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Linux \\S+ ${g.release.replace(/\./g, '\\.')} .* i686 GNU/Linux\\n$`));
  }, BOOT_TIMEOUT_MS + 30_000);

  test('several lines come out intact and the status of the last command (false) is the exit status', async () => {
    const r = await x86jit(['run', '--', `printf '%s\\n' one '' "two  three" "it's"; false`], BOOT_TIMEOUT_MS);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toBe("one\n\ntwo  three\nit's\n");
  }, BOOT_TIMEOUT_MS + 30_000);
});

describe('x86jit run failures (no reference boot)', () => {
  test('a missing kernel: the loader\'s line, status 125', async () => {
    const r = await x86jit(['run', '--kernel', '/nonexistent/bzImage', '--', 'true'], 60_000);
    expect(r.code).toBe(125);
    expect(r.err).toBe('x86jit run: /nonexistent/bzImage: no such kernel file\n');
    expect(r.out).toBe('');
  });

  test('a guest that stops before its prompt: one clear line, then the console tail, status 125', async () => {
    const kernel = join(mkdtempSync(join(tmpdir(), 'x86jit-run-')), 'off.bin');
    writeFileSync(kernel, tinyGuest('no shell here\n', { powerOff: 3 }));
    const r = await x86jit(['run', '--kernel', kernel, '--mem', '16M', '--', 'true'], 60_000);
    expect(r.code).toBe(125);
    expect(r.err.split('\n')[0]).toBe('x86jit run: the guest stopped (poweroff, exit status 3) before its shell prompt');
    expect(r.err).toContain('no shell here');
    expect(r.err).not.toMatch(/\n\s+at /); // no JS stack trace
  });

  test('no command: a usage error', async () => {
    const r = await x86jit(['run'], 60_000);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/missing required argument 'command'/);
  });
});

describe('the line x86jit run types', () => {
  test('the echoed line cannot contain the end marker; quotes survive', () => {
    const line = commandLine(['echo', "it's"], 'abc123');
    expect(line).toContain(`eval ${shellQuote("echo it's")} </dev/null`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(endPattern('abc123').test(line)).toBe(false);
    expect(endPattern('abc123').exec('outX86JIT-END-abc123 7\r\n')?.[1]).toBe('7');
    expect(commandOutput('a\r\nb\r\n')).toBe('a\nb\n');
  });
});

describe('streaming the output', () => {
  test('text goes out as it comes; CR LF split between chunks and a marker split anywhere are whole', async () => {
    const console = 'line one\r\n' + 'x'.repeat(100) + '\r\nX86JIT-END-abc12 no\r\nlast\r\nX86JIT-END-abc123 42\r\n';
    for (const size of [1, 2, 3, 7, 20, 64, 1000]) {
      const chunks: string[] = [];
      for (let i = 0; i < console.length; i += size) chunks.push(console.slice(i, i + size));
      const fake = { waitFor: async () => ({ before: '', match: chunks.shift()!, captures: [] }) };
      const out: string[] = [];
      expect(await streamOutput(fake, 'abc123', Infinity, (s) => out.push(s))).toBe(42);
      expect(out.join('')).toBe('line one\n' + 'x'.repeat(100) + '\nX86JIT-END-abc12 no\nlast\n');
      if (size < 100) expect(out.length).toBeGreaterThan(1); // not all at the end
    }
  });

  test('only a possible marker start is held back; a failed wait flushes it', async () => {
    expect(pendingMarkerStart('start\r\n', 'n1')).toBe(7);
    expect(pendingMarkerStart('abc\r', 'n1')).toBe(3);
    expect(pendingMarkerStart('abcX86JIT-E', 'n1')).toBe(3);
    expect(pendingMarkerStart('abcX86JIT-END-n1 12\r', 'n1')).toBe(3);
    expect(pendingMarkerStart('abcX86JIT-END-n2', 'n1')).toBe(16);
    const chunks = ['start\r\n', 'X86JIT-'];
    const fake = {
      waitFor: async () => {
        const c = chunks.shift();
        if (c === undefined) throw new Error('timed out');
        return { before: '', match: c, captures: [] };
      },
    };
    const out: string[] = [];
    await expect(streamOutput(fake, 'n1', Infinity, (s) => out.push(s))).rejects.toThrow('timed out');
    expect(out).toEqual(['start\n', 'X86JIT-']);
  });
});
