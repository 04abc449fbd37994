/**
 * Differential fuzzing, interpreter vs JIT (fuzz.ts), split over several test files so that the
 * workers share it (one file of 100,000 sequences was 12 of CI's 22 minutes on one core while the
 * other idled). Part `part` of `parts` runs every `parts`-th slice of FUZZ_COUNT sequences (default
 * 100,000) from FUZZ_SEED; `npm run fuzz` runs 10^6. A failure prints shrunk reproducers.
 */
import { describe, expect, it } from 'vitest';
import { fuzz } from './fuzz.js';

const COUNT = Number(process.env.FUZZ_COUNT ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const SLICE = 10_000;

export function fuzzPart(part: number, parts: number): void {
  describe(`differential fuzzing, part ${part + 1} of ${parts}`, () => {
    let k = 0;
    for (let first = SEED; first < SEED + COUNT; first += SLICE, k++) {
      if (k % parts !== part) continue;
      const n = Math.min(SLICE, SEED + COUNT - first);
      it(`sequences ${first}..${first + n - 1} agree`, { timeout: 600_000 }, () => {
        const failures = fuzz(first, n);
        expect(failures.join('\n\n')).toBe('');
      });
    }
  });
}
