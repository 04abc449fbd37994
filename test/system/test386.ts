/**
 * Runs test386.asm (../shared/testsuites/test386, see its README): the 64 KiB ROM at physical
 * 0xF0000, aliased at 0xFFFF0000 through the nested page table (same host pages), started at the
 * reset vector. POST codes come on port 0x190, the group 0xEE text on port 0xE9.
 */
import { Jit } from '../../src/jit/engine.js';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitReason } from '../../src/cpu/exit.js';
import { makeBench, type Bench } from './harness.js';

export const TEST386_DIR = fileURLToPath(new URL('../../../shared/testsuites/test386/', import.meta.url));
export const TEST386_BIN = TEST386_DIR + 'test386-e9.bin';
export const TEST386_REF = TEST386_DIR + 'test386-EE-reference.txt';
/** The 128 KiB build: adds 286/386 TSS task switches. */
export const TEST386_128K = TEST386_DIR + 'test386-e9-128k.bin';

export function haveTest386(): boolean {
  return existsSync(TEST386_BIN) && existsSync(TEST386_REF);
}

export interface Test386Result {
  posts: number[];
  text: string;
  halted: boolean;
  instructions: number;
  bench: Bench;
}

/**
 * Run a test386 ROM image (`file`, default the 64 KiB e9 build). The ROM ends at 1 MiB and is
 * aliased so that it also ends at 4 GiB (the 128 KiB build loads at 0xE0000 / 0xFFFE0000).
 */
export function runTest386(budget = 300_000_000, file = TEST386_BIN, mode: 'interp' | 'jit' = 'interp'): Test386Result {
  const b = makeBench(2 << 20);
  const rom = new Uint8Array(readFileSync(file));
  const base = 0x100000 - rom.length;
  b.phys.writeBytes(base, rom);
  const pages = rom.length >>> 12;
  for (let p = 0; p < pages; p++) b.phys.npt[0x100000 - pages + p] = (base >>> 12) + p;
  b.cpu.reset();
  const posts: number[] = [];
  const chars: string[] = [];
  let line = '';
  b.hv.handleExit = (x) => {
    if (x.reason === ExitReason.IoOut) {
      if (x.port === 0x190) posts.push(x.value & 0xff);
      else if (x.port === 0xe9) {
        const c = String.fromCharCode(x.value & 0xff);
        line += c;
        if (c === '\n') {
          chars.push(line);
          line = '';
        }
      }
    } else if (x.reason === ExitReason.IoIn) x.value = 0xffffffff;
    else if (x.reason === ExitReason.TripleFault) b.hv.tripleFaults++;
  };
  // --mode jit: the same machine driven by the JIT (blocks translated after 2 runs, acorn verify on).
  const engine = mode === 'jit' ? new Jit(b.cpu, b.phys, { threshold: 2, verify: true }) : b.cpu;
  let n = 0;
  while (n < budget && !b.cpu.halted) {
    const k = engine.run(Math.min(1_000_000, budget - n));
    if (k === 0) break;
    n += k;
  }
  return { posts, text: chars.join('') + line, halted: b.cpu.halted, instructions: n, bench: b };
}
