/**
 * Issue 7, point 3: fuzzed guest code, paging on and off, never changes a byte of the reserved
 * region and never reads anything but all-ones from it (reserved-fuzz.ts says what is generated
 * and checked after each sequence). Both engines; the region in the middle of RAM (RAM on both
 * sides) and at the top (nothing above it, the default placement).
 *
 * X86JIT_HV_FUZZ_CASES sets the number of sequences per configuration (default 100).
 */
import { describe, expect, test } from 'vitest';
import { ExitReason } from '../../src/cpu/exit.js';
import { describeCase, fuzz, generate, makeRig, runCase, SINK, WIN_ALIAS, type FuzzCase, type Rig } from './reserved-fuzz.js';

const CASES = Number(process.env.X86JIT_HV_FUZZ_CASES ?? 100);

const CONFIGS = [
  { name: 'region in the middle of RAM', reserve: '2M@0x800000', seed: 0x1000 },
  { name: 'region at the top of RAM', reserve: '2M', seed: 0x2000 },
] as const;

describe('reserved region under fuzzed guest code', () => {
  for (const mode of ['interp', 'jit'] as const) {
    for (const cfg of CONFIGS) {
      test(`--mode ${mode}, ${cfg.name}: ${CASES} sequences`, async () => {
        const rig = await makeRig(mode, cfg.reserve);
        const failures = fuzz(rig, cfg.seed, CASES);
        expect(failures, failures.join('\n\n')).toEqual([]);
      }, 240_000);
    }
  }

  for (const mode of ['interp', 'jit'] as const) {
    test(`--mode ${mode}: ${CASES} random sequences of the JIT fuzzer aimed at the region never change it`, async () => {
      const rig = await makeRig(mode, '2M@0x800000');
      const failures = fuzz(rig, 0x3000, CASES, 3, true);
      expect(failures, failures.join('\n\n')).toEqual([]);
    }, 240_000);
  }

  test('the checks can fail: a leak planted in the region is caught', async () => {
    // Same rig, but the nested page table entries of some region pages (the first, the last, every
    // 8th) point at their own host pages, as a broken NPT would: the guest now reads the
    // hypervisor's pattern there and its writes land.
    const rig: Rig = await makeRig('interp', '2M@0x800000');
    const first = rig.region.addr >>> 12;
    const last = first + (rig.region.size >>> 12) - 1;
    for (let p = first; p <= last; p++) if (p === first || p === last || (p & 7) === 0) rig.machine.phys.npt[p] = p;
    let caught = 0;
    let ran = 0;
    for (let seed = 1; seed < 400 && caught === 0; seed++) {
      const c = generate(rig, seed);
      ran++;
      if (runCase(rig, c) !== null) caught++;
    }
    expect(ran).toBeGreaterThan(0);
    expect(caught).toBe(1);
  }, 120_000);

  test('a sequence that writes the region counts ReservedWrite exits (and only those)', async () => {
    const rig = await makeRig('interp', '2M@0x800000');
    for (let seed = 1; seed < 200; seed++) {
      const c = generate(rig, seed);
      if (!c.ops.some((o) => o.writesRegion)) continue;
      expect(runCase(rig, c), describeCase(c)).toBeNull();
      expect(rig.tally[ExitReason.ReservedWrite]).toBeGreaterThan(0);
      expect(rig.machine.hv.counts[ExitReason.ReservedWrite]).toBe(rig.tally[ExitReason.ReservedWrite]);
      // The only other exit is the final HLT (at CPL 0, or in the INT 0x80 stub after a CPL 3 run).
      const others = Array.from(rig.tally).map((n, r) => (r === ExitReason.ReservedWrite ? 0 : n));
      const expected = others.map((_, r) => (r === ExitReason.Hlt ? 1 : 0));
      expect(others).toEqual(expected);
      return;
    }
    throw new Error('no generated sequence writes the region');
  });

  for (const mode of ['interp', 'jit'] as const) {
    test(`--mode ${mode}: code fetched from the region is all-ones (FF FF: #UD at the jump target)`, async () => {
      const rig = await makeRig(mode, '2M@0x800000');
      for (const paging of [false, true]) {
        // mov eax, target; jmp eax. With paging the target is the region page through the alias window.
        const target = paging ? WIN_ALIAS + 0x100000 + 0x100 : rig.region.addr + 0x100;
        const c: FuzzCase = {
          seed: 7,
          paging,
          user: false,
          random: false,
          regs: [0, 0, 0, 0, 0x90000, 0, 0, 0],
          ops: [{ text: `jmp ${target.toString(16)}`, bytes: [0xb8, ...new Uint8Array(new Uint32Array([target]).buffer), 0xff, 0xe0], copies: [], writesRegion: false }],
          scramble: new Array<number>(1024).fill(SINK),
        };
        const outcome = runCase(rig, c);
        expect(outcome).toMatch(new RegExp(`^exception 6 at 0x${target.toString(16)} `));
        // and nothing else went wrong: the region and its counters are intact
        expect(outcome!.split('\n')).toHaveLength(1);
      }
    });
  }
});
