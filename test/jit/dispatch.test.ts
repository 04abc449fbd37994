/**
 * The dispatcher's inner loop (engine.ts runChain): after a block exits through a relative or near
 * indirect branch, its chained or target-cached successor is entered without run()'s interrupt,
 * halt, debug and lookup steps. These tests run with per-block counts off (Jit.counting, the
 * product's default; the other test files attach a compile listener, which turns counting on) and
 * check the interpreter's state at every budget, interrupts made deliverable inside a chain,
 * stores into a chained successor, faults, and the counts when counting is on.
 */
import { describe, expect, it } from 'vitest';
import type { MmioBus } from '../../src/hv/mmio-bus.js';
import { NPT_MMIO } from '../../src/mem/phys.js';
import type { TestMachine } from '../cpu-int/harness.js';
import { asm, DATA, expectSame, pair, runBoth, STUB, type Pair, CountdownIrq } from './helpers.js';

/** Short blocks ending in every kind of transfer (as bench/jit-dispatch.mjs). */
const SHORT_BLOCKS = (passes: number, extra = '', pre = '') => `
    ${pre}
    mov ecx, ${passes}
    mov esi, offset 6f
0:  add eax, 1
    jmp 1f
1:  add ebx, eax
    test al, 1
    jnz 3f
    add ebx, 3
    jmp 4f
3:  sub ebx, 1
    jmp 4f
4:  call 9f
    xor ebx, eax
    jmp esi
6:  rol ebx, 1
    ${extra}
    call 9f
    dec ecx
    jnz 0b
    hlt
9:  add edx, ebx
    ret`;

/** pair() with per-block counts off (pair attaches a compile listener, which turns them on). */
function uncounted(src: string, setup: Parameters<typeof pair>[1] = () => {}, threshold = 1): Pair {
  const p = pair(asm(src), setup, threshold);
  p.engine.counting = false;
  return p;
}

/** A do-nothing MMIO page at MMIO; every access sets cpu.intrDirty, as the machine's bus hook does. */
const MMIO = 0x90000;
function withMmio(t: TestMachine): void {
  const bus = (t.phys as unknown as { mmio: MmioBus }).mmio;
  bus.register(MMIO, 0x1000, { mmioRead: () => 0, mmioWrite: () => {} }, 'test');
  bus.onAccess = () => {
    t.cpu.intrDirty = true;
  };
  t.phys.mapRange(MMIO, 0x1000, NPT_MMIO);
}

describe('dispatcher inner loop (counts off)', () => {
  it('short blocks of every exit kind: the interpreter state after every budget', () => {
    const p = uncounted(SHORT_BLOCKS(400));
    let a = 0, b = 0;
    for (const step of [1, 2, 3, 5, 7, 11, 13, 100, 1000, 777, 1 << 20]) {
      const x = p.interp.cpu.run(step);
      const y = p.engine.run(step);
      expect(y).toBe(x);
      expect(y).toBeLessThanOrEqual(step);
      a += x;
      b += y;
      expectSame(p);
    }
    expect(p.jit.cpu.halted).toBe(true);
    expect(b).toBe(a);
    const s = p.engine.stats;
    // Most entries come from the inner loop; no block counted (counting off).
    expect(s.fastEntries).toBeGreaterThan(s.blocksRun * 0.9);
    expect([...p.engine.blocks()].every((x) => x.runs === 0 && x.retired === 0)).toBe(true);
  });

  it('an interrupt made deliverable by port I/O inside a chain is taken at the same instruction', () => {
    for (const after of [1, 5, 40, 250]) {
      const p = uncounted(SHORT_BLOCKS(300, 'out 0x80, al', 'sti'));
      p.interp.cpu.intr = new CountdownIrq(after, 0x10);
      p.jit.cpu.intr = new CountdownIrq(after, 0x10);
      const n = runBoth(p);
      expect(n.jit).toBe(n.interp);
      expectSame(p);
      expect(p.jit.cpu.eip).toBe(STUB + 0x10 + 1); // halted in the vector 0x10 stub
    }
  });

  it('a store into the chained successor drops it: the inner loop enters the new code', () => {
    const p = uncounted(`
      mov ecx, 40
    1:
      mov byte ptr [2f + 2], cl
      jmp 2f
    2:
      add eax, 5
      dec ecx
      jnz 1b
      hlt
    `);
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
    expect(p.engine.stats.invalidations).toBeGreaterThan(0);
  });

  it('a #DE in a block entered by the inner loop: state as the interpreter', () => {
    const p = uncounted(SHORT_BLOCKS(50, 'div edi'), (t) => t.phys.write32(DATA, 0));
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
    expect(p.jit.cpu.eip).toBe(STUB + 1); // halted in the #DE stub
  });

  it('an interrupt made deliverable by an MMIO store inside a chained block is taken after the store', () => {
    for (const after of [1, 5, 40, 250]) {
      const p = uncounted(SHORT_BLOCKS(300, `mov [${MMIO}], eax`, 'sti'), withMmio);
      p.interp.cpu.intr = new CountdownIrq(after, 0x10);
      p.jit.cpu.intr = new CountdownIrq(after, 0x10);
      const n = runBoth(p);
      expect(n.jit).toBe(n.interp);
      expectSame(p);
      expect(p.jit.cpu.eip).toBe(STUB + 0x10 + 1);
    }
  });

  it('TF set by a translated POPF inside a chain: single-stepping starts at the same instruction', () => {
    // EDI = 0x100 on the pass with ECX = 3, else 0: the same translated block sets TF then.
    const setTf = 'pushfd\nmov edi, ecx\nsub edi, 3\nneg edi\nsbb edi, edi\nnot edi\nand edi, 0x100\nor [esp], edi\npopfd';
    const p = uncounted(SHORT_BLOCKS(30, setTf));
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
    expect(p.jit.cpu.eip).toBe(STUB + 1 + 1); // halted in the #DB stub
  });
});

describe('dispatcher counts (counting on)', () => {
  it('entries and retired instructions add up, a fault included', () => {
    const p = pair(asm(SHORT_BLOCKS(60, 'cmp ecx, 2\njne 7f\ndiv edi\n7:')), () => {}, 1);
    expect(p.engine.counting).toBe(true); // pair attached a compile listener
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
    let runs = 0, retired = 0;
    for (const b of p.engine.blocks()) {
      runs += b.runs;
      retired += b.retired;
    }
    expect(runs).toBe(p.engine.stats.blocksRun);
    expect(retired + p.engine.stats.coldInstructions).toBe(p.jit.cpu.icount);
  });
});
