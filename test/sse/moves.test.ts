/**
 * SSE subset (src/cpu/sse) through the real decoder and Cpu: the data moves, MOVD/MOVQ, XORPS/PXOR,
 * LDMXCSR/STMXCSR and FXSAVE/FXRSTOR's XMM area, with the exceptions of SDM Vol. 2 (#UD without
 * CR4.OSFXSR or with CR0.EM, #NM with CR0.TS, #GP(0) on misaligned aligned-form operands, precise
 * #PF on accesses crossing into an unmapped page).
 */
import { describe, expect, it } from 'vitest';
import { asm, DATA, enablePaging, machine, rd32, run, wr32 } from '../cpu-int/harness.js';
import type { TestMachine } from '../cpu-int/harness.js';

const UD = 6, NM = 7, GP = 13, PF = 14;
const CR4_OSFXSR = 1 << 9;

function sseMachine(): TestMachine {
  const t = machine();
  t.cpu.cr4 |= CR4_OSFXSR;
  return t;
}

function xmm(t: TestMachine, n: number): number[] {
  return Array.from(t.cpu.sse.xmm.subarray(n * 4, n * 4 + 4), (v) => v >>> 0);
}

function setXmm(t: TestMachine, n: number, v: number[]): void {
  t.cpu.sse.xmm.set(v.map((x) => x | 0), n * 4);
}

function mem(t: TestMachine, a: number, n: number): number[] {
  return Array.from({ length: n }, (_, k) => rd32(t, a + 4 * k) >>> 0);
}

function fill(t: TestMachine, a: number, v: number[]): void {
  v.forEach((x, k) => wr32(t, a + 4 * k, x));
}

const A = [0x11111111, 0x22222222, 0x33333333, 0x44444444];
const B = [0xdeadbeef, 0x01234567, 0x89abcdef, 0xcafef00d];

describe('SSE moves', () => {
  it('aligned and unaligned loads, stores and register copies move 16 bytes', () => {
    const t = sseMachine();
    fill(t, DATA, A);
    fill(t, DATA + 0x23, B);
    const fault = run(t, asm(`
      movdqa xmm1, [${DATA}]
      movdqu xmm2, [${DATA + 0x23}]
      movaps xmm3, xmm1
      movapd xmm4, xmm2
      movups [${DATA + 0x101}], xmm3
      movupd [${DATA + 0x201}], xmm4
      movdqu [${DATA + 0x301}], xmm2
      movaps [${DATA + 0x400}], xmm1
      movdqa [${DATA + 0x410}], xmm2
      movapd [${DATA + 0x420}], xmm1
      movups xmm5, [${DATA + 0x101}]
      movupd xmm6, [${DATA + 0x201}]
      movaps xmm7, [${DATA + 0x400}]
      movapd xmm0, [${DATA + 0x410}]`));
    expect(fault).toBe(-1);
    expect(xmm(t, 1)).toEqual(A);
    expect(xmm(t, 2)).toEqual(B);
    expect(xmm(t, 3)).toEqual(A);
    expect(xmm(t, 4)).toEqual(B);
    expect(xmm(t, 5)).toEqual(A);
    expect(xmm(t, 6)).toEqual(B);
    expect(xmm(t, 7)).toEqual(A);
    expect(xmm(t, 0)).toEqual(B);
    // bytes next to a store are left alone
    expect(t.phys.read8(DATA + 0x100)).toBe(0);
    expect(t.phys.read8(DATA + 0x111)).toBe(0);
    expect(mem(t, DATA + 0x420, 4)).toEqual(A);
  });

  it('#UD without CR4.OSFXSR or with CR0.EM, #NM with CR0.TS, before any access', () => {
    const code = asm(`movdqa xmm0, [${DATA}]`);
    const t = machine(); // OSFXSR clear
    fill(t, DATA, A);
    expect(run(t, code)).toBe(UD);
    t.cpu.cr4 |= CR4_OSFXSR;
    t.cpu.cr0 |= 4 | 8; // EM and TS: #UD wins
    expect(run(t, code)).toBe(UD);
    t.cpu.cr0 &= ~4;
    expect(run(t, code)).toBe(NM);
    expect(xmm(t, 0)).toEqual([0, 0, 0, 0]);
    t.cpu.cr0 &= ~8;
    expect(run(t, code)).toBe(-1);
    expect(xmm(t, 0)).toEqual(A);
  });

  it('aligned forms raise #GP(0) on a misaligned operand; unaligned forms do not', () => {
    for (const insn of [`movaps xmm0, [${DATA + 8}]`, `movdqa [${DATA + 4}], xmm1`, `movapd xmm2, [${DATA + 1}]`, `pxor xmm0, [${DATA + 8}]`]) {
      const t = sseMachine();
      setXmm(t, 1, B);
      expect(run(t, asm(insn)), insn).toBe(GP);
      expect(t.cpu.excCode).toBe(0);
      expect(mem(t, DATA, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(xmm(t, 0)).toEqual([0, 0, 0, 0]);
    }
    const t = sseMachine();
    setXmm(t, 1, B);
    expect(run(t, asm(`movups [${DATA + 8}], xmm1`))).toBe(-1);
    expect(mem(t, DATA + 8, 4)).toEqual(B);
  });

  it('a store crossing into an unmapped page faults with nothing written, either way round', () => {
    const page = DATA >>> 12;
    // the second page is absent
    let t = sseMachine();
    enablePaging(t, [], [page + 1]);
    setXmm(t, 3, B);
    expect(run(t, asm(`movups [${DATA + 0xff8}], xmm3`))).toBe(PF);
    expect(t.cpu.cr2 >>> 0).toBe(DATA + 0x1000);
    expect(t.cpu.excCode & 2).toBe(2); // a write
    expect(mem(t, DATA + 0xff8, 2)).toEqual([0, 0]);
    // the first page is read-only, the second writable: the second must stay unchanged too
    t = sseMachine();
    enablePaging(t, [page], []);
    t.cpu.cpl = 3;
    t.cpu.cr0 |= 1 << 16;
    setXmm(t, 3, B);
    expect(run(t, asm(`movdqu [${DATA + 0xff8}], xmm3`))).toBe(PF);
    expect(t.cpu.cr2 >>> 0).toBe(DATA + 0xff8);
    expect(mem(t, DATA + 0x1000, 2)).toEqual([0, 0]);
  });

  it('a load crossing into an unmapped page faults and leaves the register unchanged', () => {
    const t = sseMachine();
    enablePaging(t, [], [(DATA >>> 12) + 1]);
    setXmm(t, 2, A);
    expect(run(t, asm(`movups xmm2, [${DATA + 0xffc}]`))).toBe(PF);
    expect(t.cpu.cr2 >>> 0).toBe(DATA + 0x1000);
    expect(xmm(t, 2)).toEqual(A);
  });
});

describe('MOVD, MOVQ, XOR', () => {
  it('MOVD zero-extends into the register and stores the low dword', () => {
    const t = sseMachine();
    setXmm(t, 0, B);
    setXmm(t, 1, B);
    t.cpu.regs[0] = 0x5a5a1234;
    wr32(t, DATA, 0x77665544);
    expect(run(t, asm(`movd xmm0, eax\nmovd xmm1, [${DATA}]\nmovd ebx, xmm1\nmovd [${DATA + 8}], xmm0`))).toBe(-1);
    expect(xmm(t, 0)).toEqual([0x5a5a1234, 0, 0, 0]);
    expect(xmm(t, 1)).toEqual([0x77665544, 0, 0, 0]);
    expect(t.cpu.regs[3] >>> 0).toBe(0x77665544);
    expect(rd32(t, DATA + 8) >>> 0).toBe(0x5a5a1234);
  });

  it('MOVQ moves the low quadword and clears bits 127:64 of a register destination', () => {
    const t = sseMachine();
    setXmm(t, 0, B);
    setXmm(t, 1, A);
    setXmm(t, 2, A);
    setXmm(t, 3, A);
    fill(t, DATA, [0xaaaa0001, 0xbbbb0002, 0xcccc0003, 0xdddd0004]);
    // F3 0F 7E (load form) and 66 0F D6 (store form), both with register and memory operands
    expect(run(t, asm(`movq xmm1, [${DATA}]\nmovq xmm2, xmm0\n.byte 0x66,0x0f,0xd6,0xc3\nmovq [${DATA + 0x20}], xmm0`))).toBe(-1);
    expect(xmm(t, 1)).toEqual([0xaaaa0001, 0xbbbb0002, 0, 0]);
    expect(xmm(t, 2)).toEqual([B[0], B[1], 0, 0]);
    expect(xmm(t, 3)).toEqual([B[0], B[1], 0, 0]); // movq xmm3, xmm0 via 66 0F D6 /r
    expect(mem(t, DATA + 0x20, 4)).toEqual([B[0], B[1], 0, 0]);
  });

  it('XORPS, XORPD and PXOR xor 128 bits; xor with itself zeroes', () => {
    const t = sseMachine();
    setXmm(t, 0, A);
    setXmm(t, 1, B);
    setXmm(t, 2, A);
    setXmm(t, 3, B);
    fill(t, DATA, B);
    expect(run(t, asm(`xorps xmm0, xmm1\npxor xmm1, xmm1\nxorpd xmm2, [${DATA}]`))).toBe(-1);
    const x = A.map((a, k) => (a ^ B[k]) >>> 0);
    expect(xmm(t, 0)).toEqual(x);
    expect(xmm(t, 1)).toEqual([0, 0, 0, 0]);
    expect(xmm(t, 2)).toEqual(x);
  });
});

describe('MXCSR and FXSAVE/FXRSTOR', () => {
  it('LDMXCSR loads, STMXCSR stores, reserved bits raise #GP(0)', () => {
    const t = sseMachine();
    wr32(t, DATA, 0x7f80); // all masked, round toward zero
    wr32(t, DATA + 8, 0x10000);
    expect(run(t, asm(`ldmxcsr [${DATA}]\nstmxcsr [${DATA + 4}]`))).toBe(-1);
    expect(t.cpu.fpu.mxcsr).toBe(0x7f80);
    expect(rd32(t, DATA + 4)).toBe(0x7f80);
    expect(run(t, asm(`ldmxcsr [${DATA + 8}]`))).toBe(GP);
    expect(t.cpu.fpu.mxcsr).toBe(0x7f80);
  });

  it('FXSAVE writes XMM0-7 at bytes 160-287 and FXRSTOR reads them back', () => {
    const t = sseMachine();
    for (let n = 0; n < 8; n++) setXmm(t, n, A.map((a) => a + n));
    expect(run(t, asm(`fxsave [${DATA}]`))).toBe(-1);
    for (let n = 0; n < 8; n++) expect(mem(t, DATA + 160 + 16 * n, 4)).toEqual(A.map((a) => (a + n) >>> 0));
    expect(rd32(t, DATA + 288)).toBe(0);
    fill(t, DATA + 160 + 16 * 5, B);
    t.cpu.sse.xmm.fill(0);
    expect(run(t, asm(`fxrstor [${DATA}]`))).toBe(-1);
    expect(xmm(t, 5)).toEqual(B);
    expect(xmm(t, 7)).toEqual(A.map((a) => (a + 7) >>> 0));
  });
});

describe('EMMS', () => {
  it('empties every x87 register; #NM with CR0.TS, #UD with CR0.EM', () => {
    const t = sseMachine();
    expect(run(t, asm('fld1\nfldz\nemms'))).toBe(-1);
    expect(t.cpu.fpu.tag).toBe(0xffff);
    expect(run(t, asm('fld1'))).toBe(-1);
    expect(t.cpu.fpu.tag).not.toBe(0xffff);
    t.cpu.cr0 |= 8;
    expect(run(t, asm('emms'))).toBe(NM);
    t.cpu.cr0 |= 4;
    expect(run(t, asm('emms'))).toBe(UD);
    expect(t.cpu.fpu.tag).not.toBe(0xffff);
  });
});
