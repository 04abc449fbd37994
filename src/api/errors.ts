/**
 * The errors the library API throws, each a class of its own with a one-line message a program can
 * show as it is. Files the loaders reject throw the loaders' own LoaderError (re-exported by the
 * API's index): "kernel.img: not a Linux bzImage (no HdrS signature)".
 */
import type { StopResult } from './result.js';

/** Base of the API's own errors (LoaderError, from the loaders, is not one of them). */
export class X86jitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An option the machine cannot be built with (memory size, reserved region, JIT threshold...). */
export class SetupError extends X86jitError {}

/** The reference guest could not be prepared (no apt-get, no network on first use...). */
export class ReferenceGuestError extends X86jitError {}

/** The API was used in an order it does not support (two waitFor at once, start twice...). */
export class UsageError extends X86jitError {}

/** waitFor saw no match within its timeout. */
export class WaitTimeoutError extends X86jitError {
  constructor(
    /** What was awaited. */
    readonly pattern: string | RegExp,
    readonly timeoutMs: number,
    /** The end of the console text received since the last match. */
    readonly tail: string,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${describePattern(pattern)} on the guest console`);
  }
}

/** The guest stopped (powered off, crashed...) while waitFor still waited for its pattern. */
export class GuestStoppedError extends X86jitError {
  constructor(
    readonly pattern: string | RegExp,
    readonly result: StopResult,
    readonly tail: string,
  ) {
    super(`the guest stopped (${result.kind}, exit status ${result.exitCode}) before ${describePattern(pattern)} appeared on its console: ${firstLine(result.message)}`);
  }
}

export function describePattern(p: string | RegExp): string {
  return typeof p === 'string' ? JSON.stringify(p) : String(p);
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}
