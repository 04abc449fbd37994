/**
 * The guest console as text for waitFor, expect-style: output accumulates until a waitFor matches,
 * and the match consumes everything up to its end, so the next waitFor looks only at what follows.
 *
 * The text is the console's bytes decoded as UTF-8 with terminal control sequences (CSI: ESC [
 * params letter) removed: busybox's line editor sends a cursor-position query (ESC [ 6 n) after
 * every prompt, which would otherwise sit between a prompt and the text after it. A sequence cut
 * off at the end of one chunk is held back until the next arrives.
 */
import { GuestStoppedError, UsageError, WaitTimeoutError, describePattern } from './errors.js';
import type { StopResult } from './result.js';

/** What waitFor resolves with. */
export interface WaitMatch {
  /** The console text between the previous match (or the start) and this one. */
  before: string;
  /** The text that matched. */
  match: string;
  /** A RegExp's capture groups (empty for a string pattern). */
  captures: (string | undefined)[];
}

/** waitFor's options. */
export interface WaitOptions {
  /** Milliseconds before it rejects with WaitTimeoutError (Infinity: never). Default 300000 (a boot on a busy host). */
  timeout?: number;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 300_000;
/** Unconsumed text kept while no waitFor waits: the last 1 Mi characters. */
const MAX_PENDING = 1 << 20;
const TAIL = 2000;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Waiter {
  pattern: string | RegExp;
  test: (s: string) => WaitMatch | null;
  resolve: (m: WaitMatch) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class ConsoleText {
  private readonly decoder = new TextDecoder('utf-8');
  private held = '';
  private pending = '';
  private waiter: Waiter | null = null;
  private stopped: StopResult | null = null;

  /** Console bytes from the guest. */
  push(bytes: Uint8Array): void {
    this.append(this.decoder.decode(bytes, { stream: true }));
  }

  /** The guest stopped: a waitFor that cannot match any more rejects. */
  end(result: StopResult): void {
    this.append(this.decoder.decode());
    this.pending += this.held;
    this.held = '';
    this.stopped = result;
    const w = this.waiter;
    if (w && !this.check()) this.settle(w, new GuestStoppedError(w.pattern, result, this.tail()));
  }

  waitFor(pattern: string | RegExp, options: WaitOptions = {}): Promise<WaitMatch> {
    if (this.waiter) return Promise.reject(new UsageError(`waitFor(${describePattern(pattern)}) called while waitFor(${describePattern(this.waiter.pattern)}) still waits; await one before the next`));
    if (typeof pattern !== 'string' && !(pattern instanceof RegExp)) return Promise.reject(new UsageError(`waitFor: expected a string or a RegExp, got ${typeof pattern}`));
    const timeout = options.timeout ?? DEFAULT_WAIT_TIMEOUT_MS;
    if (!(timeout >= 0)) return Promise.reject(new UsageError(`waitFor: timeout must be a number of milliseconds >= 0, got ${timeout}`));
    return new Promise<WaitMatch>((resolve, reject) => {
      // Infinity (or more than setTimeout can count, ~24.8 days) waits without a timer.
      const timer = timeout <= MAX_TIMER_MS ? setTimeout(() => this.settle(w, new WaitTimeoutError(pattern, timeout, this.tail())), timeout) : undefined;
      const w: Waiter = { pattern, test: matcher(pattern), resolve, reject, timer };
      this.waiter = w;
      if (this.check()) return;
      if (this.stopped) this.settle(w, new GuestStoppedError(pattern, this.stopped, this.tail()));
    });
  }

  private append(text: string): void {
    if (text === '') return;
    const s = this.held + text;
    const cut = /\x1b(\[[0-9;?]*)?$/.exec(s);
    this.held = cut ? cut[0] : '';
    this.pending += (cut ? s.slice(0, cut.index) : s).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    // A waiter gets all the text before its match, however long; with none, keep only the end.
    if (!this.check() && !this.waiter && this.pending.length > MAX_PENDING) this.pending = this.pending.slice(-MAX_PENDING);
  }

  /** Settle the waiter if its pattern matches the pending text; true if it did. */
  private check(): boolean {
    const w = this.waiter;
    if (!w) return false;
    const m = w.test(this.pending);
    if (!m) return false;
    this.pending = this.pending.slice(m.before.length + m.match.length);
    this.settle(w, m);
    return true;
  }

  private settle(w: Waiter, outcome: WaitMatch | Error): void {
    if (this.waiter !== w) return;
    this.waiter = null;
    clearTimeout(w.timer);
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }

  private tail(): string {
    return this.pending.slice(-TAIL);
  }
}

function matcher(pattern: string | RegExp): (s: string) => WaitMatch | null {
  if (typeof pattern === 'string') {
    return (s) => {
      const i = s.indexOf(pattern);
      return i < 0 ? null : { before: s.slice(0, i), match: pattern, captures: [] };
    };
  }
  // Our own copy without g/y: exec must not depend on (or move) the caller's lastIndex.
  const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  return (s) => {
    const m = re.exec(s);
    return m ? { before: s.slice(0, m.index), match: m[0], captures: m.slice(1) } : null;
  };
}
