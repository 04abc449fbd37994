/**
 * PUSHF as a template (sem/stack.ts): the image pushed from translated code carries the flags kept
 * in the JIT's locals; virtual-8086 mode with IOPL < 3 raises #GP(0) before anything changes (SDM
 * Vol. 3 §20.2.7).
 */
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/frontend/decoder.js';
import { Insn } from '../../src/frontend/insn.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { bindHandler } from '../../src/cpu/sem/interp-gen.js';
import { FAULT } from '../../src/cpu/fault.js';
import { machine } from '../cpu-int/harness.js';
import { check } from './helpers.js';
import '../../src/cpu/cpu.js';

describe('PUSHF', () => {
  it('pushes the flags of the instructions before it, at both operand sizes, from translated code', () => {
    const p = check(`
      mov ecx, 40
    1:
      add eax, 0x7fffffff
      pushfd
      sub ebx, ecx
      pushf
      std
      pushfd
      cld
      inc edx
      pushfd
      pop esi
      pop edi
      pop ebp
      pop bp
      xor eax, esi
      dec ecx
      jnz 1b
      hlt
    `, () => {}, 0);
    let seen = 0;
    for (const b of p.engine.blocks()) {
      if (b.fn === null) continue;
      b.insns.forEach((i, k) => {
        if (i.mn !== Mn.PUSHF) return;
        seen++;
        expect(b.inlined[k], 'PUSHF inline').toBe(1);
      });
    }
    expect(seen).toBeGreaterThanOrEqual(4);
  });

  it('#GP(0) in virtual-8086 mode with IOPL < 3, ESP unchanged', () => {
    const t = machine();
    const insn = new Insn();
    decode(insn, { fetch8: (a: number) => [0x9c][a] ?? 0x90 }, 0, true);
    t.cpu.eflags |= 1 << 17; // VM, IOPL 0
    const esp = t.cpu.regs[4];
    let thrown: unknown = null;
    try {
      bindHandler(insn)(t.cpu, insn);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBe(FAULT);
    expect([t.cpu.excVector, t.cpu.excHasCode, t.cpu.excCode]).toEqual([13, true, 0]);
    expect(t.cpu.regs[4]).toBe(esp);
  });
});
