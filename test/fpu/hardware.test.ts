// x87 behaviour pinned to reference values: results recorded from the development host's own x87
// (an AMD EPYC, x87 code run natively under gcc -m32 by a probe), or derived exactly with BigInt.
import { describe, expect, it } from 'vitest';
import { DATA, FpuMachine, runCode } from './harness.js';

const at = (o: number): string => `[${DATA + o}]`;

/** Round a positive BigInt significand product to `bits` bits, nearest-even; returns [mant, shift]. */
function roundBits(v: bigint, bits: number): [bigint, number] {
  let len = v.toString(2).length;
  const drop = len - bits;
  if (drop <= 0) return [v, 0];
  let q = v >> BigInt(drop);
  const rem = v - (q << BigInt(drop));
  const half = 1n << BigInt(drop - 1);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  if (q.toString(2).length > bits) {
    q >>= 1n;
    len += 1;
  }
  return [q, drop];
}

describe('precision control', () => {
  it('extended: 1/3 rounds to 64 bits (host: 3ffd:aaaaaaaaaaaaaaab, C1 = 1)', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, 3);
    runCode(t, `fld1\nfdiv qword ptr ${at(0)}\nfnstsw word ptr ${at(32)}\nfstp tbyte ptr ${at(16)}`);
    expect(t.readF80(DATA + 16)).toEqual([0x3ffd, 0xaaaaaaaaaaaaaaabn]);
    expect(t.u16(DATA + 32) & 0x220).toBe(0x220);
  });
  it('extended: sums keep 64 bits (1 + 2^-60)', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, 2 ** -60);
    runCode(t, `fld1\nfadd qword ptr ${at(0)}\nfstp tbyte ptr ${at(16)}`);
    expect(t.readF80(DATA + 16)).toEqual([0x3fff, 0x8000000000000008n]); // 2^63 + 2^3
  });
  it('extended: directed rounding just below a power of two (host: c00e:ffffffffffffffff)', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, 2 ** -800);
    t.view.setInt32(DATA + 8, 65536, true);
    t.view.setUint16(DATA + 12, 0xb7f, true); // RC = up
    runCode(t, `fldcw word ptr ${at(12)}\nfld qword ptr ${at(0)}\nfisub dword ptr ${at(8)}\nfnstsw word ptr ${at(32)}\nfstp tbyte ptr ${at(16)}`);
    expect(t.readF80(DATA + 16)).toEqual([0xc00e, 0xffffffffffffffffn]);
    expect(t.u16(DATA + 32) & 0x20).toBe(0x20);
  });
  it('double: FLDPI squared is rounded once from the 64-bit pi', () => {
    const t = new FpuMachine();
    t.view.setUint16(DATA, 0x27f, true);
    runCode(t, `fldcw word ptr ${at(0)}\nfldpi\nfmul st, st(0)\nfstp tbyte ptr ${at(16)}`);
    const pi = 0xc90fdaa22168c235n;
    const [m] = roundBits(pi * pi, 53); // pi^2 is about 9.87: exponent 3
    const [se, mant] = t.readF80(DATA + 16);
    expect(se).toBe(0x4002);
    expect(mant).toBe(m << 11n);
  });
  it('double: products beyond the double range keep the x87 exponent', () => {
    const t = new FpuMachine();
    t.view.setUint16(DATA, 0x27f, true);
    t.writeF64(DATA + 8, 2 ** 1000);
    runCode(t, `fldcw word ptr ${at(0)}\nfld qword ptr ${at(8)}\nfmul st, st(0)\nfld st(0)\nfstp tbyte ptr ${at(16)}\nfdiv qword ptr ${at(8)}\nfstp qword ptr ${at(32)}`);
    expect(t.readF80(DATA + 16)).toEqual([0x3fff + 2000, 0x8000000000000000n]);
    expect(t.readF64(DATA + 32)).toBe(2 ** 1000);
    expect(t.sw() & 0x08).toBe(0); // no overflow: 2^2000 is a valid register value
  });
});

describe('functions as the host computes them', () => {
  it('FSIN/FCOS/FPTAN reduce with the x87 66-bit pi (host values rounded to 53 bits)', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, 1e9);
    runCode(t, `fld qword ptr ${at(0)}\nfsin\nfstp tbyte ptr ${at(16)}\nfld qword ptr ${at(0)}\nfcos\nfstp tbyte ptr ${at(32)}\nfld qword ptr ${at(0)}\nfptan\nfstp st(0)\nfstp tbyte ptr ${at(48)}`);
    // host: sin 3ffe:8bbc65741f647991, cos 3ffe:d67fc639b14bcf40, tan 3ffe:a6c5924f20e15f4a
    expect(t.readF80(DATA + 16)).toEqual([0x3ffe, 0x8bbc65741f647800n]);
    expect(t.readF80(DATA + 32)).toEqual([0x3ffe, 0xd67fc639b14bd000n]);
    expect(t.readF80(DATA + 48)).toEqual([0x3ffe, 0xa6c5924f20e16000n]);
  });
  it('FSCALE below the float80 normal range gives the host denormal', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, -16400);
    t.writeF64(DATA + 8, 1.75);
    runCode(t, `fld qword ptr ${at(0)}\nfld qword ptr ${at(8)}\nfscale\nfstp tbyte ptr ${at(16)}`);
    expect(t.readF80(DATA + 16)).toEqual([0, 0x0000380000000000n]);
    t.writeF64(DATA, -16446);
    runCode(t, `fninit\nfld qword ptr ${at(0)}\nfld qword ptr ${at(8)}\nfscale\nfnstsw word ptr ${at(40)}\nfstp tbyte ptr ${at(16)}`);
    expect(t.readF80(DATA + 16)).toEqual([0, 1n]);
    expect(t.u16(DATA + 40) & 0x230).toBe(0x230); // UE, PE, C1 (host sw 3230)
  });
  it('FPREM partial remainders (C2) loop to the exact remainder', () => {
    const t = new FpuMachine();
    t.writeF80(DATA, 0x4100, 0x8000000000000001n);
    t.writeF80(DATA + 16, 0x3fff, 0xc000000000000001n);
    runCode(t, `fld tbyte ptr ${at(16)}\nfld tbyte ptr ${at(0)}\nfprem\nfnstsw word ptr ${at(48)}\n1: fprem\nfnstsw ax\ntest ah, 4\njnz 1b\nfstp tbyte ptr ${at(32)}`);
    expect(t.u16(DATA + 48) & 0x4700).toBe(0x0400); // host: sw 3400 after the first step
    const a = 0x8000000000000001n << BigInt(0x4100 - 0x3fff);
    const b = 0xc000000000000001n;
    const r = a % b; // both scaled by 2^-63: remainder in units of 2^-63
    const [se, mant] = t.readF80(DATA + 32);
    const len = r.toString(2).length;
    expect(mant).toBe(r << BigInt(64 - len));
    expect(se).toBe(0x3fff - 63 + len - 1);
  });
  it('F2XM1 and FYL2XP1 outside their domains return x (host)', () => {
    const t = new FpuMachine();
    t.writeF64(DATA, 3);
    t.writeF64(DATA + 8, -2);
    runCode(t, `fld qword ptr ${at(0)}\nf2xm1\nfstp qword ptr ${at(16)}\nfld qword ptr ${at(0)}\nfld qword ptr ${at(8)}\nfyl2xp1\nfstp qword ptr ${at(24)}`);
    expect(t.readF64(DATA + 16)).toBe(3);
    expect(t.readF64(DATA + 24)).toBe(-2);
  });
});

describe('status and tag details', () => {
  it('FCMOVcc with an empty source loads the indefinite even when the condition is false', () => {
    const t = new FpuMachine();
    runCode(t, `fld1\nclc\nfcmovb st, st(3)\nfstp qword ptr ${at(0)}`);
    expect(t.view.getBigUint64(DATA, true)).toBe(0xfff8000000000000n);
  });
  it('C1 after stack overflow: FFREE clears it, FCOMI and FCMOVcc keep it', () => {
    const nine = 'fld1\n'.repeat(9);
    const run = (insn: string): number => {
      const t = new FpuMachine();
      runCode(t, `${nine}${insn}`);
      return t.sw() & 0x200;
    };
    expect(run('ffree st(3)')).toBe(0);
    expect(run('fcomi st, st(1)')).toBe(0x200);
    expect(run('stc\nfcmovb st, st(1)')).toBe(0x200);
  });
  it('FLD of a denormal double with #D unmasked still loads (host)', () => {
    const t = new FpuMachine();
    t.view.setBigUint64(DATA, 1n, true);
    t.view.setUint16(DATA + 16, 0x37d, true);
    t.cpu.cr0 &= ~0x20; // report through FERR#, no #MF
    runCode(t, `fldcw word ptr ${at(16)}\nfld qword ptr ${at(0)}\nfnstsw word ptr ${at(24)}\nfstp tbyte ptr ${at(32)}`);
    expect(t.u16(DATA + 24)).toBe(0xb882);
    expect(t.readF80(DATA + 32)).toEqual([0x3bcd, 0x8000000000000000n]);
  });
  it('tininess is detected after rounding for FST m32 (host: no UE)', () => {
    const t = new FpuMachine();
    t.view.setBigUint64(DATA, 0x380fffffffffffffn, true);
    runCode(t, `fld qword ptr ${at(0)}\nfstp dword ptr ${at(16)}`);
    expect(t.u32(DATA + 16)).toBe(0x00800000);
    expect(t.sw() & 0x30).toBe(0x20);
  });
  it('float80 pseudo-denormal operands are exact (host: 8000:9015.. + itself = 8002:9015..)', () => {
    const t = new FpuMachine();
    t.writeF80(DATA, 0x8000, 0x901522a61df0abadn);
    t.view.setUint16(DATA + 16, 0xb7f, true);
    runCode(t, `fldcw word ptr ${at(16)}\nfld tbyte ptr ${at(0)}\nfadd st, st(0)\nfnstsw word ptr ${at(40)}\nfstp tbyte ptr ${at(24)}`);
    expect(t.readF80(DATA + 24)).toEqual([0x8002, 0x901522a61df0abadn]);
    expect(t.u16(DATA + 40) & 0x3f).toBe(0x02); // DE only: the doubled value is exact
  });
  it('a denormal divided by zero reports ZE only (host)', () => {
    const t = new FpuMachine();
    t.writeF80(DATA, 0x0000, 0x6ee1afdd2419949dn);
    runCode(t, `fldz\nfld tbyte ptr ${at(0)}\nfdiv st, st(1)\nfnstsw word ptr ${at(40)}`);
    expect(t.u16(DATA + 40) & 0x3f).toBe(0x04);
  });
  it('FNINIT keeps register contents: FNSAVE still stores them (host)', () => {
    const t = new FpuMachine();
    t.writeF80(DATA, 0x8000, 0x50e096bb49a76bd9n);
    runCode(t, `fld tbyte ptr ${at(0)}\nfninit\nfnsave ${at(128)}`);
    // after FNINIT TOP = 0 and ST(0) is physical register 0; the value was loaded into register 7
    expect(t.readF80(DATA + 128 + 28 + 7 * 10)).toEqual([0x8000, 0x50e096bb49a76bd9n]);
    expect(t.u16(DATA + 128 + 8)).toBe(0xffff);
  });
});
