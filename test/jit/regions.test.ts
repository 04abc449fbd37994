/**
 * Regions (README.md "Regions"): the translated blocks of one physical page in one function with
 * its own dispatch loop. Interpreter vs JIT with regions built after a few dispatcher entries
 * (helpers.ts REGION_THRESHOLD): loops across blocks, a fault in a later block of a region, an
 * interrupt pending while in a region, a store into another block of the running region, and the
 * instruction budget running out in the middle of a region.
 */
import { describe, expect, it } from 'vitest';
import { asm, DATA, expectSame, pair, runBoth, STUB, withPaging, useRegions, check } from './helpers.js';

// Regions after a few dispatcher entries, so these tests also run region code.
useRegions();

/** A loop of four blocks in one page (if/else inside). */
const MULTI_BLOCK_LOOP = `
  mov ecx, 3000
1:
  test ecx, 1
  jz 2f
  add eax, ecx
  jmp 3f
2:
  sub ebx, ecx
  rol edx, 3
3:
  xor edx, eax
  dec ecx
  jnz 1b
  hlt
`;

describe('regions', () => {
  it('a loop over several blocks of one page runs inside one region function', () => {
    const p = check(MULTI_BLOCK_LOOP);
    expect(p.engine.stats.regionsBuilt).toBeGreaterThan(0);
    expect(p.sources.some((s) => s.includes('function region(') && s.includes('switch (pc)'))).toBe(true);
    // Once the region exists the loop stays in it: far fewer dispatcher entries than iterations.
    expect(p.engine.stats.blocksRun).toBeLessThan(3000);
  });

  it('blocks entered from another block of the region read the flags it left from the locals (LG/LT), in every kind', () => {
    // Label 2 is reached after ADD or after CMP (two kinds), so its Jcc and the INC after it (CF
    // kept) find flags of a kind not known when translating; SBB/ADC chains the same way.
    const p = check(`
      mov ecx, 3000
    1:
      add eax, ecx
      test ecx, 3
      jz 2f
      cmp ebx, eax
    2:
      jb 3f
      inc esi
      adc edx, 0
    3:
      sbb edi, ebx
      dec ecx
      jnz 1b
      hlt
    `);
    const region = p.sources.filter((x) => x.includes('function region('));
    expect(region.length).toBeGreaterThan(0);
    expect(region.some((x) => /LT\(cpu, 2, fo, fa, fb, fr, fx\)/.test(x)), 'JB from the locals').toBe(true);
    expect(region.some((x) => x.includes('LG[0](cpu, fo, fa, fb, fr, fx)')), "INC's kept CF from the locals").toBe(true);
    // ... and no flush of the locals into cpu.lf inside the loop for them
    expect(region.every((x) => !/if \(fo >= 0\) FL\(cpu, fo, fa, fb, fr, fx\); fo = -1;/.test(x))).toBe(true);
  });

  it('a #PF in the second block of a region: registers, EIP, icount and CR2 as the interpreter', () => {
    const p = check(`
      mov ecx, 50
      mov esi, 0x20000
    1:
      add eax, ecx
      cmp ecx, 7
      jne 2f
      mov esi, 0x50010
    2:
      inc edi
      mov ebx, [esi]
      add ebx, ecx
      dec ecx
      jnz 1b
      hlt
    `, (t) => withPaging(t, [0x50]));
    expect(p.engine.stats.regionsBuilt).toBeGreaterThan(0);
    expect(p.jit.cpu.cr2).toBe(0x50010);
    expect(p.jit.cpu.eip).toBe(STUB + 14 + 1);
  });

  it('#DE from a handler call in a later block of a region', () => {
    const p = check(`
      mov ecx, 40
    1:
      mov eax, 1000
      cmp ecx, 5
      jne 2f
      mov dword ptr [0x20000], 0
    2:
      mov edx, 0
      div dword ptr [0x20000]
      add ebx, eax
      dec ecx
      jnz 1b
      hlt
    `, (t) => t.phys.write32(DATA, 3));
    expect(p.jit.cpu.eip).toBe(STUB + 0 + 1);
  });

  it('an interrupt pending while IF=0 in a region is taken right after STI (shadow included)', () => {
    const p = pair(asm(MULTI_BLOCK_LOOP.replace('mov ecx, 3000', 'cli\n  mov ecx, 3000').replace('  hlt', '  sti\n  inc esi\n  inc esi\n  hlt')));
    p.interp.cpu.run(1500);
    p.engine.run(1500);
    expectSame(p);
    p.interp.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x12 };
    p.jit.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x12 };
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
    expect(p.jit.cpu.eip).toBe(STUB + 0x12 + 1);
  });

  it('an interrupt raised between run() calls is delivered at the same instruction', () => {
    const p = pair(asm(`sti\n${MULTI_BLOCK_LOOP}`));
    for (let i = 0; i < 20; i++) {
      expect(p.engine.run(101)).toBe(p.interp.cpu.run(101));
      expectSame(p);
    }
    p.interp.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x13 };
    p.jit.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x13 };
    expect(p.engine.run(10)).toBe(p.interp.cpu.run(10));
    expectSame(p);
  });

  it('a store into another block of the running region (the region is dropped and rebuilt)', () => {
    const p = check(`
      mov ecx, 400
    1:
      mov dword ptr [4f + 1], ecx
      test ecx, 3
      jz 3f
    2:
      add ebx, 1
      jmp 5f
    3:
      add edx, 2
    4:
      mov eax, 0x11111111
      add esi, eax
    5:
      dec ecx
      jnz 1b
      hlt
    `);
    expect(p.engine.stats.invalidations).toBeGreaterThan(0);
    expect(p.engine.stats.regionsDropped).toBeGreaterThan(0);
  });

  it('the budget runs out in the middle of a region: every run() stops where the interpreter does', () => {
    const p = pair(asm(MULTI_BLOCK_LOOP));
    p.interp.cpu.run(200);
    p.engine.run(200);
    for (const n of [1, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 64, 97]) {
      expect(p.engine.run(n)).toBe(p.interp.cpu.run(n));
      expectSame(p);
    }
    expect(p.engine.stats.regionsBuilt).toBeGreaterThan(0);
    const n = runBoth(p);
    expect(n.jit).toBe(n.interp);
    expectSame(p);
  });
});
