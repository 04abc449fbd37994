/**
 * The SSE subset in both execution modes: the same code runs under Cpu.run (the interpreter) and
 * the JIT (test/jit/helpers.ts), and CPU state, XMM registers, MXCSR and memory must be identical;
 * faults (#GP on a misaligned MOVAPS, #PF on a store crossing into an absent page) stop at the
 * IDT's HLT stub with the same state in both.
 */
import { describe, expect, it } from 'vitest';
import { asm, DATA, expectSame, expectSourcesValid, pair, runBoth, withPaging } from '../jit/helpers.js';
import type { TestMachine } from '../cpu-int/harness.js';

const OSFXSR = 1 << 9;

function sse(t: TestMachine): void {
  t.cpu.cr4 |= OSFXSR;
  for (let k = 0; k < 64; k++) t.phys.write32(DATA + 4 * k, Math.imul(k + 1, 0x9e3779b9));
}

function check(src: string, setup: (t: TestMachine) => void = sse): ReturnType<typeof pair> {
  const p = pair(asm(src), setup);
  const n = runBoth(p);
  expect(n.jit).toBe(n.interp);
  expectSame(p);
  expect(Array.from(p.jit.cpu.sse.xmm)).toEqual(Array.from(p.interp.cpu.sse.xmm));
  expect(p.jit.cpu.fpu.mxcsr).toBe(p.interp.cpu.fpu.mxcsr);
  expectSourcesValid(p);
  return p;
}

describe('SSE subset: JIT vs interpreter', () => {
  it('a loop of moves, MOVD/MOVQ and PXOR', () => {
    const p = check(`
      mov ecx, 20
    1:
      movdqa xmm0, [${DATA}]
      movdqu xmm1, [${DATA + 0x13}]
      pxor xmm0, xmm1
      movups [${DATA + 0x101}], xmm0
      movaps xmm2, xmm0
      movd eax, xmm2
      add [${DATA + 0x200}], eax
      movq xmm3, [${DATA + 0x40}]
      movq [${DATA + 0x208}], xmm3
      stmxcsr [${DATA + 0x210}]
      dec ecx
      jnz 1b
      hlt`);
    expect(p.jit.cpu.halted).toBe(true);
    expect(p.engine.stats.blocksRun).toBeGreaterThan(0);
    expect(p.jit.phys.read32(DATA + 0x210)).toBe(p.jit.cpu.fpu.mxcsr);
  });

  it('#GP(0) on a misaligned MOVAPS and #UD without CR4.OSFXSR stop at the same instruction', () => {
    let p = check(`
      mov ecx, 3
    1:
      movaps xmm1, [${DATA}]
      movups [${DATA + 0x40}], xmm1
      add dword ptr [${DATA + 0x300}], 1
      dec ecx
      jnz 1b
      movaps xmm2, [${DATA + 8}]
      hlt`);
    expect(p.jit.cpu.excVector).toBe(13);
    p = check(`movdqa xmm0, [${DATA}]\nhlt`, () => {});
    expect(p.jit.cpu.excVector).toBe(6);
  });

  it('a MOVUPS store crossing into an absent page faults with nothing written', () => {
    const p = check(`
      movdqa xmm4, [${DATA}]
      movups [${DATA + 0xff8}], xmm4
      hlt`, (t) => { sse(t); withPaging(t, [(DATA >>> 12) + 1]); });
    expect(p.jit.cpu.excVector).toBe(14);
    expect(p.jit.cpu.cr2 >>> 0).toBe(DATA + 0x1000);
    expect(p.jit.phys.read32(DATA + 0xff8)).toBe(0); // the first page, mapped, stays as it was
    expect(p.jit.phys.read32(DATA + 0xffc)).toBe(0);
    expect(p.jit.cpu.sse.xmm[16]).not.toBe(0); // xmm4 did hold data to store
  });
});
