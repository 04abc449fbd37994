/**
 * Runs test386.asm (../shared/testsuites/test386, see its README): the 64 KiB ROM at physical
 * 0xF0000, aliased at 0xFFFF0000 through the nested page table (same host pages), started at the
 * reset vector. POST codes come on port 0x190, the group 0xEE text on port 0xE9.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitReason } from '../../src/hv/exit.js';
import { makeBench, type Bench } from './harness.js';

export const TEST386_DIR = fileURLToPath(new URL('../../../shared/testsuites/test386/', import.meta.url));
export const TEST386_BIN = TEST386_DIR + 'test386-e9.bin';
export const TEST386_REF = TEST386_DIR + 'test386-EE-reference.txt';

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

export function runTest386(budget = 300_000_000): Test386Result {
  const b = makeBench(2 << 20);
  const rom = new Uint8Array(readFileSync(TEST386_BIN));
  b.phys.writeBytes(0xf0000, rom);
  for (let p = 0; p < rom.length >>> 12; p++) b.phys.npt[0xffff0 + p] = 0xf0 + p;
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
  let n = 0;
  while (n < budget && !b.cpu.halted) {
    const k = b.cpu.run(Math.min(1_000_000, budget - n));
    if (k === 0) break;
    n += k;
  }
  return { posts, text: chars.join('') + line, halted: b.cpu.halted, instructions: n, bench: b };
}
