/**
 * Regions through CALL and RET (issue 12 item 1): a loop that calls a function (here five pages
 * away) forms one region with it when the dispatcher has seen the RET come back
 * (Block.nextI/nextI2, the return sites of the region's CALLs). Inside the region the RET compares
 * its target with those blocks and continues at a match (emit.ts transferIndirect); any other
 * target leaves through the ordinary exit. Interpreter vs JIT, with regions after a few entries.
 */
import { describe, expect, it } from 'vitest';
import type { Region } from '../../src/jit/block.js';
import { asm, check, expectSame, pair, runBoth, useRegions, withPaging, type Pair } from './helpers.js';

useRegions();

/** The loop at CODE calls `f`, 0x5000 bytes on (five linear pages away). */
const CALL_FAR = `
  mov ecx, 3000
1:
  push ecx
  call f
  add esp, 4
  add ebx, eax
  dec ecx
  jnz 1b
  hlt
  .org 0x5000, 0x90
f:
  mov eax, [esp + 4]
  shl eax, 2
  ret
`;

function regionsOf(p: Pair): Region[] {
  const seen: Region[] = [];
  const prev = p.engine.onRegion;
  p.engine.onRegion = (r) => {
    seen.push(r);
    prev?.(r);
  };
  return seen;
}

/** Run both to HLT, expect the same state; the regions built. */
function runWatched(src: string, setup: (t: Pair['jit']) => void = () => {}): { p: Pair; seen: Region[] } {
  const p = pair(asm(src), setup);
  const seen = regionsOf(p);
  const n = runBoth(p);
  expect(n.jit).toBe(n.interp);
  expectSame(p);
  return { p, seen };
}

/** The region holding both the loop at `loopEip` and the function at `fnEip`. */
function callRegion(seen: Region[], loopEip: number, fnEip: number): Region | undefined {
  return seen.find((r) => r.blocks.some((b) => b.eip === loopEip) && r.blocks.some((b) => b.eip === fnEip));
}

describe('regions through CALL and RET', () => {
  for (const paging of [false, true]) {
    it(`a loop calling a function five pages away runs in one region, the RET continuing inside it (paging ${paging ? 'on' : 'off'})`, () => {
      const { p, seen } = runWatched(CALL_FAR, paging ? (t) => withPaging(t) : () => {});
      const r = callRegion(seen, 0x1005, 0x6000);
      expect(r, 'a region with the loop and the callee').toBeDefined();
      // The RET was translated as a predicted transfer to the return site (0x100b), inside the function.
      expect(r!.source).toMatch(/if \(t === 4107 && ic0 <= ie - \d+ && !cpu\.intrDirty\) \{ ic0 \+= \d+; pc = \d+; continue; \}/);
      if (paging) expect(r!.span?.length).toBe(4); // two linear pages, checked at entry
      // 3000 iterations of 3 blocks: once the region exists, few dispatcher entries remain.
      expect(p.engine.stats.blocksRun).toBeLessThan(300);
    });
  }

  it('a RET to another address than the predicted one leaves the region at the right instruction', () => {
    // On every 7th call the callee adds 3 to its return address: the RET lands on `add ebx, eax`
    // (2:), past `add esp, 4`, the prediction fails and the ordinary exit is taken.
    const { p, seen } = runWatched(`
      mov ecx, 700
    1:
      push ecx
      call f
      add esp, 4
    2:
      add ebx, eax
      dec ecx
      jnz 1b
      hlt
      .org 0x3000, 0x90
    f:
      mov eax, [esp + 4]
      xor edx, edx
      mov esi, 7
      div esi
      test edx, edx
      jnz 3f
      add dword ptr [esp], 3
    3:
      shl eax, 1
      ret
    `);
    expect(callRegion(seen, 0x1005, 0x4000)).toBeDefined();
    // the skipped `add esp, 4` leaves ESP lower by 4 for every 7th call: the interpreter agrees
    expect(p.jit.cpu.regs[4]).toBe(p.interp.cpu.regs[4]);
  });

  const JMP_ESI = `
      mov ecx, 2000
      mov esi, offset 2f
      mov edi, offset 3f
    1:
      xchg esi, edi
      jmp esi
    2:
      add eax, 1
      jmp 4f
    3:
      add ebx, 2
    4:
      dec ecx
      jnz 1b
      hlt
    `;

  it('an indirect JMP through a register between two targets: inline, and continuing inside the region at both', () => {
    const { p, seen } = runWatched(JMP_ESI);
    const r = seen.find((x) => x.source.includes('t = r6;'));
    expect(r, 'a region with JMP ESI translated inline').toBeDefined();
    expect(r!.source.match(/if \(t === \d+ && ic0 <= ie - \d+ && !cpu\.intrDirty\)/g)?.length, 'both targets predicted').toBe(2);
    expect(p.engine.stats.blocksRun).toBeLessThan(400);
  });

  it('the same JMP run by its handler (ES not flat, so no inline transfers): the handler exit checks the predictions', () => {
    const { p, seen } = runWatched(JMP_ESI, (t) => {
      t.cpu.segBase[0] = 0x10000; // ES: the block's mode is not flat
    });
    const r = seen.find((x) => x.source.includes('if (xe === '));
    expect(r, 'a region whose handler-run JMP ESI checks its predicted targets').toBeDefined();
    expect(p.engine.stats.blocksRun).toBeLessThan(400);
  });

  it('CALL through a register and through memory, inline, with the return predicted', () => {
    const { p, seen } = runWatched(`
      mov ecx, 1500
      mov esi, offset f
      mov dword ptr [0x20000], offset g
    1:
      call esi
      call dword ptr [0x20000]
      dec ecx
      jnz 1b
      hlt
    f:
      add eax, ecx
      ret
    g:
      xor ebx, eax
      ret
    `);
    const r = seen.find((x) => x.source.includes('t = r6;') && /t = h >= 0 && \(l & 3\) === 0 \? M32/.test(x.source));
    expect(r, 'a region with both indirect CALLs inline').toBeDefined();
    expect(p.engine.stats.blocksRun).toBeLessThan(300);
  });

  it('CALL through memory that faults (#PF on the target read): ESP and EIP as the interpreter', () => {
    const { p } = runWatched(`
      mov ecx, 200
      mov dword ptr [0x20000], offset f
    1:
      mov esi, 0x20000
      cmp ecx, 7
      jne 2f
      mov esi, 0x50000
    2:
      call dword ptr [esi]
      dec ecx
      jnz 1b
      hlt
    f:
      ret
    `, (t) => withPaging(t, [0x50]));
    expect(p.interp.cpu.cr2, "the interpreter faulted").toBe(0x50000);
    expect(p.jit.cpu.cr2).toBe(0x50000);
  });

  it('the budget running out at a predicted RET: every run() stops where the interpreter does', () => {
    const p = pair(asm(CALL_FAR));
    p.interp.cpu.run(300);
    p.engine.run(300);
    for (const n of [1, 2, 3, 5, 7, 11, 13, 17, 64, 97]) {
      expect(p.engine.run(n)).toBe(p.interp.cpu.run(n));
      expectSame(p);
    }
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
  });

  it('self-modifying code in the callee drops the region and runs the new code', () => {
    check(`
      mov ecx, 500
    1:
      push ecx
      call f
      add esp, 4
      add ebx, eax
      cmp ecx, 250
      jne 2f
      mov byte ptr [f + 6], 3 /* shl eax, 2 -> shl eax, 3 */
    2:
      dec ecx
      jnz 1b
      hlt
      .org 0x2000, 0x90
    f:
      mov eax, [esp + 4]
      shl eax, 2
      ret
    `);
  });
});
