import { describe, expect, it } from 'vitest';
import { asm, machine, run, flags, ZF, CF } from './harness.js';

describe('smoke', () => {
  it('runs add', () => {
    const t = machine();
    t.cpu.regs[0] = 5;
    expect(run(t, asm('add eax, 3\nsub eax, 8'))).toBe(-1);
    expect(t.cpu.regs[0]).toBe(0);
    expect(flags(t) & (ZF | CF)).toBe(ZF);
  });
});
