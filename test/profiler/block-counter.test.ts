/** BlockCounter against a stand-in JIT: wrapping blocks, or reading counters the JIT keeps itself. */
import { describe, expect, it } from 'vitest';
import { BlockCounter, isProfiledJit } from '../../src/profiler/block-counter.js';

function fakeJit() {
  const list: any[] = [];
  return {
    onCompile: null as ((b: any) => void) | null,
    stats: { blocksCompiled: 0, coldInstructions: 0, invalidations: 0 },
    *blocks() { yield* list; },
    compileBlock(b: any) { list.push(b); this.stats.blocksCompiled++; if (this.onCompile) this.onCompile(b); return b; },
  };
}

const cpu = { icount: 0 } as any;
const block = (len: number, extra: object = {}) => ({
  phys: 0x1000, lin: 0x1000, eip: 0x1000, mode: 1, insns: [], eips: new Int32Array(len + 1), bytes: len, length: len, source: 'x', valid: true,
  fn: (c: any, _rt: never, iters: number) => { c.icount += len * iters; return 1; },
  ...extra,
});

describe('BlockCounter', () => {
  it('is only attached to something shaped like the JIT', () => {
    expect(BlockCounter.attach({ run() { return 0; } })).toBeNull();
    expect(isProfiledJit(fakeJit())).toBe(true);
  });

  it('wraps new blocks and counts entries and instructions, faults included', () => {
    const jit = fakeJit();
    let seen = 0;
    jit.onCompile = () => seen++; // an earlier listener keeps being called
    const bc = BlockCounter.attach(jit)!;
    const a = jit.compileBlock(block(5));
    const faulty = jit.compileBlock(block(4, { fn: (c: any) => { c.icount += 2; throw new Error('fault'); } }));
    expect(seen).toBe(2);
    a.fn(cpu, undefined as never, 3);
    a.fn(cpu, undefined as never, 1);
    expect(() => faulty.fn(cpu, undefined as never, 1)).toThrow('fault');
    expect([...bc.entries.slice(0, 2)]).toEqual([2, 1]);
    expect([...bc.retired.slice(0, 2)]).toEqual([20, 2]);
    expect(bc.totalRetired()).toBe(22);
    bc.reset();
    expect(bc.totalRetired()).toBe(0);
    a.fn(cpu, undefined as never, 1);
    // detach: original functions and listener back, counts frozen, later blocks not counted.
    bc.detach();
    expect(a.fn.name).not.toBe('counted');
    a.fn(cpu, undefined as never, 1);
    expect(bc.totalRetired()).toBe(5);
    const later = jit.compileBlock(block(2));
    expect(seen).toBe(3);
    expect(later.fn.name).not.toBe('counted');
    expect(bc.blocks.length).toBe(2);
  });

  it('reads runs/retired when the JIT keeps them, without wrapping', () => {
    const jit = fakeJit();
    const bc = BlockCounter.attach(jit)!;
    const b = block(3, { runs: 7, retired: 21 });
    const fn = b.fn;
    jit.compileBlock(b);
    expect(b.fn).toBe(fn);
    b.runs += 2;
    b.retired += 6;
    expect(bc.totalRetired()).toBe(6);
    expect(bc.entries[0]).toBe(2);
    bc.reset();
    b.retired += 3;
    b.runs += 1;
    expect(bc.totalRetired()).toBe(3);
    expect(bc.entries[0]).toBe(1);
  });
});
