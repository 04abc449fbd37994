/**
 * Acceptance point 2 of issue 4: test386.asm from the reset vector reaches POST 0xFF and its group
 * 0xEE output equals the hardware reference line for line. RCL/RCR leave OF undefined for counts
 * other than 1 (SDM Vol. 2 RCL/RCR), so OF is masked in the result flags of the RCL/RCR lines whose
 * count is not the constant 1 (opcodes other than D0/D1). Skips when ../shared is absent.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { haveTest386, runTest386, TEST386_128K, TEST386_REF } from './test386.js';
import { oracle } from '../support/oracle.js';

const have = oracle('test386', haveTest386(), '../shared/testsuites/test386 is absent beside the repository');
const d = have ? describe : describe.skip;
const have128k = have && oracle('test386 (128 KiB build)', existsSync(TEST386_128K), `${TEST386_128K} is absent`);

/** Mask OF (0x800) in the final PS= field of RCL/RCR lines with a variable count. */
function normalise(line: string): string {
  const t = line.trimEnd();
  if (!/^(C0|C1|D2|D3) RC[LR] /.test(t)) return t;
  return t.replace(/PS=([0-9A-F]{4})$/, (_, ps: string) => `PS=${(parseInt(ps, 16) & ~0x800).toString(16).toUpperCase().padStart(4, '0')}`);
}

d('test386', () => {
  for (const mode of ['interp', 'jit'] as const) it(`reaches POST 0xFF and matches the reference output of group 0xEE (--mode ${mode})`, () => {
    const r = runTest386(200_000_000, undefined, mode);
    const posts = r.posts.map((p) => p.toString(16)).join(' ');
    expect(posts.split(' ').at(-1), `POST codes: ${posts}`).toBe('ff');
    const got = r.text.split('\n');
    if (got.at(-1) === '') got.pop();
    const ref = readFileSync(TEST386_REF, 'utf8').split('\n');
    if (ref.at(-1) === '') ref.pop();
    let firstDiff = -1;
    for (let k = 0; k < Math.max(got.length, ref.length); k++) {
      if (normalise(got[k] ?? '<missing>') !== normalise(ref[k] ?? '<missing>')) {
        firstDiff = k;
        break;
      }
    }
    const where = firstDiff < 0 ? '' : `line ${firstDiff + 1}: got "${got[firstDiff]}", want "${ref[firstDiff]}"`;
    expect(where).toBe('');
    expect(got.length).toBe(ref.length);
  }, 900_000);

  it.skipIf(!have128k)('reaches POST 0xFF in the 128 KiB build (286/386 task switches)', () => {
    const r = runTest386(200_000_000, TEST386_128K);
    const posts = r.posts.map((p) => p.toString(16)).join(' ');
    expect(posts.split(' ').at(-1), `POST codes: ${posts}`).toBe('ff');
  }, 900_000);
});
