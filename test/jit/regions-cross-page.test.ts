/**
 * Loops that cross a page boundary: chaining links to a block of another page (followed only while
 * that page still maps where the block was decoded) and regions whose blocks lie in two pages
 * (with paging on, entered only while the TLB maps every page of the region as when it was built:
 * Region.span). Interpreter vs JIT, and the JIT must show the cross-page form was built.
 */
import { describe, expect, it } from 'vitest';
import type { Region } from '../../src/jit/block.js';
import { asm, CODE, expectSame, pair, PAGE_TABLE, runBoth, useRegions, withPaging, type Pair } from './helpers.js';

useRegions();

/** A three-block loop whose first block ends in page CODE and whose join block lies in the next page. */
const STRADDLE = `
  jmp start
  .org 0xfe8, 0x90
start:
  mov ecx, 3000
1:
  add eax, ecx
  test ecx, 1
  jz 2f
  add ebx, 3
  nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop; nop
2:
  add edx, 0x12345678
  dec ecx
  jnz 1b
  hlt
`;

/** The regions of `seen` whose blocks lie in more than one page. */
function crossRegions(seen: Region[]): Region[] {
  return seen.filter((r) => new Set(r.blocks.map((b) => b.lin >>> 12)).size > 1);
}

function watch(p: Pair): Region[] {
  const seen: Region[] = [];
  p.engine.onRegion = (r) => seen.push(r);
  return seen;
}

/** STRADDLE to its end on both engines (same count and state); the regions built over two pages. */
function runStraddle(setup: Parameters<typeof pair>[1] = () => {}): { p: Pair; cross: Region[] } {
  const p = pair(asm(STRADDLE), setup);
  const seen = watch(p);
  const n = runBoth(p);
  expect(n.jit).toBe(n.interp);
  expectSame(p);
  const cross = crossRegions(seen);
  expect(cross.length).toBeGreaterThan(0);
  return { p, cross };
}

describe('loops across a page boundary', () => {
  it('paging off: the loop runs as one region over two pages, no span check needed', () => {
    const { p, cross } = runStraddle();
    expect(cross[0].span).toBeNull();
    // 3000 iterations of two or three blocks: inside the region, far fewer dispatcher entries.
    expect(p.engine.stats.blocksRun).toBeLessThan(1000);
  });

  it('paging on: the region records its (linear, physical) pages and still runs inside itself', () => {
    const { p, cross } = runStraddle((t) => withPaging(t));
    // (linear, physical) pairs, in no particular order
    const s = Array.from(cross[0].span ?? []);
    const pairs = s.filter((_, i) => i % 2 === 0).map((lin, i) => `${lin}:${s[2 * i + 1]}`).sort();
    expect(pairs).toEqual([`${CODE >>> 12}:${CODE >>> 12}`, `${(CODE >>> 12) + 1}:${(CODE >>> 12) + 1}`]);
    expect(p.engine.stats.blocksRun).toBeLessThan(1000);
  });

  it('the second page remapped to other code between runs: the JIT runs the new code, as the interpreter', () => {
    const p = pair(asm(STRADDLE), (t) => withPaging(t));
    const seen = watch(p);
    expect(p.engine.run(4000)).toBe(p.interp.cpu.run(4000));
    expectSame(p);
    expect(crossRegions(seen).length).toBeGreaterThan(0);
    // Copy the second page to physical 0x70000 with `add edx, 0x12345678` changed, map it there
    // and flush the TLB, on both machines (the interpreter's bytes and registers are the reference).
    const second = CODE + 0x1000;
    for (const t of [p.interp, p.jit]) {
      const u8 = t.phys.u8;
      u8.copyWithin(0x70000, second, second + 0x1000);
      let patched = 0;
      for (let i = 0x70000; i < 0x71000 - 3; i++) {
        if (u8[i] === 0x78 && u8[i + 1] === 0x56 && u8[i + 2] === 0x34 && u8[i + 3] === 0x12) {
          u8.set([0x01, 0x00, 0x00, 0x00], i);
          patched++;
        }
      }
      expect(patched).toBe(1);
      t.phys.write32(PAGE_TABLE + ((second >>> 12) * 4), 0x70000 | 3);
      t.cpu.mmu.flush(true);
    }
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
    // The remapped code ran (the state equality above is then meaningful): without the switch EDX
    // would end at 3000 * 0x12345678.
    expect(p.interp.cpu.regs[2] >>> 0).not.toBe(Number((3000n * 0x12345678n) & 0xffffffffn));
  });
});
