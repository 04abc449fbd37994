/**
 * Differential fuzzing, interpreter vs JIT (fuzz.ts). The CI run covers FUZZ_COUNT sequences
 * (default 100,000); `FUZZ_COUNT=1000000 FUZZ_SEED=... npx vitest run test/jit/fuzz.test.ts` for
 * longer runs. A failure prints shrunk reproducers.
 */
import { describe, expect, it } from 'vitest';
import { fuzz } from './fuzz.js';

const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const SLICE = 10_000;

describe('differential fuzzing', () => {
  for (let first = SEED; first < SEED + COUNT; first += SLICE) {
    const n = Math.min(SLICE, SEED + COUNT - first);
    it(`sequences ${first}..${first + n - 1} agree`, { timeout: 600_000 }, () => {
      const failures = fuzz(first, n);
      expect(failures.join('\n\n')).toBe('');
    });
  }
});
