/**
 * Builds the native harness with `gcc -m32` (cached by source hash in the OS temp directory) and
 * runs a batch of sequences through it in one process: input file -> harness -> output file.
 * When the host cannot build or run 32-bit code (no gcc-multilib, not x86), `buildHarness` says why
 * so the tests can skip with that message.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeOutput, encodeInput, type Outcome, type Sequence } from './format.js';

const here = dirname(fileURLToPath(import.meta.url));
export const HARNESS_SOURCE = join(here, 'harness', 'harness.c');

export type HarnessBuild = { ok: true; path: string } | { ok: false; reason: string };

let cached: HarnessBuild | null = null;

/** Compile the harness once per source version; never throws. */
export function buildHarness(): HarnessBuild {
  if (cached) return cached;
  cached = build();
  return cached;
}

function build(): HarnessBuild {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'ia32'))
    return { ok: false, reason: `native differential test needs an x86 Linux host (this is ${process.platform}/${process.arch})` };
  const src = readFileSync(HARNESS_SOURCE);
  const hash = createHash('sha256').update(src).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'x86jit-native');
  const exe = join(dir, `harness-${hash}`);
  if (existsSync(exe)) return { ok: true, path: exe };
  mkdirSync(dir, { recursive: true });
  const tmp = `${exe}.${process.pid}.tmp`;
  const r = spawnSync('gcc', ['-m32', '-O1', '-no-pie', '-fno-pic', '-Wall', '-o', tmp, HARNESS_SOURCE], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? String(r.error.message) : r.stderr.split('\n').slice(0, 4).join(' | ');
    return { ok: false, reason: `cannot build the native harness with gcc -m32 (install gcc-multilib): ${why}` };
  }
  renameSync(tmp, exe);
  return { ok: true, path: exe };
}

/** Run `seqs` natively in one harness process; returns one outcome per sequence. */
export function runNative(harness: string, seqs: readonly Sequence[]): Outcome[] {
  const dir = join(tmpdir(), 'x86jit-native');
  mkdirSync(dir, { recursive: true });
  const tag = `${process.pid}-${Date.now()}-${Math.floor(Math.random() * 1e9)}`;
  const inPath = join(dir, `in-${tag}.bin`);
  const outPath = join(dir, `out-${tag}.bin`);
  try {
    writeFileSync(inPath, encodeInput(seqs));
    const r = spawnSync(harness, [inPath, outPath], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`native harness failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
    return decodeOutput(new Uint8Array(readFileSync(outPath)));
  } finally {
    rmSync(inPath, { force: true });
    rmSync(outPath, { force: true });
  }
}
