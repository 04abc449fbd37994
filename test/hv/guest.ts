/**
 * Helpers for the hypervisor acceptance tests: assemble the test guests in test/hv/programs (GNU as
 * --32, linked flat), run a flat binary on an in-process Machine (the same wiring as `x86jit boot`),
 * and parse the guest's report lines.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '../system/harness.js';
import { parseReserve } from '../../src/hv/reserved.js';
import { Machine, type RunResult } from '../../src/machine/machine.js';
import type { EngineMode } from '../../src/machine/engine.js';

export { haveBinutils } from '../system/harness.js';

/** Where the flat test guests are linked and loaded (real-mode start at 1000:0000). */
export const FLAT_ADDR = 0x10000;

export function programSource(name: string): string {
  return readFileSync(fileURLToPath(new URL(`./programs/${name}`, import.meta.url)), 'utf8');
}

/** Assemble test/hv/programs/NAME linked at FLAT_ADDR. */
export function assembleProgram(name: string): { bin: Uint8Array; sym: Map<string, number> } {
  return assemble(programSource(name), FLAT_ADDR);
}

/** Write a binary to a fresh temporary file (for the CLI); returns its path. */
export function writeTemp(bin: Uint8Array, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-hv-'));
  const path = join(dir, name);
  writeFileSync(path, bin);
  return path;
}

export interface InProcessRun {
  machine: Machine;
  result: RunResult;
  console: string;
}

export interface InProcessOptions {
  mode: EngineMode;
  memBytes?: number;
  reserve?: string;
  maxInstructions?: number;
}

/** Build a Machine as the CLI does, load `bin` flat at FLAT_ADDR, run it to the end. */
export async function runFlat(bin: Uint8Array, o: InProcessOptions): Promise<InProcessRun> {
  const memBytes = o.memBytes ?? 32 << 20;
  let text = '';
  const machine = new Machine({
    memBytes,
    mode: o.mode,
    clock: 'deterministic',
    reserve: parseReserve(o.reserve ?? '8M', memBytes),
    testDevices: false,
    console: (b) => {
      text += Buffer.from(b).toString('latin1');
    },
    jitThreshold: 1,
    jitVerify: true,
    maxInstructions: o.maxInstructions ?? 20_000_000,
  });
  await machine.init();
  machine.load({ kernel: bin, kernelName: 'guest.bin', cmdline: '', flatAddr: FLAT_ADDR });
  const result = await machine.run();
  return { machine, result, console: text };
}

/**
 * Report lines "key v1 v2 ..." (8-digit hex words) -> map key -> numbers. For "probe NAME ..." and
 * "cpuid LEAF ..." lines the key is the first two words.
 */
export function parseReport(text: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    const keyWords = w[0] === 'probe' || w[0] === 'cpuid' ? 2 : 1;
    const values = w.slice(keyWords);
    if (values.length === 0 || !values.every((x) => /^[0-9a-f]{8}$/.test(x))) continue;
    m.set(w.slice(0, keyWords).join(' '), values.map((x) => parseInt(x, 16)));
  }
  return m;
}

/** "VM exits by reason:" block of --stats -> reason -> count. */
export function parseExitStats(stderr: string): Map<string, number> {
  const at = stderr.indexOf('VM exits by reason:');
  if (at < 0) throw new Error(`no "VM exits by reason:" in stderr:\n${stderr}`);
  const m = new Map<string, number>();
  for (const line of stderr.slice(at).split('\n').slice(1)) {
    const w = /^\s+([A-Za-z]+)\s+(\S+)\s*$/.exec(line);
    if (!w) break;
    m.set(w[1], Number(w[2]));
  }
  return m;
}
