/**
 * The API's machine configuration: what to boot and, optionally, how. Every option but `kernel`
 * has the default `x86jit boot` has, so `{ kernel, initrd, append }` is a complete configuration.
 */
import { DEFAULT_RESERVE, parseReserve, parseSize } from '../hv/reserved.js';
import { readInputFile } from '../loader/files.js';
import { CLOCK_MODES, type ClockMode } from '../machine/clock.js';
import { DEFAULT_CLOCK, DEFAULT_JIT_THRESHOLD, DEFAULT_MEMORY } from '../machine/defaults.js';
import type { EngineMode } from '../machine/engine.js';
import { isValidMemSize, type MachineOptions } from '../machine/machine.js';
import { SetupError } from './errors.js';

export interface MachineConfig {
  /** Linux bzImage, multiboot kernel, flat binary or ROM: a file path or its bytes. */
  kernel: string | Uint8Array;
  /** Initial ramdisk (Linux only): a file path or its bytes. */
  initrd?: string | Uint8Array;
  /** Kernel command line. Default "console=ttyS0". */
  append?: string;
  /** Guest RAM in bytes, or a size such as "128M". Default 128 MiB. */
  memory?: number | string;
  /** Execution engine. Default 'jit'. */
  mode?: EngineMode;
  /** Guest time: 'fast' (the default, as `x86jit boot`: idle time skipped), 'realtime' (host time:
   *  a halted guest waits) or 'deterministic' (from instruction counts). */
  clock?: ClockMode;
  /** Executions before the JIT translates a block. Default 3000, as `x86jit boot`. */
  jitThreshold?: number;
  /** Hypervisor-reserved RAM, "SIZE[@ADDR]"; "0" for none. Default "8M" at the top of RAM. */
  reserve?: string;
  /** Stop (kind 'limit') after this many guest instructions. */
  maxInstructions?: number;
  /** QEMU's isa-debug-exit (port 0xf4) and pc-testdev. Default false. */
  testDevices?: boolean;
  /** Load `kernel` as a raw binary at this guest-physical address and start there in real mode. */
  flatAddr?: number;
  /** Load `kernel` as a BIOS-style ROM and start at the reset vector. */
  rom?: boolean;
}

export { DEFAULT_CLOCK, DEFAULT_JIT_THRESHOLD, DEFAULT_MEMORY };
export const DEFAULT_APPEND = 'console=ttyS0';

/** A file or bytes, read now so that a missing file fails in the constructor (LoaderError). */
export interface InputImage {
  bytes: Uint8Array;
  name: string;
}

export function readImage(src: string | Uint8Array, what: string): InputImage {
  if (typeof src === 'string') return { bytes: readInputFile(src, what), name: src };
  if (src instanceof Uint8Array) return { bytes: src, name: `(${what} bytes)` };
  throw new SetupError(`${what}: expected a file path or a Uint8Array, got ${typeof src}`);
}

/** The low-level machine's options for `c`; throws SetupError for a value it cannot use. */
export function machineOptions(c: MachineConfig, console: (b: Uint8Array) => void): MachineOptions {
  const memBytes = memorySize(c.memory ?? DEFAULT_MEMORY);
  const mode = c.mode ?? 'jit';
  if (mode !== 'jit' && mode !== 'interp') throw new SetupError(`mode: expected 'jit' or 'interp', got ${JSON.stringify(mode)}`);
  const clock = c.clock ?? DEFAULT_CLOCK;
  if (!CLOCK_MODES.includes(clock)) throw new SetupError(`clock: expected one of ${CLOCK_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(clock)}`);
  const jitThreshold = c.jitThreshold ?? DEFAULT_JIT_THRESHOLD;
  if (!Number.isInteger(jitThreshold) || jitThreshold < 0) throw new SetupError(`jitThreshold: expected a non-negative integer, got ${jitThreshold}`);
  if (c.maxInstructions !== undefined && !(Number.isInteger(c.maxInstructions) && c.maxInstructions >= 0)) {
    throw new SetupError(`maxInstructions: expected a non-negative integer, got ${c.maxInstructions}`);
  }
  let reserve;
  try {
    reserve = parseReserve(c.reserve ?? String(DEFAULT_RESERVE), memBytes);
  } catch (e) {
    throw new SetupError((e as Error).message.replace(/^--reserve/, 'reserve'));
  }
  return {
    memBytes, mode, clock, reserve, jitThreshold, console,
    testDevices: !!c.testDevices,
    jitVerify: false,
    maxInstructions: c.maxInstructions,
  };
}

function memorySize(m: number | string): number {
  let n: number;
  try {
    n = typeof m === 'string' ? parseSize(m) : m;
  } catch (e) {
    throw new SetupError(`memory: ${(e as Error).message}`);
  }
  if (!isValidMemSize(n)) {
    throw new SetupError(`memory: must be a multiple of 4 KiB between 1 MiB and 3 GiB (got ${String(m)})`);
  }
  return n;
}
