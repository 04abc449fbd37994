/**
 * x86jit as a library: `import { Machine, referenceGuest } from 'x86jit'` (README.md, "Library API").
 * This module is the package's entry point (package.json "exports"); everything a program needs is
 * exported from here, and nothing else in dist/ is a public interface.
 */
export { Machine } from './machine.js';
export { referenceGuest, type ReferenceGuestConfig, type ReferenceGuestOptions } from './reference.js';
export { DEFAULT_APPEND, DEFAULT_JIT_THRESHOLD, DEFAULT_MEMORY, type MachineConfig } from './options.js';
export { DEFAULT_WAIT_TIMEOUT_MS, type WaitMatch, type WaitOptions } from './console-text.js';
export type { MachineStats, StopKind, StopResult } from './result.js';
export { GuestStoppedError, ReferenceGuestError, SetupError, UsageError, WaitTimeoutError, X86jitError } from './errors.js';
export { LoaderError } from '../loader/errors.js';
