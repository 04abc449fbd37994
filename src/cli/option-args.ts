/**
 * Option-argument parsers of `x86jit boot` (commander argParsers): each throws commander's
 * InvalidArgumentError, so the error names the option the user gave.
 */
import { InvalidArgumentError } from 'commander';
import { isValidMemSize } from '../machine/machine.js';

const UNITS: Record<string, number> = { '': 1 << 20, B: 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };

/**
 * `-m`/`--mem`: as QEMU's -m ("[size=]megs"; docs "Standard options"), a plain number is MiB; the
 * suffixes B, K, M, G give other units (128M, 1G, 131072K).
 */
export function memArg(v: string): number {
  const m = /^(?:size=)?(0x[0-9a-f]+|[0-9]+)([BKMG]?)(?:i?B)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`bad size "${v}" (a number of MiB as in QEMU, or e.g. 512K, 128M, 1G)`);
  const n = m[1].toLowerCase().startsWith('0x') ? parseInt(m[1], 16) : parseInt(m[1], 10);
  const bytes = n * UNITS[m[2].toUpperCase()];
  if (!isValidMemSize(bytes)) {
    throw new InvalidArgumentError(`guest RAM must be a multiple of 4K between 1M and 3G (a plain number is MiB, as in QEMU), got "${v}" = ${+(bytes / 2 ** 20).toFixed(3)} MiB`);
  }
  return bytes;
}

/** `-smp`: QEMU's "[[cpus=]n][,maxcpus=n][,sockets=n][,dies=n][,cores=n][,threads=n]"; one CPU only. */
export function smpArg(v: string): number {
  const parts = v.split(',').filter((p) => p !== '');
  const ok = parts.length > 0 && parts.every((p) => /^(?:(?:cpus|maxcpus|sockets|dies|clusters|cores|threads)=)?0*1$/.test(p.trim()));
  if (!ok) throw new InvalidArgumentError(`x86jit emulates one CPU: only -smp 1 is supported (got "${v}")`);
  return 1;
}

/** `-serial`: the guest's COM1 is always this terminal (QEMU's `stdio`, `mon:stdio`). */
export function serialArg(v: string): string {
  if (v === 'stdio' || v === 'mon:stdio') return v;
  throw new InvalidArgumentError(`only "stdio" or "mon:stdio" is supported: the guest's COM1 is always this terminal (got "${v}")`);
}

export function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}
