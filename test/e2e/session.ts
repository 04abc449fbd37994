/**
 * Drives `x86jit` as a user would: spawns the built CLI (dist/cli/main.js) with piped stdio,
 * waits for text on the guest console, types commands, collects the exit status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export class GuestSession {
  readonly proc: ChildProcess;
  out = '';
  err = '';
  /** The start of an escape sequence cut off at the end of the last stdout chunk. */
  private held = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.proc.stdout!.setEncoding('latin1');
    this.proc.stderr!.setEncoding('latin1');
    this.proc.stdout!.on('data', (d: string) => {
      // busybox's line editor sends terminal queries (ESC [ 6 n) with each prompt: drop CSI
      // sequences, holding back one cut off at the end of a chunk (a CI run once saw the ESC and
      // "[6n" arrive apart, and "# [6n" never matched the prompt).
      const text = this.held + d;
      const cut = /\x1b(\[[0-9;?]*)?$/.exec(text);
      this.held = cut ? cut[0] : '';
      this.out += (cut ? text.slice(0, cut.index) : text).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      this.wake();
    });
    this.proc.stderr!.on('data', (d: string) => {
      this.err += d;
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.wake();
        resolve(code ?? (signal ? 128 : 1));
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Wait until `re` matches console output after `from`; returns the index just past the match. */
  async waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.out.slice(from));
      if (m) return from + m.index + m[0].length;
      if (this.proc.exitCode !== null || Date.now() > deadline) {
        throw new Error(`timed out waiting for ${re} (exit ${this.proc.exitCode}).\n--- console tail ---\n${this.out.slice(-3000)}\n--- stderr ---\n${this.err.slice(-3000)}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(1000, Math.max(1, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  send(text: string): void {
    this.proc.stdin!.write(text);
  }

  kill(): void {
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** Run the CLI to completion (no input); resolves with status and output. */
export async function runCli(args: string[], timeoutMs = 60_000): Promise<{ code: number; out: string; err: string }> {
  const s = new GuestSession(args);
  s.proc.stdin!.end();
  const timer = setTimeout(() => s.kill(), timeoutMs);
  const code = await s.exited;
  clearTimeout(timer);
  return { code, out: s.out, err: s.err };
}
