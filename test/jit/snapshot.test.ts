/**
 * Generated code is reviewed code (STYLE.md §4): the JS emitted for a few typical blocks is kept in
 * test/jit/__snapshots__/ so every change to the emitter shows up in review as a diff of the
 * generated functions. Regenerate with `npx vitest run test/jit/snapshot.test.ts -u` and read the diff.
 */
import { describe, expect, it } from 'vitest';
import { arithLoop, crc32Loop, memcpyLoop } from '../../bench/jit-programs.mjs';
import { asm, pair, runBoth, useRegions } from './helpers.js';

// Regions after a few dispatcher entries, so these tests also run region code.
useRegions();

const programs: [string, string][] = [
  ['arith-loop', arithLoop(100)],
  ['memcpy-loop', memcpyLoop(100)],
  ['crc32-loop', crc32Loop(8)],
  ['call-ret', `
    mov ecx, 20
  1:
    push ecx
    call 2f
    add esp, 4
    dec ecx
    jnz 1b
    hlt
  2:
    mov eax, [esp + 4]
    shl eax, 2
    setc dl
    ret
  `],
];

describe('generated code snapshots', () => {
  for (const [name, src] of programs) {
    it(name, async () => {
      const p = pair(asm(src), () => {}, 2);
      runBoth(p);
      const blocks = [...p.engine.blocks()].filter((b) => b.fn !== null).sort((a, b) => a.phys - b.phys);
      expect(blocks.length).toBeGreaterThan(0);
      await expect([...new Set(blocks.map((b) => b.source))].join('\n\n')).toMatchFileSnapshot(`__snapshots__/${name}.js.snap`);
    });
  }
});
