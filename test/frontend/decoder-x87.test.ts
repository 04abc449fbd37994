import { describe, expect, it } from 'vitest';
import { dec } from './helpers.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { OpKind } from '../../src/frontend/insn.js';

const { Reg, Mem, St } = OpKind;

describe('decoder: x87', () => {
  it('memory operand sizes by format', () => {
    expect([dec('d9 00').mn, dec('d9 00').s0]).toEqual([Mn.FLD, 4]); // fld dword
    expect([dec('dd 00').mn, dec('dd 00').s0]).toEqual([Mn.FLD, 8]); // fld qword
    expect([dec('db 28').mn, dec('db 28').s0]).toEqual([Mn.FLD, 10]); // fld tbyte
    expect([dec('df 00').mn, dec('df 00').s0]).toEqual([Mn.FILD, 2]);
    expect([dec('db 00').mn, dec('db 00').s0]).toEqual([Mn.FILD, 4]);
    expect([dec('df 28').mn, dec('df 28').s0]).toEqual([Mn.FILD, 8]);
    expect([dec('df 20').mn, dec('df 20').s0]).toEqual([Mn.FBLD, 10]);
    expect([dec('d9 38').mn, dec('d9 38').s0]).toEqual([Mn.FNSTCW, 2]);
  });

  it('environment/state images: size 0, layout by operand size', () => {
    const e = dec('d9 20');
    expect([e.mn, e.k0, e.s0, e.osize]).toEqual([Mn.FLDENV, Mem, 0, 4]);
    expect(dec('66 dd 30').osize).toBe(2); // 16-bit fnsave layout
  });

  it('register forms in Intel order', () => {
    const a = dec('d8 c1'); // fadd st(0),st(1)
    expect([a.mn, a.k0, a.v0, a.k1, a.v1]).toEqual([Mn.FADD, St, 0, St, 1]);
    const b = dec('dc c1'); // fadd st(1),st(0)
    expect([b.mn, b.k0, b.v0, b.k1, b.v1]).toEqual([Mn.FADD, St, 1, St, 0]);
    expect(dec('dc e9').mn).toBe(Mn.FSUB); // fsub st(1),st
    expect(dec('de e9').mn).toBe(Mn.FSUBP);
    const s = dec('df e0'); // fnstsw ax
    expect([s.mn, s.k0, s.v0, s.s0]).toEqual([Mn.FNSTSW, Reg, 0, 2]);
    const c = dec('da c9'); // fcmove st,st(1)
    expect([c.mn, c.cc, c.v1]).toEqual([Mn.FCMOVcc, 4, 1]);
    expect(c.entry!.flagsRead).toBe(1 << 6);
    expect(dec('d9 d1').mn).toBe(Mn.INVALID);
    expect(dec('d9 08').mn).toBe(Mn.INVALID);
  });
});
