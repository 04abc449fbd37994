/**
 * Issue 7, points 1 and 4 on a small guest: `x86jit boot --stats` prints the VM exits by reason when
 * the guest stops. programs/stats-guest.s (multiboot) makes a known number of exits of each kind,
 * including three writes into the reserved region (dropped, counted as ReservedWrite) and a read
 * from it (all-ones) that it prints on the console.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { oracle } from '../support/oracle.js';
import { existsSync } from 'node:fs';
import { assemble } from '../system/harness.js';
import { CLI, runCli } from '../e2e/session.js';
import { haveBinutils, parseExitStats, programSource, writeTemp } from './guest.js';

describe.skipIf(!oracle('--stats end to end', haveBinutils(), 'GNU as/ld are not installed (Debian: apt-get install binutils)'))('--stats', () => {
  let kernel: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
    kernel = writeTemp(assemble(programSource('stats-guest.s'), 0x100000).bin, 'stats-guest.bin');
  });

  for (const mode of ['interp', 'jit'] as const) {
    test(`--mode ${mode}: exit counts by reason, reserved-region writes counted, reads all-ones`, async () => {
      const { code, out, err } = await runCli(['boot', '--kernel', kernel, '--mem', '32M', '--reserve', '1M@0x1000000', '--mode', mode, '--stats'], 60_000);
      expect(code).toBe(0);
      expect(err).toMatch(/powered off by hypercall/);
      // The guest read a dword of the region and wrote it to the console, then had the hypervisor
      // write 8 bytes from the region's start (its header): all-ones both ways.
      expect(Buffer.from(out, 'latin1')).toEqual(Buffer.alloc(12, 0xff));
      const stats = parseExitStats(err);
      expect(Object.fromEntries(stats)).toEqual({ IoOut: 5, IoIn: 3, Cpuid: 1, ReservedWrite: 3, Vmcall: 3 });
      // Busiest first.
      const counts = [...stats.values()];
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
    });
  }

  test('without a reserved region (--reserve 0) the same writes land in RAM and nothing is counted', async () => {
    const { code, out, err } = await runCli(['boot', '--kernel', kernel, '--mem', '32M', '--reserve', '0', '--mode', 'interp', '--stats'], 60_000);
    expect(code).toBe(0);
    // The guest reads back what it wrote.
    expect(Buffer.from(out, 'latin1')).toEqual(Buffer.from([0x78, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0]));
    expect(parseExitStats(err).has('ReservedWrite')).toBe(false);
  });
});
