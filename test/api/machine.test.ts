/**
 * The library API (src/api, issue 14 item 1) on tiny guests (tiny-guest.ts): defaults, waitFor's
 * expect-style matching and its typed errors, the console stream, stop(), stats, and the typed
 * errors for bad files and options. No reference-guest boot.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { GuestStoppedError, LoaderError, Machine, SetupError, UsageError, WaitTimeoutError, X86jitError } from '../../src/api/index.js';
import { machineOptions } from '../../src/api/options.js';
import { parseReserve } from '../../src/hv/reserved.js';
import { CLI } from '../e2e/session.js';
import { tinyGuest } from './tiny-guest.js';

const MEM = '16M';

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an exception');
}

/** The defaults `x86jit boot --help` states, by option name (commander's "(default: X)"). */
function bootHelpDefaults(): Map<string, string> {
  const help = execFileSync(process.execPath, [CLI, 'boot', '--help'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
  const found = new Map<string, string>();
  for (const m of help.matchAll(/ (--[a-z-]+) <[a-z]+>((?:(?! --)[^])*?)default: "?([^")]*)"?\)/g)) found.set(m[1], m[3]);
  return found;
}

describe('Machine options', () => {
  test('the defaults are those of x86jit boot', () => {
    const o = machineOptions({ kernel: '' }, () => {});
    const cli = bootHelpDefaults();
    expect(o).toMatchObject({
      memBytes: Number(cli.get('--mem')), mode: cli.get('--mode'), clock: cli.get('--clock'), jitThreshold: Number(cli.get('--jit-threshold')), testDevices: false,
    });
    expect(o.reserve).toEqual(parseReserve(cli.get('--reserve')!, o.memBytes));
    expect(o).toMatchObject({ memBytes: 128 << 20, mode: 'jit', clock: 'fast', jitThreshold: 3000 });
    expect(o.reserve).toEqual({ addr: (128 << 20) - (8 << 20), size: 8 << 20 });
    expect(machineOptions({ kernel: '', reserve: '0', memory: '64M' }, () => {})).toMatchObject({ memBytes: 64 << 20, reserve: null });
  });

  test('bad options are SetupErrors naming the option', () => {
    for (const [config, msg] of [
      [{ memory: 1000 }, /^memory: must be a multiple of 4 KiB/],
      [{ memory: 'lots' }, /^memory: bad size "lots"/],
      [{ reserve: '3K' }, /^reserve: /],
      [{ mode: 'fast' }, /^mode: expected 'jit' or 'interp'/],
      [{ jitThreshold: -1 }, /^jitThreshold: /],
    ] as const) {
      const e = thrown(() => new Machine({ kernel: new Uint8Array(16), ...(config as object) }));
      expect(e).toBeInstanceOf(SetupError);
      expect(e).toBeInstanceOf(X86jitError);
      expect(e.message).toMatch(msg);
    }
    expect(thrown(() => new Machine(undefined as never))).toBeInstanceOf(SetupError);
  });
});

describe('bad kernel files are LoaderErrors with the loader\'s one line', () => {
  test('a missing file fails in the constructor', () => {
    const e = thrown(() => new Machine({ kernel: '/nonexistent/bzImage' }));
    expect(e).toBeInstanceOf(LoaderError);
    expect(e.message).toBe('/nonexistent/bzImage: no such kernel file');
  });

  test('a file that is no kernel fails in start()', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'x86jit-api-')), 'junk.img');
    writeFileSync(path, new Uint8Array(4096).fill(7));
    const m = new Machine({ kernel: path, memory: MEM });
    const e = await rejection(m.start());
    expect(e).toBeInstanceOf(LoaderError);
    expect(e.message).toBe(`${path}: not a Linux bzImage (no boot sector signature 0xAA55 at 0x1fe)`);
    expect(e.message).not.toContain('\n');
    // The machine never ran: run() rejects the same way, waitFor learns it stopped.
    expect(await rejection(m.run())).toBe(e);
    expect(m.result).toMatchObject({ kind: 'setup', exitCode: 1 });
    expect(await rejection(m.waitFor('x'))).toBeInstanceOf(GuestStoppedError);
    expect(await m.stop()).toBe(m.result);
  });
});

describe('console and waitFor', () => {
  test('matches consume the text up to their end; write() types into the guest', async () => {
    const m = await Machine.boot({ kernel: tinyGuest('ready> ', 'echo'), memory: MEM });
    expect(await m.waitFor('> ', { timeout: 30_000 })).toEqual({ before: 'ready', match: '> ', captures: [] });
    m.write('hello, world\n');
    const w = await m.waitFor(/(\w+), (\w+)\n/, { timeout: 30_000 });
    expect(w).toEqual({ before: '', match: 'hello, world\n', captures: ['hello', 'world'] });
    // "ready" was consumed by the first match: it is not found again.
    const t = await rejection(m.waitFor('ready', { timeout: 200 }));
    expect(t).toBeInstanceOf(WaitTimeoutError);
    expect(t.message).toBe('timed out after 200 ms waiting for "ready" on the guest console');
    expect((t as WaitTimeoutError).pattern).toBe('ready');
    m.write('q');
    expect(await m.run()).toEqual({ kind: 'poweroff', exitCode: 0, message: 'guest powered off by hypercall (status 0)' });
    expect(m.stats.instructions).toBeGreaterThan(0);
    expect(m.stats.exits.join('\n')).toMatch(/Vmcall\s+1\b/);
    expect(m.stats.engine.join('\n')).toMatch(/^JIT: /);
  });

  test('terminal queries (CSI) are removed, even when split between chunks', async () => {
    const m = new Machine({ kernel: tinyGuest('a\x1b[6nb\x1b[', 'echo'), memory: MEM });
    await m.start();
    expect((await m.waitFor('ab', { timeout: 30_000 })).before).toBe('');
    // The guest now echoes the rest of the sequence "6n": the held-back ESC [ joins it.
    m.write('6nc');
    expect(await m.waitFor('c', { timeout: 30_000 })).toMatchObject({ before: '' });
    await m.stop();
  });

  test('the console stream carries the raw bytes and ends when the guest stops', async () => {
    const m = await Machine.boot({ kernel: tinyGuest('x\x1b[6ny\n', { powerOff: 0 }), memory: MEM });
    const chunks: Buffer[] = [];
    for await (const c of m.console) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString('latin1')).toBe('x\x1b[6ny\n');
    expect(m.result?.kind).toBe('poweroff');
  });

  test('waitFor rejects with GuestStoppedError when the guest stops first', async () => {
    const m = await Machine.boot({ kernel: tinyGuest('boot failed\n', 'halt'), memory: MEM });
    const e = await rejection(m.waitFor('login:', { timeout: 30_000 }));
    expect(e).toBeInstanceOf(GuestStoppedError);
    expect(e.message).toMatch(/^the guest stopped \(halt, exit status 1\) before "login:" appeared on its console: .*guest halted with interrupts disabled/);
    expect((e as GuestStoppedError).tail).toBe('boot failed\n');
    expect((await m.run()).kind).toBe('halt');
  });

  test('one waitFor at a time', async () => {
    const m = await Machine.boot({ kernel: tinyGuest('', 'echo'), memory: MEM });
    const first = m.waitFor('never', { timeout: 30_000 });
    const e = await rejection(m.waitFor('other'));
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(/waitFor\("other"\) called while waitFor\("never"\) still waits/);
    expect(await m.stop()).toMatchObject({ kind: 'quit', exitCode: 0 });
    expect(await rejection(first)).toBeInstanceOf(GuestStoppedError);
  });

  test('a guest exit status comes through run()', async () => {
    const m = new Machine({ kernel: tinyGuest('', { powerOff: 3 }), memory: MEM, mode: 'interp' });
    expect(await m.run()).toMatchObject({ kind: 'poweroff', exitCode: 3 });
    expect(m.stats.engine).toEqual([]);
  });
});
