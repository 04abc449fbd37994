/**
 * Lazy flags (src/cpu/flags.ts): the condition tests that read operands directly (after CMP/SUB and
 * after logical ops) must agree with the conditions evaluated on the materialised EFLAGS (SDM Vol. 1
 * Appendix B), for every condition code and every kind of pending result; PUSHF/POPF round trips.
 */
import { describe, expect, it } from 'vitest';
import { foldCF, getEflags, setCF, setCfOf, setEflags, testCC } from '../../src/cpu/flags.js';
import { asm, edgeValues, machine, run } from './harness.js';

/** Condition cc from an EFLAGS value, straight from the SDM's table. */
function ccFromEflags(f: number, cc: number): boolean {
  const CF = f & 1, PF = (f >> 2) & 1, ZF = (f >> 6) & 1, SF = (f >> 7) & 1, OF = (f >> 11) & 1;
  const base = [OF === 1, CF === 1, ZF === 1, CF === 1 || ZF === 1, SF === 1, PF === 1, SF !== OF, ZF === 1 || SF !== OF][cc >> 1];
  return (cc & 1) === 0 ? base : !base;
}

describe('testCC on pending lazy results equals testCC on materialised EFLAGS', () => {
  const ops = ['cmp', 'sub', 'add', 'adc', 'sbb', 'and', 'xor', 'inc', 'dec', 'neg', 'shl', 'sar', 'imul'];
  for (const bits of [8, 16, 32] as const) {
    it(`${bits}-bit results`, () => {
      const t = machine();
      const [ra, rb] = bits === 8 ? ['al', 'bl'] : bits === 16 ? ['ax', 'bx'] : ['eax', 'ebx'];
      const code = ops.map((op) => asm(['inc', 'dec', 'neg'].includes(op) ? `${op} ${ra}` : op === 'shl' || op === 'sar' ? `${op} ${ra}, cl` : op === 'imul' ? `imul ${bits === 8 ? 'bl' : bits === 16 ? 'bx, bx' : 'ebx, ebx'}` : `${op} ${ra}, ${rb}`));
      const vals = edgeValues(bits).filter((_, k) => k % 2 === 0);
      let checked = 0;
      for (let o = 0; o < ops.length; o++) for (const a of vals) for (const b of vals) {
        t.cpu.regs[0] = a | 0; t.cpu.regs[3] = b | 0; t.cpu.regs[1] = b & 0x1f;
        setEflags(t.cpu, (a & 1) | 2);
        run(t, code[o]);
        const lazy: boolean[] = [];
        for (let cc = 0; cc < 16; cc++) lazy.push(testCC(t.cpu, cc));
        const f = getEflags(t.cpu); // materialises
        for (let cc = 0; cc < 16; cc++) {
          if (lazy[cc] !== ccFromEflags(f, cc) || testCC(t.cpu, cc) !== lazy[cc]) throw new Error(`${ops[o]}${bits} a=${a} b=${b} cc=${cc}`);
          checked++;
        }
      }
      expect(checked).toBe(ops.length * vals.length * vals.length * 16);
    });
  }
});

describe('setCF / setCfOf keep the other flags of every pending kind', () => {
  it('equal to materialising and then changing CF (and OF)', () => {
    const t = machine();
    // POPFD loads the flags with TF clear (0xed5): a single-step trap after it is not what this tests.
    const ops = ['add eax, ebx', 'sub eax, ebx', 'adc eax, ebx', 'sbb eax, ebx', 'and eax, ebx', 'inc eax', 'dec eax', 'shl eax, 1', 'popfd'];
    const vals = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x0f, 0x10];
    let n = 0;
    for (const op of ops) {
      const code = asm(op === 'popfd' ? 'push ebx\npopfd' : op);
      for (const a of vals) for (const b of vals) for (const cf of [0, 1]) for (const of of [0, 1]) {
        for (const which of ['cf', 'cfof']) {
          t.cpu.regs[0] = a | 0; t.cpu.regs[3] = (op === 'popfd' ? (b & 0xed5) : b) | 0;
          setEflags(t.cpu, 2 | ((a ^ b) & 1));
          run(t, code);
          const before = getEflags(t.cpu);
          t.cpu.regs[0] = a | 0; t.cpu.regs[3] = (op === 'popfd' ? (b & 0xed5) : b) | 0;
          setEflags(t.cpu, 2 | ((a ^ b) & 1));
          run(t, code); // the same result, still lazy
          if (which === 'cf') setCF(t.cpu, cf); else setCfOf(t.cpu, cf, of);
          const want = which === 'cf' ? (before & ~1) | cf : (before & ~0x801) | cf | (of << 11);
          if (getEflags(t.cpu) !== want) throw new Error(`${op} a=${a} b=${b} ${which} cf=${cf} of=${of}: ${getEflags(t.cpu).toString(16)} want ${want.toString(16)}`);
          n++;
        }
      }
    }
    expect(n).toBe(ops.length * vals.length * vals.length * 8);
  });
});

describe('foldCF', () => {
  it('puts CF in eflags bit 0 and keeps every flag, also after ADC/SBB (whose bit 0 is the carry-in)', () => {
    const t = machine();
    for (const op of ['adc eax, ebx', 'sbb eax, ebx', 'add eax, ebx', 'sub eax, ebx', 'and eax, ebx', 'inc eax']) {
      for (const [a, b, cin] of [[-1, 0, 1], [0, 0, 1], [5, 7, 0], [0x7fffffff, 1, 1], [0, -1, 0]]) {
        const code = asm(op);
        const once = (): void => {
          t.cpu.regs[0] = a; t.cpu.regs[3] = b;
          setEflags(t.cpu, 2 | cin);
          run(t, code);
        };
        once();
        const want = getEflags(t.cpu); // materialised
        once(); // the same result, lazy again
        foldCF(t.cpu);
        expect([op, a, b, t.cpu.eflags & 1]).toEqual([op, a, b, want & 1]);
        expect(getEflags(t.cpu)).toBe(want);
      }
    }
  });
});

describe('EFLAGS image', () => {
  it('PUSHFD after a lazy op shows the computed flags with bit 1 set; POPFD restores them', () => {
    const t = machine();
    t.cpu.regs[0] = 0x7f; t.cpu.regs[3] = 1;
    run(t, asm('add al, bl\npushfd\nmov ecx, [esp]\nxor eax, eax\npopfd'));
    expect(t.cpu.regs[1]).toBe(0x800 | 0x80 | 0x10 | 0x2); // OF SF AF, PF clear (0x80 has one bit)
    expect(getEflags(t.cpu) & 0x8d5).toBe(0x800 | 0x80 | 0x10);
  });

  it('setEflags drops undefined bits and keeps bit 1', () => {
    const t = machine();
    setEflags(t.cpu, -1);
    expect(getEflags(t.cpu) >>> 0).toBe(0x3f7fd7);
  });
});
