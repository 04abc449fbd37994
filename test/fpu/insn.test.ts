// x87 instructions run through the decoder and the interpreter on assembled code.
import { describe, expect, it } from 'vitest';
import { getEflags } from '../../src/cpu/flags.js';
import { bitsOf, DATA, FpuMachine, fromBits, runCode } from './harness.js';

const at = (o: number): string => `[${DATA + o}]`;

/** Run a binary operation on two doubles under control word `cw`; returns the double result. */
function binop(op: string, a: number, b: number, cw = 0x27f): { r: number; sw: number } {
  const t = new FpuMachine();
  t.writeF64(DATA, a);
  t.writeF64(DATA + 8, b);
  t.view.setUint16(DATA + 24, cw, true);
  expect(runCode(t, `fldcw word ptr ${at(24)}\nfld qword ptr ${at(0)}\n${op} qword ptr ${at(8)}\nfnstsw word ptr ${at(28)}\nfstp qword ptr ${at(16)}`)).toBe(-1);
  return { r: t.readF64(DATA + 16), sw: t.u16(DATA + 28) };
}

describe('arithmetic under double precision control', () => {
  it('is bit-exact with IEEE double + - * / (random operands)', () => {
    let seed = 99;
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed;
    };
    const t = new FpuMachine();
    const code = `fldcw word ptr ${at(24)}
      fld qword ptr ${at(0)}\nfadd qword ptr ${at(8)}\nfstp qword ptr ${at(32)}
      fld qword ptr ${at(0)}\nfsub qword ptr ${at(8)}\nfstp qword ptr ${at(40)}
      fld qword ptr ${at(0)}\nfmul qword ptr ${at(8)}\nfstp qword ptr ${at(48)}
      fld qword ptr ${at(0)}\nfdiv qword ptr ${at(8)}\nfstp qword ptr ${at(56)}
      fld qword ptr ${at(0)}\nfabs\nfsqrt\nfstp qword ptr ${at(64)}`;
    for (let n = 0; n < 400; n++) {
      const a = fromBits((BigInt(rnd() & 0x3fffffff | 0x30000000) << 32n) | BigInt(rnd())) * (rnd() & 1 ? -1 : 1);
      const b = fromBits((BigInt(rnd() & 0x3fffffff | 0x30000000) << 32n) | BigInt(rnd()));
      t.writeF64(DATA, a);
      t.writeF64(DATA + 8, b);
      t.view.setUint16(DATA + 24, 0x27f, true);
      expect(runCode(t, code)).toBe(-1);
      expect(t.readF64(DATA + 32)).toBe(a + b);
      expect(t.readF64(DATA + 40)).toBe(a - b);
      expect(t.readF64(DATA + 48)).toBe(a * b);
      expect(t.readF64(DATA + 56)).toBe(a / b);
      expect(t.readF64(DATA + 64)).toBe(Math.sqrt(Math.abs(a)));
    }
  });
  it('honours the rounding control (1/3: nearest is below the exact value)', () => {
    expect(bitsOf(binop('fdiv', 1, 3, 0x27f).r)).toBe(0x3fd5555555555555n);
    expect(bitsOf(binop('fdiv', 1, 3, 0xa7f).r)).toBe(0x3fd5555555555556n); // RC = up
    expect(bitsOf(binop('fdiv', 1, 3, 0x67f).r)).toBe(0x3fd5555555555555n); // RC = down
    expect(bitsOf(binop('fdiv', -1, 3, 0x67f).r)).toBe(0xbfd5555555555556n);
    expect(bitsOf(binop('fdiv', -1, 3, 0xe7f).r)).toBe(0xbfd5555555555555n); // chop
  });
  it('single precision control rounds to 24 bits', () => {
    expect(binop('fdiv', 1, 3, 0x07f).r).toBe(Math.fround(1 / 3));
    expect(binop('fmul', 1 + 2 ** -30, 1 + 2 ** -30, 0x07f).r).toBe(1);
  });
  it('sets PE and C1 (rounded up) for inexact results, nothing for exact ones', () => {
    expect(binop('fdiv', 2, 3, 0x27f).sw & 0x20).toBe(0x20);
    const exact = binop('fadd', 1, 2, 0x27f);
    expect(exact.sw & 0x220).toBe(0);
    // 1/3 in double is below 1/3: rounded down, C1 = 0
    expect(binop('fdiv', 1, 3, 0x27f).sw & 0x200).toBe(0);
    // 1/3 rounded up: C1 = 1
    expect(binop('fdiv', 1, 3, 0xa7f).sw & 0x200).toBe(0x200);
  });
  it('invalid operations give the real indefinite and IE; x/0 gives ZE and infinity', () => {
    const inv = binop('fmul', 0, Infinity);
    expect(bitsOf(inv.r)).toBe(0xfff8000000000000n);
    expect(inv.sw & 1).toBe(1);
    const z = binop('fdiv', -5, 0);
    expect(z.r).toBe(-Infinity);
    expect(z.sw & 4).toBe(4);
    const sub = binop('fsub', Infinity, Infinity);
    expect(bitsOf(sub.r)).toBe(0xfff8000000000000n);
  });
  it('propagates NaN payloads (QNaN operand; SNaN is quieted and raises IE)', () => {
    const q = binop('fadd', 1, fromBits(0x7ff8000000000123n));
    expect(bitsOf(q.r)).toBe(0x7ff8000000000123n);
    expect(q.sw & 1).toBe(0);
    const s = binop('fadd', 1, fromBits(0x7ff0000000000123n));
    expect(bitsOf(s.r)).toBe(0x7ff8000000000123n);
    expect(s.sw & 1).toBe(1);
    // two QNaNs: the larger significand wins
    const two = binop('fadd', fromBits(0xfff8000000000001n), fromBits(0x7ff8000000000002n));
    expect(bitsOf(two.r)).toBe(0x7ff8000000000002n);
  });
  it('register forms in Intel order: fsub st(1), st / fsubr / fdivp', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, 10);
    t.writeF64(DATA + 8, 4);
    // st0 = 4, st1 = 10; DC E9 = fsub st(1),st(0): st1 = 10 - 4
    runCode(t, `fld qword ptr ${at(0)}\nfld qword ptr ${at(8)}\n.byte 0xdc, 0xe9\nfstp qword ptr ${at(16)}\nfstp qword ptr ${at(24)}`);
    expect(t.readF64(DATA + 16)).toBe(4);
    expect(t.readF64(DATA + 24)).toBe(6);
    // DE F9 = fdivp st(1),st(0): st1 = st1 / st0, pop
    runCode(t, `fld qword ptr ${at(0)}\nfld qword ptr ${at(8)}\n.byte 0xde, 0xf9\nfstp qword ptr ${at(16)}`);
    expect(t.readF64(DATA + 16)).toBe(2.5);
    // D8 E9 = fsubr st(0),st(1): st0 = st1 - st0
    runCode(t, `fld qword ptr ${at(0)}\nfld qword ptr ${at(8)}\n.byte 0xd8, 0xe9\nfstp qword ptr ${at(16)}\nfstp st(0)`);
    expect(t.readF64(DATA + 16)).toBe(6);
    expect(t.cpu.fpu.tag).toBe(0xffff);
  });
  it('integer operands (fiadd/fimul/fidivr)', () => {
    const t = new FpuMachine();
    t.view.setInt32(DATA, -7, true);
    t.view.setInt16(DATA + 4, 3, true);
    t.writeF64(DATA + 8, 0.5);
    runCode(t, `fld qword ptr ${at(8)}\nfiadd dword ptr ${at(0)}\nfimul word ptr ${at(4)}\nfidivr word ptr ${at(4)}\nfstp qword ptr ${at(16)}`);
    expect(t.readF64(DATA + 16)).toBe(3 / ((0.5 - 7) * 3));
  });
});

describe('loads and stores', () => {
  it('FLD m80 / FSTP m80 round-trips every pattern bit for bit', () => {
    const t = new FpuMachine();
    const patterns: [number, bigint][] = [
      [0x4000, 0xc90fdaa22168c235n], // pi (64 bits)
      [0x0000, 0x0000000000000001n], // smallest denormal
      [0x0000, 0x8000000000000001n], // pseudo-denormal
      [0x3fff, 0x7fffffffffffffffn], // unnormal
      [0x7fff, 0x8000000000000001n], // SNaN
      [0xffff, 0xc000000000000000n], // indefinite
      [0x7ffe, 0xffffffffffffffffn], // largest
      [0x7fff, 0x0000000000000000n], // pseudo-infinity
      [0x8000, 0n], // -0
    ];
    for (const [se, m] of patterns) {
      t.writeF80(DATA, se, m);
      expect(runCode(t, `fld tbyte ptr ${at(0)}\nfld st(0)\nfxch\nfstp tbyte ptr ${at(16)}\nfstp tbyte ptr ${at(32)}`)).toBe(-1);
      expect(t.readF80(DATA + 16)).toEqual([se, m]);
      expect(t.readF80(DATA + 32)).toEqual([se, m]);
    }
  });
  it('FST m64 / m32 round the exact 80-bit value with RC', () => {
    const t = new FpuMachine();
    // 1 + 2^-53 + 2^-63: just above the halfway point between 1 and 1 + 2^-52
    t.writeF80(DATA, 0x3fff, 0x8000000000000401n);
    runCode(t, `fld tbyte ptr ${at(0)}\nfst qword ptr ${at(16)}\nfstp dword ptr ${at(24)}`);
    expect(t.readF64(DATA + 16)).toBe(1 + 2 ** -52);
    expect(t.view.getFloat32(DATA + 24, true)).toBe(1);
    expect(t.sw() & 0x20).toBe(0x20);
    // float32 overflow: OE, infinity
    t.writeF64(DATA, 1e300);
    runCode(t, `fninit\nfld qword ptr ${at(0)}\nfstp dword ptr ${at(24)}`);
    expect(t.view.getFloat32(DATA + 24, true)).toBe(Infinity);
    expect(t.sw() & 0x28).toBe(0x28);
    // float32 underflow: denormal result, UE + PE
    t.writeF64(DATA, 1.5 * 2 ** -149 + 2 ** -170);
    runCode(t, `fninit\nfld qword ptr ${at(0)}\nfstp dword ptr ${at(24)}`);
    expect(t.view.getUint32(DATA + 24, true)).toBe(2);
    expect(t.sw() & 0x30).toBe(0x30);
  });
  it('FLD m32 denormal sets DE; SNaN is quieted with IE', () => {
    const t = new FpuMachine();
    t.view.setUint32(DATA, 1, true);
    runCode(t, `fld dword ptr ${at(0)}\nfstp qword ptr ${at(8)}`);
    expect(t.readF64(DATA + 8)).toBe(2 ** -149);
    expect(t.sw() & 2).toBe(2);
    t.view.setUint32(DATA, 0x7f800001, true);
    runCode(t, `fninit\nfld dword ptr ${at(0)}\nfstp dword ptr ${at(8)}`);
    expect(t.view.getUint32(DATA + 8, true)).toBe(0x7fc00001);
    expect(t.sw() & 1).toBe(1);
  });
  it('FILD/FISTP int64 are exact beyond 2^53', () => {
    const t = new FpuMachine();
    for (const v of [0x7fffffffffffffffn, -0x8000000000000000n, 0x123456789abcdef1n, -3n]) {
      t.writeU64(DATA, v);
      runCode(t, `fild qword ptr ${at(0)}\nfistp qword ptr ${at(8)}`);
      expect(BigInt.asIntN(64, t.readU64(DATA + 8))).toBe(v);
    }
  });
  it('FIST rounds with RC and stores the integer indefinite on overflow', () => {
    const t = new FpuMachine();
    const fist = (v: number, cw: number, size: 'word' | 'dword'): [number, number] => {
      t.writeF64(DATA, v);
      t.view.setUint16(DATA + 16, cw, true);
      runCode(t, `fninit\nfldcw word ptr ${at(16)}\nfld qword ptr ${at(0)}\nfistp ${size} ptr ${at(8)}`);
      return [size === 'word' ? t.view.getInt16(DATA + 8, true) : t.view.getInt32(DATA + 8, true), t.sw()];
    };
    expect(fist(2.5, 0x37f, 'dword')[0]).toBe(2);
    expect(fist(-2.5, 0x37f, 'dword')[0]).toBe(-2);
    expect(fist(2.5, 0xb7f, 'dword')[0]).toBe(3); // up
    expect(fist(-2.5, 0x77f, 'dword')[0]).toBe(-3); // down
    expect(fist(-2.9, 0xf7f, 'dword')[0]).toBe(-2); // chop
    const [v, sw] = fist(40000, 0x37f, 'word');
    expect(v).toBe(-32768);
    expect(sw & 1).toBe(1);
    expect(fist(-32768, 0x37f, 'word')).toEqual([-32768, 0]);
    expect(fist(2 ** 31, 0x37f, 'dword')[0]).toBe(-(2 ** 31));
    expect(fist(NaN, 0x37f, 'dword')[0]).toBe(-(2 ** 31));
  });
  it('FBLD/FBSTP', () => {
    const t = new FpuMachine();
    // -987654321098765432
    t.writeU64(DATA, 0x7654321098765432n);
    t.view.setUint16(DATA + 8, 0x8098, true);
    runCode(t, `fbld tbyte ptr ${at(0)}\nfld st(0)\nfistp qword ptr ${at(16)}\nfbstp tbyte ptr ${at(32)}`);
    expect(BigInt.asIntN(64, t.readU64(DATA + 16))).toBe(-987654321098765432n);
    expect(t.readF80(DATA + 32)).toEqual([0x8098, 0x7654321098765432n]);
    t.writeF64(DATA, 1234.5);
    runCode(t, `fld qword ptr ${at(0)}\nfbstp tbyte ptr ${at(32)}`);
    expect(t.readF80(DATA + 32)).toEqual([0, 0x1234n]); // nearest even
    t.writeF64(DATA, 1e18);
    runCode(t, `fninit\nfld qword ptr ${at(0)}\nfbstp tbyte ptr ${at(32)}`);
    expect(t.readF80(DATA + 32)).toEqual([0xffff, 0xc000000000000000n]);
  });
  it('constants are rounded by RC', () => {
    const t = new FpuMachine();
    runCode(t, `fldpi\nfstp tbyte ptr ${at(0)}\nfldl2t\nfstp tbyte ptr ${at(16)}`);
    expect(t.readF80(DATA)).toEqual([0x4000, 0xc90fdaa22168c235n]);
    expect(t.readF80(DATA + 16)).toEqual([0x4000, 0xd49a784bcd1b8afen]);
    t.view.setUint16(DATA + 32, 0x77f, true); // RC = down
    runCode(t, `fldcw word ptr ${at(32)}\nfldpi\nfstp tbyte ptr ${at(0)}\nfldpi\nfstp qword ptr ${at(48)}`);
    expect(t.readF80(DATA)).toEqual([0x4000, 0xc90fdaa22168c234n]);
    expect(t.readF64(DATA + 48)).toBe(Math.PI); // Math.PI is pi rounded down
  });
});

describe('stack faults', () => {
  it('overflow: IE + SF + C1, ST(0) = indefinite', () => {
    const t = new FpuMachine();
    runCode(t, `${'fld1\n'.repeat(9)}fstp qword ptr ${at(0)}`);
    expect(bitsOf(t.readF64(DATA))).toBe(0xfff8000000000000n);
    // after the 9th load, SW had IE|SF|C1; the store cleared C1
    expect(t.sw() & 0x41).toBe(0x41);
  });
  it('underflow: IE + SF, C1 = 0, indefinite result', () => {
    const t = new FpuMachine();
    runCode(t, `fld1\nfadd st(0), st(3)\nfstp qword ptr ${at(0)}`);
    expect(bitsOf(t.readF64(DATA))).toBe(0xfff8000000000000n);
    expect(t.sw() & 0x241).toBe(0x41);
  });
});

describe('compares', () => {
  const cmp = (a: number, b: number, insn: string): number => {
    const t = new FpuMachine();
    t.writeF64(DATA, a);
    t.writeF64(DATA + 8, b);
    runCode(t, `fld qword ptr ${at(8)}\nfld qword ptr ${at(0)}\n${insn}\nfnstsw ax`);
    return insn.includes('comi') ? getEflags(t.cpu) & 0x45 : t.cpu.regs[0] & 0x4500;
  };
  it('FCOM / FUCOM condition codes', () => {
    expect(cmp(1, 2, 'fcom st(1)')).toBe(0x100);
    expect(cmp(2, 1, 'fcom st(1)')).toBe(0);
    expect(cmp(2, 2, 'fcom st(1)')).toBe(0x4000);
    expect(cmp(NaN, 2, 'fucom st(1)')).toBe(0x4500);
    expect(cmp(-0, 0, 'fcom st(1)')).toBe(0x4000);
  });
  it('FCOMI / FUCOMI set ZF PF CF', () => {
    expect(cmp(1, 2, 'fcomi st, st(1)')).toBe(1);
    expect(cmp(2, 1, 'fcomi st, st(1)')).toBe(0);
    expect(cmp(2, 2, 'fucomi st, st(1)')).toBe(0x40);
    expect(cmp(NaN, 2, 'fucomi st, st(1)')).toBe(0x45);
  });
  it('FCOM raises IE for QNaN, FUCOM does not', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, NaN);
    runCode(t, `fld qword ptr ${at(0)}\nfucom st(0)\nfnstsw ax`);
    expect(t.cpu.regs[0] & 1).toBe(0);
    runCode(t, `fcom st(0)\nfnstsw ax`);
    expect(t.cpu.regs[0] & 1).toBe(1);
  });
  it('compares raw 80-bit values exactly', () => {
    const t = new FpuMachine();
    t.writeF80(DATA, 0x3fff, 0x8000000000000001n); // 1 + 2^-63: rounds to the double 1
    t.writeF64(DATA + 16, 1);
    runCode(t, `fld qword ptr ${at(16)}\nfld tbyte ptr ${at(0)}\nfcomi st, st(1)`);
    expect(getEflags(t.cpu) & 0x45).toBe(0); // greater
  });
  it('FXAM classes and FTST', () => {
    const xam = (src: string): number => {
      const t = new FpuMachine();
      runCode(t, `${src}\nfxam\nfnstsw ax`);
      return t.cpu.regs[0] & 0x4700;
    };
    expect(xam('')).toBe(0x4100); // empty
    expect(xam('fldz')).toBe(0x4000);
    expect(xam('fldz\nfchs')).toBe(0x4200);
    expect(xam('fld1')).toBe(0x400);
    expect(xam('fld1\nfchs')).toBe(0x600);
    const t = new FpuMachine();
    t.writeF80(DATA, 0x0000, 1n);
    runCode(t, `fld tbyte ptr ${at(0)}\nfxam\nfnstsw ax`);
    expect(t.cpu.regs[0] & 0x4700).toBe(0x4400); // denormal
    runCode(t, `fninit\nfld1\nfchs\nftst\nfnstsw ax`);
    expect(t.cpu.regs[0] & 0x4500).toBe(0x100);
  });
});

describe('functions', () => {
  const un = (insn: string, x: number, extra = ''): number => {
    const t = new FpuMachine();
    t.writeF64(DATA, x);
    runCode(t, `${extra}fld qword ptr ${at(0)}\n${insn}\nfstp qword ptr ${at(8)}`);
    return t.readF64(DATA + 8);
  };
  it('FRNDINT by RC, FXTRACT, FSCALE, FABS, FCHS', () => {
    expect(un('frndint', 2.5)).toBe(2);
    expect(un('frndint', 3.5)).toBe(4);
    expect(Object.is(un('frndint', -0.25), -0)).toBe(true);
    expect(un('fxtract', 12)).toBe(1.5);
    expect(un('fxtract\nfstp st(0)', 12)).toBe(3);
    expect(un('fscale\nfstp st(1)', 3, 'fld1\nfld1\nfaddp\n')).toBe(12); // 3 * 2^2
    expect(un('fabs', -3)).toBe(3);
    expect(un('fchs', 3)).toBe(-3);
  });
  it('FPREM / FPREM1 remainders and quotient bits', () => {
    const t = new FpuMachine();
    const prem = (insn: string, a: number, b: number): [number, number] => {
      t.writeF64(DATA, a);
      t.writeF64(DATA + 8, b);
      runCode(t, `fninit\nfld qword ptr ${at(8)}\nfld qword ptr ${at(0)}\n${insn}\nfnstsw ax\nfstp qword ptr ${at(16)}`);
      const sw = t.cpu.regs[0];
      const q = ((sw >> 8) & 1) << 2 | ((sw >> 14) & 1) << 1 | ((sw >> 9) & 1);
      return [t.readF64(DATA + 16), q];
    };
    expect(prem('fprem', 17, 5)).toEqual([2, 3]);
    expect(prem('fprem', -17, 5)).toEqual([-2, 3]);
    expect(prem('fprem1', 17, 5)).toEqual([2, 3]);
    expect(prem('fprem1', 18, 5)).toEqual([-2, 4]);
    expect(prem('fprem', 1e300, 3)[0]).not.toBe(1e300 % 3); // partial (C2 = 1) first
    // loop until complete
    t.writeF64(DATA, 1e300);
    t.writeF64(DATA + 8, 3);
    runCode(t, `fninit\nfld qword ptr ${at(8)}\nfld qword ptr ${at(0)}\n1: fprem\nfnstsw ax\ntest ah, 4\njnz 1b\nfstp qword ptr ${at(16)}`);
    expect(t.readF64(DATA + 16)).toBe(1e300 % 3);
  });
  it('transcendental functions close to Math', () => {
    expect(un('fsin', 0.5)).toBeCloseTo(Math.sin(0.5), 15);
    expect(un('fcos', 0.5)).toBeCloseTo(Math.cos(0.5), 15);
    expect(un('fptan\nfstp st(0)', 0.5)).toBeCloseTo(Math.tan(0.5), 15);
    expect(un('fsincos\nfstp st(0)', 0.5)).toBeCloseTo(Math.sin(0.5), 15);
    expect(un('fld1\nfpatan', 1)).toBeCloseTo(Math.PI / 4, 15);
    expect(un('f2xm1', 0.5)).toBeCloseTo(Math.SQRT2 - 1, 15);
    expect(un('fld1\nfxch\nfyl2x', 8)).toBe(3);
    expect(un('fsin', 2 ** 64)).toBe(2 ** 64); // out of range: unchanged, C2 = 1
  });
});

describe('control and state images', () => {
  it('FNSTCW/FLDCW and FNSTSW', () => {
    const t = new FpuMachine();
    t.view.setUint16(DATA, 0, true);
    runCode(t, `fldcw word ptr ${at(0)}\nfnstcw word ptr ${at(2)}\nfld1\nfnstsw word ptr ${at(4)}`);
    expect(t.u16(DATA + 2)).toBe(0x40);
    expect(t.u16(DATA + 4)).toBe(0x3800); // TOP = 7
  });
  it('FNSAVE / FRSTOR: 108-byte layout, FNINIT after save, exact restore', () => {
    const t = new FpuMachine();
    t.writeF80(DATA + 512, 0x3fff, 0x8000000000000001n);
    runCode(t, `fld1\nfld tbyte ptr ${at(512)}\nfnsave ${at(0)}`);
    expect(t.u32(DATA) >>> 0).toBe(0xffff037f);
    expect(t.u16(DATA + 4)).toBe(6 << 11); // TOP = 6
    // tag word: physical 6 valid (non-raw 1.0 is tag 0 in 7; raw value in 6 is valid)
    expect(t.u16(DATA + 8)).toBe(0x0fff);
    expect(t.u32(DATA + 12)).toBe(0x1002); // FIP: the fld tbyte (after fld1 = d9 e8)
    expect(t.u32(DATA + 16)).toBe(0x08 | (0x32d << 16)); // FCS, FOP = db /5 modrm 2d
    expect(t.u32(DATA + 20)).toBe(DATA + 512); // FDP
    expect(t.readF80(DATA + 28)).toEqual([0x3fff, 0x8000000000000001n]);
    expect(t.readF80(DATA + 38)).toEqual([0x3fff, 0x8000000000000000n]);
    expect(t.cpu.fpu.tag).toBe(0xffff);
    runCode(t, `frstor ${at(0)}\nfstp tbyte ptr ${at(256)}\nfstp tbyte ptr ${at(272)}`);
    expect(t.readF80(DATA + 256)).toEqual([0x3fff, 0x8000000000000001n]);
    expect(t.readF80(DATA + 272)).toEqual([0x3fff, 0x8000000000000000n]);
  });
  it('FNSTENV 16-bit layout and FLDENV', () => {
    const t = new FpuMachine();
    runCode(t, `fld1\n.byte 0x66\nfnstenv ${at(0)}`);
    expect(t.u16(DATA)).toBe(0x37f);
    expect(t.u16(DATA + 2)).toBe(7 << 11);
    expect(t.u16(DATA + 4)).toBe(0x3fff);
    expect(t.cpu.fpu.cw & 0x3f).toBe(0x3f);
    t.view.setUint16(DATA, 0x27f, true);
    runCode(t, `.byte 0x66\nfldenv ${at(0)}`);
    expect(t.cpu.fpu.cw).toBe(0x27f);
    expect(t.cpu.fpu.top).toBe(7);
  });
  it('FNSTENV real-mode layout: 20-bit linear pointers and the opcode (SDM Vol. 1 Figure 8-10)', () => {
    const t = new FpuMachine();
    t.cpu.cr0 &= ~1; // real mode (the segment caches stay flat; CS selector 08h)
    runCode(t, `fld1\nfnstenv ${at(0)}`);
    const lin = (0x08 << 4) + 0x1000; // fld1 at CS:1000h
    expect(t.u32(DATA + 12) >>> 0).toBe((0xffff0000 | (lin & 0xffff)) >>> 0);
    expect(t.u32(DATA + 16)).toBe(((lin >>> 16) << 12) | 0x1e8); // FOP of d9 e8
    // and back: FLDENV in real mode restores the same image
    runCode(t, `fldenv ${at(0)}\nfnstenv ${at(64)}`);
    expect(t.u32(DATA + 64 + 12)).toBe(t.u32(DATA + 12));
    expect(t.u32(DATA + 64 + 16)).toBe(t.u32(DATA + 16));
  });
  it('FXSAVE / FXRSTOR: abridged tag, registers in 16-byte slots, alignment', () => {
    const t = new FpuMachine();
    runCode(t, `fld1\nfldz\nfxsave ${at(0)}`);
    expect(t.u16(DATA)).toBe(0x37f);
    expect(t.u16(DATA + 2)).toBe(6 << 11);
    expect(t.phys.u8[DATA + 4]).toBe(0xc0);
    expect(t.u32(DATA + 24)).toBe(0x1f80);
    expect(t.readF80(DATA + 32)).toEqual([0, 0n]);
    expect(t.readF80(DATA + 48)).toEqual([0x3fff, 0x8000000000000000n]);
    runCode(t, `fninit\nfxrstor ${at(0)}\nfstp qword ptr ${at(512)}\nfstp qword ptr ${at(520)}`);
    expect(t.readF64(DATA + 512)).toBe(0);
    expect(t.readF64(DATA + 520)).toBe(1);
    expect(t.cpu.fpu.tag).toBe(0xffff);
    expect(runCode(t, `fxsave ${at(8)}`)).toBe(13);
  });
});

describe('#NM and #MF', () => {
  it('#NM with CR0.TS or CR0.EM; WAIT only with TS and MP', () => {
    const t = new FpuMachine();
    t.cpu.cr0 |= 8; // TS
    expect(runCode(t, 'fld1')).toBe(7);
    expect(runCode(t, 'fwait')).toBe(7);
    t.cpu.cr0 &= ~2; // MP off
    expect(runCode(t, 'fwait')).toBe(-1);
    t.cpu.cr0 = (t.cpu.cr0 & ~8) | 4; // EM
    expect(runCode(t, 'fninit')).toBe(7);
  });
  it('unmasked exception: destination kept, #MF at the next waiting instruction (NE = 1)', () => {
    const t = new FpuMachine();
    t.view.setUint16(DATA, 0x37b, true); // ZM clear
    expect(runCode(t, `fldcw word ptr ${at(0)}\nfld1\nfldz\nfdivp st(1), st\nfnstsw ax`)).toBe(-1);
    expect(t.cpu.regs[0] & 0x8084).toBe(0x8084); // B, ES, ZE
    expect(t.cpu.fpu.top).toBe(6); // no pop on the unmasked exception
    const code = 'fld1';
    expect(runCode(t, code)).toBe(16);
    expect(runCode(t, 'fnclex\nfld1')).toBe(-1);
  });
  it('with CR0.NE = 0 the error is signalled on FERR#', () => {
    const t = new FpuMachine();
    const events: boolean[] = [];
    t.cpu.fpu.ferr = (a) => events.push(a);
    t.cpu.cr0 &= ~0x20;
    t.view.setUint16(DATA, 0x37b, true);
    expect(runCode(t, `fldcw word ptr ${at(0)}\nfld1\nfldz\nfdiv st(1), st\nfld1\nfnclex`)).toBe(-1);
    expect(events).toEqual([true, false]);
  });
});

describe('FCMOVcc and FXCH', () => {
  it('moves on the EFLAGS condition', () => {
    const t = new FpuMachine();
    runCode(t, `fldz\nfld1\nstc\nfcmovb st, st(1)\nfstp qword ptr ${at(0)}\nfld1\nclc\nfcmovb st, st(1)\nfstp qword ptr ${at(8)}`);
    expect(t.readF64(DATA)).toBe(0);
    expect(t.readF64(DATA + 8)).toBe(1);
  });
  it('FXCH swaps values and tags', () => {
    const t = new FpuMachine();
    runCode(t, `fldz\nfld1\nfxch st(1)\nfstp qword ptr ${at(0)}\nfstp qword ptr ${at(8)}`);
    expect(t.readF64(DATA)).toBe(0);
    expect(t.readF64(DATA + 8)).toBe(1);
  });
});

