/**
 * MUL/IMUL/DIV/IDIV against BigInt arithmetic (the SDM's definitions: full-width products,
 * truncating division, #DE when the divisor is 0 or the quotient does not fit). Flags after MUL/IMUL:
 * only CF/OF are defined; after DIV/IDIV none are.
 */
import { describe, expect, it } from 'vitest';
import { asm, CF, edgeValues, flags, machine, OF, run, setFlags } from './harness.js';

const sx = (v: bigint, bits: number) => BigInt.asIntN(bits, v);
const ux = (v: bigint, bits: number) => BigInt.asUintN(bits, v);
const regsOf = (t: ReturnType<typeof machine>) => ({ eax: BigInt(t.cpu.regs[0] >>> 0), edx: BigInt(t.cpu.regs[2] >>> 0) });

describe('MUL/IMUL one-operand', () => {
  for (const n of [8, 16, 32] as const) {
    for (const op of ['mul', 'imul']) {
      it(`${op} ${n}`, () => {
        const t = machine();
        const code = asm(`${op} ${n === 8 ? 'bl' : n === 16 ? 'bx' : 'ebx'}`);
        const vals = edgeValues(n);
        for (const a of vals) for (const b of vals) {
          t.cpu.regs[0] = (n === 32 ? a : 0x11110000 + a) | 0;
          t.cpu.regs[2] = 0x22222222;
          t.cpu.regs[3] = b | 0;
          run(t, code);
          const A = BigInt(a), B = BigInt(b);
          const p = op === 'mul' ? A * B : sx(A, n) * sx(B, n);
          const lo = ux(p, n), hi = ux(p >> BigInt(n), n);
          const big = op === 'mul' ? hi !== 0n : sx(lo, n) !== p;
          const r = regsOf(t);
          const ctx = `${op}${n} ${a} ${b}`;
          if (n === 8) {
            expect(r.eax, ctx).toBe(0x11110000n + ux(p, 16));
            expect(r.edx, ctx).toBe(0x22222222n);
          } else if (n === 16) {
            expect(r.eax, ctx).toBe(0x11110000n + lo);
            expect(r.edx, ctx).toBe(0x22220000n + hi);
          } else {
            expect([r.eax, r.edx], ctx).toEqual([lo, hi]);
          }
          expect(flags(t) & (CF | OF), ctx).toBe(big ? CF | OF : 0);
        }
      });
    }
  }
});

describe('IMUL two- and three-operand', () => {
  for (const n of [16, 32] as const) {
    it(`imul r, r/m and r, r/m, imm at ${n}`, () => {
      const t = machine();
      const two = asm(n === 32 ? 'imul ecx, ebx' : 'imul cx, bx');
      const three = asm(n === 32 ? 'imul ecx, ebx, -7' : 'imul cx, bx, 300');
      const imm = n === 32 ? -7n : 300n;
      const vals = edgeValues(n);
      for (const a of vals) for (const b of vals) {
        t.cpu.regs[1] = (n === 32 ? a : 0x33330000 + a) | 0;
        t.cpu.regs[3] = b | 0;
        run(t, two);
        let p = sx(BigInt(a), n) * sx(BigInt(b), n);
        expect(BigInt(t.cpu.regs[1] >>> 0), `${a}*${b}`).toBe((n === 32 ? 0n : 0x33330000n) + ux(p, n));
        expect(flags(t) & (CF | OF)).toBe(sx(p, n) !== p ? CF | OF : 0);
        run(t, three);
        p = sx(BigInt(b), n) * imm;
        expect(BigInt(t.cpu.regs[1] >>> 0), `${b}*imm`).toBe((n === 32 ? 0n : 0x33330000n) + ux(p, n));
        expect(flags(t) & (CF | OF)).toBe(sx(p, n) !== p ? CF | OF : 0);
      }
    });
  }
});

describe('DIV/IDIV', () => {
  for (const n of [8, 16, 32] as const) {
    for (const op of ['div', 'idiv']) {
      it(`${op} ${n}`, () => {
        const t = machine();
        const code = asm(`${op} ${n === 8 ? 'bl' : n === 16 ? 'bx' : 'ebx'}`);
        const vals = edgeValues(n);
        const his = n === 8 ? [0] : edgeValues(n).filter((_, k) => k % 3 === 0);
        for (const lo of edgeValues(n === 8 ? 16 : n)) for (const hi of his) for (const d of vals) {
          const eax0 = (n === 32 ? lo : n === 16 ? 0x44440000 + lo : 0x44440000 + (lo & 0xffff)) | 0;
          const edx0 = (n === 32 ? hi : 0x55550000 + hi) | 0;
          t.cpu.regs[0] = eax0;
          t.cpu.regs[2] = edx0;
          t.cpu.regs[3] = d | 0;
          setFlags(t, 0);
          const v = run(t, code);
          const dividend = n === 8 ? BigInt(lo & 0xffff) : (BigInt(hi) << BigInt(n)) + BigInt(lo);
          const N = op === 'div' ? dividend : sx(dividend, 2 * n);
          const D = op === 'div' ? BigInt(d) : sx(BigInt(d), n);
          const ctx = `${op}${n} ${dividend}/${D}`;
          let fault = D === 0n;
          let q = 0n, r = 0n;
          if (!fault) {
            q = N / D; // BigInt division truncates toward zero, as IDIV does
            r = N - q * D;
            fault = op === 'div' ? q >= 1n << BigInt(n) : q >= 1n << BigInt(n - 1) || q < -(1n << BigInt(n - 1));
          }
          if (fault) {
            expect(v, ctx).toBe(0);
            expect([t.cpu.regs[0], t.cpu.regs[2], t.cpu.eip], ctx).toEqual([eax0, edx0, 0x1000]);
            continue;
          }
          expect(v, ctx).toBe(-1);
          const R = regsOf(t);
          if (n === 8) expect(R.eax & 0xffffn, ctx).toBe((ux(r, 8) << 8n) | ux(q, 8));
          else if (n === 16) expect([R.eax & 0xffffn, R.edx & 0xffffn], ctx).toEqual([ux(q, 16), ux(r, 16)]);
          else expect([R.eax, R.edx], ctx).toEqual([ux(q, 32), ux(r, 32)]);
        }
      });
    }
  }

  it('IDIV 0x80000000_00000000 / -1 style overflows raise #DE', () => {
    const t = machine();
    t.cpu.regs[0] = 0; t.cpu.regs[2] = -0x80000000; t.cpu.regs[3] = -1;
    expect(run(t, asm('idiv ebx'))).toBe(0);
    t.cpu.regs[0] = -0x80000000; t.cpu.regs[2] = -1; t.cpu.regs[3] = -1;
    expect(run(t, asm('idiv ebx'))).toBe(0);
    // -2^31 / 1 fits
    t.cpu.regs[0] = -0x80000000; t.cpu.regs[2] = -1; t.cpu.regs[3] = 1;
    expect(run(t, asm('idiv ebx'))).toBe(-1);
    expect([t.cpu.regs[0], t.cpu.regs[2]]).toEqual([-0x80000000, 0]);
  });
});
