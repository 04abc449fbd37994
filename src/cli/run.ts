/**
 * `x86jit run [options] -- COMMAND...`: boot a guest (the reference guest by default) to its shell,
 * run COMMAND there, print what it printed and exit with its exit status. Built on the library
 * API (src/api). The output is copied as it comes. Exit status 125: x86jit itself failed (bad file, guest stopped before its prompt);
 * 124: --timeout expired. The guest's stderr and stdout share the serial console: both go to stdout.
 */
import { randomBytes } from 'node:crypto';
import { GuestStoppedError, LoaderError, Machine, WaitTimeoutError, X86jitError, referenceGuest, type MachineConfig, type StopResult } from '../api/index.js';
import { beginPattern, commandLine, commandOutput, endPattern, pendingMarkerStart } from './run-script.js';

export interface RunOptions {
  kernel?: string;
  initrd?: string;
  append?: string;
  mem: string;
  mode: 'jit' | 'interp';
  /** Seconds to wait for the shell prompt. */
  bootTimeout: number;
  /** Seconds COMMAND may run (0: no limit). */
  timeout: number;
}

/** x86jit failed before or around the command (as docker run's 125). */
export const RUN_FAILED = 125;
/** --timeout expired (as timeout(1)). */
export const RUN_TIMED_OUT = 124;
/** A shell prompt ending the console text so far: "/root # ", "$ ". */
const PROMPT = /[#$] $/;
const POWEROFF_WAIT_MS = 60_000;

function fail(line: string, detail?: string): number {
  process.stderr.write(`x86jit run: ${line}\n`);
  if (detail) process.stderr.write(`${detail}\n`);
  return RUN_FAILED;
}

function machineConfig(opts: RunOptions): { config: MachineConfig; reference: boolean } {
  const base: MachineConfig = { kernel: '', memory: opts.mem, mode: opts.mode };
  if (opts.kernel) return { config: { ...base, kernel: opts.kernel, initrd: opts.initrd, append: opts.append }, reference: false };
  const g = referenceGuest({ log: (line) => process.stderr.write(`x86jit: ${line}\n`) });
  return { config: { ...base, kernel: g.kernel, initrd: opts.initrd ?? g.initrd, append: opts.append ?? g.append }, reference: true };
}

export async function runCommand(command: string[], opts: RunOptions): Promise<number> {
  if (command.length === 0) return fail('no command given (usage: x86jit run [options] -- COMMAND...)');
  let m: Machine;
  let reference: boolean;
  try {
    const c = machineConfig(opts);
    reference = c.reference;
    m = await Machine.boot(c.config);
  } catch (e) {
    if (e instanceof LoaderError || e instanceof X86jitError) return fail(e.message);
    throw e;
  }
  try {
    const boot = { timeout: opts.bootTimeout * 1000 };
    // The reference guest's /init prints BOOT-OK before it starts the shell: no kernel log line
    // ending in "# " can pass for the prompt then.
    if (reference) await m.waitFor('BOOT-OK', boot);
    await m.waitFor(PROMPT, boot);
  } catch (e) {
    return failWaiting(m, e, 'its shell prompt');
  }
  const nonce = randomBytes(6).toString('hex');
  m.write(commandLine(command, nonce));
  let status: number;
  try {
    await m.waitFor(beginPattern(nonce), { timeout: 60_000 });
    status = await streamOutput(m, nonce, opts.timeout > 0 ? Date.now() + opts.timeout * 1000 : Infinity, (s) => process.stdout.write(s));
  } catch (e) {
    if (e instanceof WaitTimeoutError && opts.timeout > 0) {
      await m.stop();
      process.stderr.write(`x86jit run: the command did not finish within ${opts.timeout} s (--timeout)\n`);
      return RUN_TIMED_OUT;
    }
    return failWaiting(m, e, 'the end of the command');
  }
  m.write('poweroff -f\n');
  const r = await stopWithin(m, POWEROFF_WAIT_MS);
  if (r.kind !== 'poweroff') process.stderr.write(`x86jit run: the guest did not power off cleanly (${r.kind}): ${r.message}\n`);
  return status;
}

/**
 * Copy the command's output to stdout as it comes, up to the end marker; returns the status the
 * marker carries. Only text that may be the marker's start waits for more; if the wait fails
 * (timeout, guest stopped) what was held goes out before the error.
 */
export async function streamOutput(m: Pick<Machine, 'waitFor'>, nonce: string, deadline: number, out: (text: string) => void): Promise<number> {
  const end = endPattern(nonce);
  let text = '';
  for (;;) {
    try {
      text += (await m.waitFor(ANY_TEXT, { timeout: Math.max(0, deadline - Date.now()) })).match;
    } catch (e) {
      if (text) out(commandOutput(text));
      throw e;
    }
    const e = end.exec(text);
    if (e) {
      out(commandOutput(text.slice(0, e.index)));
      return Number(e[1]);
    }
    const cut = pendingMarkerStart(text, nonce);
    if (cut > 0) out(commandOutput(text.slice(0, cut)));
    text = text.slice(cut);
  }
}

const ANY_TEXT = /[^]+/;

async function stopWithin(m: Machine, ms: number): Promise<StopResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)));
  const r = await Promise.race([m.run(), late]);
  clearTimeout(timer);
  return r ?? (await m.stop());
}

async function failWaiting(m: Machine, e: unknown, what: string): Promise<number> {
  if (e instanceof GuestStoppedError) {
    const r = e.result;
    return fail(`the guest stopped (${r.kind}, exit status ${r.exitCode}) before ${what}`, `${r.message}\n--- console tail ---\n${e.tail}`);
  }
  if (e instanceof WaitTimeoutError) {
    await m.stop();
    return fail(`no ${what} after ${e.timeoutMs / 1000} s`, `--- console tail ---\n${e.tail}`);
  }
  await m.stop();
  throw e;
}
