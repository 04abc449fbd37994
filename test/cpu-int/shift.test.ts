/**
 * Shifts and rotates against the SDM Vol. 2 pseudo-code run literally (one bit per loop
 * iteration), for every count 0-63 in CL (the CPU masks to 5 bits) over edge values at 8/16/32
 * bits. Compared: the result, CF (where defined), OF for 1-bit counts, SF/ZF/PF for shifts, and
 * "count 0 changes nothing". AF is undefined for shifts (masked); OF for counts > 1 is masked.
 */
import { describe, expect, it } from 'vitest';
import { AF, ARITH, asm, CF, edgeValues, flags, machine, OF, PF, run, setFlags, SF, szp, ZF } from './harness.js';

const regName = { 8: 'dl', 16: 'dx', 32: 'edx' } as const;

interface Out { res: number; cf: number; of: number; cfDefined: boolean; ofDefined: boolean; szp: boolean }

/** SDM pseudo-code of SAL/SHL/SHR/SAR/ROL/ROR/RCL/RCR for an n-bit DEST (unsigned), count, CF in. */
function sdm(op: string, dest: number, countIn: number, cfIn: number, n: number): Out {
  const m = 2 ** n;
  const msb = (v: number) => Math.floor(v / 2 ** (n - 1)) & 1;
  const count = countIn & 0x1f;
  let d = dest, cf = cfIn, of = 0;
  let cfDefined = true, ofDefined = count === 1, szpDef = false;
  if (op === 'shl' || op === 'shr' || op === 'sar') {
    let c = count;
    while (c !== 0) {
      if (op === 'shl') { cf = msb(d); d = (d * 2) % m; }
      else if (op === 'shr') { cf = d % 2; d = Math.floor(d / 2); }
      else { cf = d % 2; d = Math.floor(d / 2) + msb(d) * (m / 2); }
      c--;
    }
    if (count === 1) of = op === 'shl' ? msb(d) ^ cf : op === 'shr' ? msb(dest) : 0;
    if (op !== 'sar' && count >= n) cfDefined = false; // SDM: CF undefined when count >= size
    szpDef = count !== 0;
  } else if (op === 'rol' || op === 'ror') {
    let c = count % n;
    while (c !== 0) {
      if (op === 'rol') { const t = msb(d); d = (d * 2 + t) % m; } else { const t = d % 2; d = Math.floor(d / 2) + t * (m / 2); }
      c--;
    }
    if (count !== 0) cf = op === 'rol' ? d % 2 : msb(d);
    if (count === 1) of = op === 'rol' ? msb(d) ^ cf : msb(d) ^ (Math.floor(d / 2 ** (n - 2)) & 1);
  } else {
    let c = n === 8 ? count % 9 : n === 16 ? count % 17 : count;
    while (c !== 0) {
      if (op === 'rcl') { const t = msb(d); d = (d * 2 + cf) % m; cf = t; } else { const t = d % 2; d = Math.floor(d / 2) + cf * (m / 2); cf = t; }
      c--;
    }
    if (count === 1) of = op === 'rcl' ? msb(d) ^ cf : msb(d) ^ (Math.floor(d / 2 ** (n - 2)) & 1);
  }
  return { res: d, cf, of, cfDefined: cfDefined, ofDefined, szp: szpDef };
}

describe('shift/rotate by CL sweep vs SDM pseudo-code', () => {
  for (const op of ['shl', 'shr', 'sar', 'rol', 'ror', 'rcl', 'rcr']) {
    for (const n of [8, 16, 32] as const) {
      it(`${op} ${n}`, () => {
        const t = machine();
        const code = asm(`${op} ${regName[n]}, cl`);
        const m = 2 ** n;
        for (const x of edgeValues(n)) for (let c = 0; c < 64; c++) for (const cfIn of [0, 1]) {
          const before = cfIn ? ARITH : 0;
          t.cpu.regs[2] = (n === 32 ? x : 0x13570000 + x) | 0;
          t.cpu.regs[1] = 0x100 * 7 + c; // CH garbage, CL = count
          setFlags(t, before);
          run(t, code);
          const e = sdm(op, x, c, cfIn, n);
          const got = n === 32 ? t.cpu.regs[2] >>> 0 : t.cpu.regs[2] & (m - 1);
          const f = flags(t);
          const ctx = `${op}${n} x=${x.toString(16)} c=${c} cf=${cfIn}`;
          expect(got, ctx).toBe(e.res);
          if (n !== 32) expect(t.cpu.regs[2] >>> n, ctx).toBe(0x13570000 >>> n);
          if ((c & 0x1f) === 0) {
            expect(f, ctx + ' count 0 keeps flags').toBe(before);
            continue;
          }
          if (e.cfDefined) expect(f & CF, ctx + ' CF').toBe(e.cf);
          if (e.ofDefined) expect(f & OF, ctx + ' OF').toBe(e.of ? OF : 0);
          if (e.szp) expect(f & (SF | ZF | PF), ctx + ' SZP').toBe(szp(e.res, n));
          else expect(f & (SF | ZF | PF | AF), ctx + ' rotates keep SF ZF PF AF').toBe(before & (SF | ZF | PF | AF));
        }
      });
    }
  }
});

describe('shift forms', () => {
  it('D1 (by one) and C1 (imm8) forms, memory operand', () => {
    const t = machine();
    t.cpu.regs[0] = 0x40000001;
    run(t, asm('shl eax, 1'));
    expect(t.cpu.regs[0] >>> 0).toBe(0x80000002);
    expect(flags(t) & (CF | OF | SF)).toBe(OF | SF);
    t.phys.write32(0x20000, 0x80000000);
    run(t, asm('sar dword ptr [0x20000], 4'));
    expect(t.phys.read32(0x20000) >>> 0).toBe(0xf8000000);
    run(t, asm('rol dword ptr [0x20000], 8'));
    expect(t.phys.read32(0x20000) >>> 0).toBe(0xf8);
    expect(flags(t) & CF).toBe(0);
  });
});

/** SDM SHLD/SHRD pseudo-code, bit by bit; undefined (count > size) reported as null. */
function sdmDouble(op: 'shld' | 'shrd', dest: number, src: number, countIn: number, n: number): { res: number; cf: number; of: number } | null {
  const count = countIn & 0x1f;
  if (count > n) return null;
  const bit = (v: number, i: number) => Math.floor(v / 2 ** i) & 1;
  let res = 0;
  if (op === 'shld') {
    for (let i = n - 1; i >= count; i--) res += bit(dest, i - count) * 2 ** i;
    for (let i = count - 1; i >= 0; i--) res += bit(src, i - count + n) * 2 ** i;
    return { res, cf: bit(dest, n - count), of: bit(res, n - 1) ^ bit(dest, n - 1) };
  }
  for (let i = 0; i <= n - 1 - count; i++) res += bit(dest, i + count) * 2 ** i;
  for (let i = n - count; i <= n - 1; i++) res += bit(src, i + count - n) * 2 ** i;
  return { res, cf: bit(dest, count - 1), of: bit(res, n - 1) ^ bit(dest, n - 1) };
}

describe('SHLD/SHRD sweep vs SDM pseudo-code', () => {
  for (const op of ['shld', 'shrd'] as const) {
    for (const n of [16, 32] as const) {
      it(`${op} ${n}`, () => {
        const t = machine();
        const code = asm(n === 32 ? `${op} edx, ebx, cl` : `${op} dx, bx, cl`);
        const vals = edgeValues(n).filter((_, k) => k % 2 === 0);
        for (const d of vals) for (const s of vals) for (let c = 0; c < 40; c++) {
          t.cpu.regs[2] = d | 0;
          t.cpu.regs[3] = s | 0;
          t.cpu.regs[1] = c;
          setFlags(t, 0);
          run(t, code);
          const e = sdmDouble(op, d, s, c, n);
          const ctx = `${op}${n} d=${d.toString(16)} s=${s.toString(16)} c=${c}`;
          if ((c & 0x1f) === 0) {
            expect(t.cpu.regs[2] >>> 0, ctx).toBe(d);
            expect(flags(t), ctx).toBe(0);
            continue;
          }
          if (e === null) continue;
          const got = n === 32 ? t.cpu.regs[2] >>> 0 : t.cpu.regs[2] & 0xffff;
          expect(got, ctx).toBe(e.res);
          const f = flags(t);
          expect(f & CF, ctx).toBe(e.cf);
          expect(f & (SF | ZF | PF), ctx).toBe(szp(e.res, n));
          if ((c & 0x1f) === 1) expect(f & OF, ctx).toBe(e.of ? OF : 0);
        }
      });
    }
  }
});
