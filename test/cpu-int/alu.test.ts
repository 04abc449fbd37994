/**
 * ALU instructions against a reference model written from the SDM definitions (unbounded integer
 * arithmetic, AF from the nibble sum, OF from the operand signs), over edge-value operand pairs at
 * 8, 16 and 32 bits, through the real decoder. AF after AND/OR/XOR/TEST is undefined (masked).
 */
import { describe, expect, it } from 'vitest';
import { AF, ARITH, asm, CF, DATA, edgeValues, flags, machine, OF, rd32, run, setFlags, szp, wr32, ZF, SF, PF } from './harness.js';

type Ref = { res: number; f: number; mask: number; write: boolean };

function sgn(v: number, bits: number): number {
  return Math.floor(v / 2 ** (bits - 1)) & 1;
}

function ref(op: string, a: number, b: number, cin: number, bits: number): Ref {
  const m = 2 ** bits;
  let full: number, res: number, cf = 0, af = 0, of = 0;
  let mask = ARITH, write = true;
  switch (op) {
    case 'add': case 'adc': {
      const c = op === 'adc' ? cin : 0;
      full = a + b + c;
      res = full % m;
      cf = full >= m ? 1 : 0;
      af = (a % 16) + (b % 16) + c >= 16 ? 1 : 0;
      of = sgn(a, bits) === sgn(b, bits) && sgn(res, bits) !== sgn(a, bits) ? 1 : 0;
      break;
    }
    case 'sub': case 'sbb': case 'cmp': {
      const c = op === 'sbb' ? cin : 0;
      full = a - b - c;
      res = (full + 2 * m) % m;
      cf = a < b + c ? 1 : 0;
      af = a % 16 < (b % 16) + c ? 1 : 0;
      of = sgn(a, bits) !== sgn(b, bits) && sgn(res, bits) !== sgn(a, bits) ? 1 : 0;
      write = op !== 'cmp';
      break;
    }
    case 'and': case 'test': res = (a & b) >>> 0; mask &= ~AF; write = op !== 'test'; break;
    case 'or': res = (a | b) >>> 0; mask &= ~AF; break;
    case 'xor': res = (a ^ b) >>> 0; mask &= ~AF; break;
    default: throw new Error(op);
  }
  res %= m;
  return { res, f: (cf ? CF : 0) | (af ? AF : 0) | (of ? OF : 0) | szp(res, bits), mask, write };
}

const regs = { 8: ['al', 'bl'], 16: ['ax', 'bx'], 32: ['eax', 'ebx'] } as const;

describe('ALU reg,reg sweep vs SDM reference', () => {
  for (const op of ['add', 'adc', 'sub', 'sbb', 'cmp', 'and', 'or', 'xor', 'test']) {
    for (const bits of [8, 16, 32] as const) {
      it(`${op} ${bits}`, () => {
        const t = machine();
        const code = asm(`${op} ${regs[bits][0]}, ${regs[bits][1]}`);
        const vals = edgeValues(bits);
        const m = 2 ** bits;
        let n = 0;
        for (const a of vals) for (const b of vals) for (const cin of [0, 1]) {
          const a0 = bits === 32 ? a : (0xdead0000 & ~(m - 1)) + a; // bits above the operand must survive
          t.cpu.regs[0] = a0 | 0;
          t.cpu.regs[3] = (bits === 32 ? b : 0x5a5a0000 + (b % m)) | 0;
          setFlags(t, cin ? ARITH : 0); // all six set with the carry in, all clear without
          expect(run(t, code)).toBe(-1);
          const r = ref(op, a, b, cin, bits);
          const exp = r.write ? (bits === 32 ? r.res : (a0 - a + r.res)) : a0;
          if ((t.cpu.regs[0] >>> 0) !== (exp >>> 0) || (flags(t) & r.mask) !== (r.f & r.mask)) {
            throw new Error(`${op}${bits} a=${a.toString(16)} b=${b.toString(16)} cin=${cin}: eax=${(t.cpu.regs[0] >>> 0).toString(16)} want ${(exp >>> 0).toString(16)} flags=${flags(t).toString(16)} want ${r.f.toString(16)} mask ${r.mask.toString(16)}`);
          }
          n++;
        }
        expect(n).toBe(vals.length * vals.length * 2);
      });
    }
  }
});

describe('INC DEC NEG NOT sweep', () => {
  for (const bits of [8, 16, 32] as const) {
    const r = regs[bits][0];
    it(`inc/dec/neg/not ${bits}`, () => {
      const t = machine();
      const m = 2 ** bits, half = m / 2;
      for (const op of ['inc', 'dec', 'neg', 'not']) {
        const code = asm(`${op} ${r}`);
        for (const a of edgeValues(bits)) for (const cin of [0, 1]) {
          t.cpu.regs[0] = (bits === 32 ? a : 0x77770000 + a) | 0;
          setFlags(t, cin ? ARITH : 0);
          run(t, code);
          let res: number, f: number;
          if (op === 'inc') {
            res = (a + 1) % m;
            f = cin | (a === half - 1 ? OF : 0) | (a % 16 === 15 ? AF : 0) | szp(res, bits);
          } else if (op === 'dec') {
            res = (a - 1 + m) % m;
            f = cin | (a === half ? OF : 0) | (a % 16 === 0 ? AF : 0) | szp(res, bits);
          } else if (op === 'neg') {
            res = (m - a) % m;
            f = (a !== 0 ? CF : 0) | (a === half ? OF : 0) | (a % 16 !== 0 ? AF : 0) | szp(res, bits);
          } else {
            res = m - 1 - a;
            f = cin ? ARITH : 0; // NOT changes no flags
          }
          const got = bits === 32 ? t.cpu.regs[0] >>> 0 : t.cpu.regs[0] & (m - 1);
          expect([op, a, cin, got, flags(t)]).toEqual([op, a, cin, res, f]);
          if (bits !== 32) expect(t.cpu.regs[0] >>> bits).toBe(0x77770000 >>> bits);
        }
      }
    });
  }
});

describe('ALU operand forms', () => {
  it('memory destination read-modify-write', () => {
    const t = machine();
    wr32(t, DATA, 0x7fffffff);
    t.cpu.regs[3] = DATA;
    t.cpu.regs[1] = 1;
    run(t, asm('add [ebx], ecx'));
    expect(rd32(t, DATA) >>> 0).toBe(0x80000000);
    expect(flags(t)).toBe(OF | SF | AF | PF);
  });

  it('83 /0 sign-extends imm8; 80 /5 byte; 81 /7 imm32 compare', () => {
    const t = machine();
    t.cpu.regs[0] = 10;
    run(t, asm('add eax, -3'));
    expect(t.cpu.regs[0]).toBe(7);
    expect(flags(t) & CF).toBe(CF); // 10 + 0xfffffffd carries
    wr32(t, DATA, 0x1234);
    run(t, asm(`sub byte ptr [${DATA}], 0x35`));
    expect(rd32(t, DATA)).toBe(0x12ff);
    expect(flags(t)).toBe(CF | SF | PF | AF);
    t.cpu.regs[2] = 0x12345678;
    run(t, asm('cmp edx, 0x12345678'));
    expect(flags(t)).toBe(ZF | PF);
    expect(t.cpu.regs[2]).toBe(0x12345678);
  });

  it('register source from memory, high byte registers', () => {
    const t = machine();
    wr32(t, DATA + 4, 0x80);
    t.cpu.regs[0] = 0x00007f00; // AH = 0x7f
    t.cpu.regs[6] = DATA;
    run(t, asm('add ah, [esi+4]'));
    expect(t.cpu.regs[0]).toBe(0xff00);
    expect(flags(t)).toBe(SF | PF);
    t.cpu.regs[3] = 0x0100; // BH = 1
    run(t, asm('sub ah, bh'));
    expect(t.cpu.regs[0]).toBe(0xfe00);
  });

  it('ADC/SBB chains propagate the carry through 64-bit arithmetic', () => {
    const t = machine();
    // 0x00000001_ffffffff + 0x00000000_00000001 = 0x00000002_00000000
    t.cpu.regs[0] = -1; t.cpu.regs[2] = 1; t.cpu.regs[3] = 1; t.cpu.regs[1] = 0;
    run(t, asm('add eax, ebx\nadc edx, ecx'));
    expect([t.cpu.regs[0], t.cpu.regs[2]]).toEqual([0, 2]);
    // and back: 0x2_00000000 - 1 = 0x1_ffffffff
    run(t, asm('sub eax, ebx\nsbb edx, ecx'));
    expect([t.cpu.regs[0], t.cpu.regs[2]]).toEqual([-1, 1]);
    expect(flags(t) & CF).toBe(0);
  });

  it('INC/DEC keep a CF produced lazily by an earlier instruction', () => {
    const t = machine();
    t.cpu.regs[0] = -1; t.cpu.regs[3] = 1;
    run(t, asm('add eax, ebx\ninc ecx\ndec edx\ninc edx'));
    expect(flags(t) & CF).toBe(CF);
  });
});
