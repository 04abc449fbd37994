import { describe, expect, it } from 'vitest';
import { ArraySource, dec } from './helpers.js';
import { decode } from '../../src/frontend/decoder.js';
import { disassembleRange } from '../../src/frontend/disasm.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { Insn, OpKind, Rep, Seg } from '../../src/frontend/insn.js';
import { Flag } from '../../src/frontend/table-types.js';

const { Reg, Mem, Imm, Rel, Sreg, Creg, Moffs, Far } = OpKind;

describe('decoder: integer basics', () => {
  it('add r/m32, r32 with SIB and disp8', () => {
    // add [eax+ecx*4+0x10], edx
    const i = dec('01 54 88 10');
    expect([i.mn, i.len, i.osize, i.asize]).toEqual([Mn.ADD, 4, 4, 4]);
    expect([i.k0, i.s0, i.k1, i.v1, i.s1]).toEqual([Mem, 4, Reg, 2, 4]);
    expect([i.seg, i.base, i.index, i.scale, i.disp]).toEqual([Seg.DS, 0, 1, 2, 0x10]);
    expect(i.entry!.flagsWritten & Flag.ARITH).toBe(Flag.ARITH);
  });

  it('EBP/ESP bases default to SS, overrides win', () => {
    expect(dec('8b 45 fc').seg).toBe(Seg.SS); // mov eax,[ebp-4]
    expect(dec('8b 45 fc').disp).toBe(-4);
    expect(dec('8b 04 24').seg).toBe(Seg.SS); // mov eax,[esp]
    expect(dec('64 8b 45 fc').seg).toBe(Seg.FS);
    expect(dec('8b 05 78 56 34 12').base).toBe(-1); // mov eax,[0x12345678]
    expect(dec('8b 05 78 56 34 12').disp).toBe(0x12345678);
    expect(dec('8b 04 2d 00 01 00 00').seg).toBe(Seg.DS); // index ebp, no base -> DS
  });

  it('16-bit addressing and operand size prefixes', () => {
    // 16-bit code: mov ax,[bp+si+2]
    const i = dec('8b 42 02', false);
    expect([i.mn, i.len, i.osize, i.asize, i.base, i.index, i.disp, i.seg]).toEqual([Mn.MOV, 3, 2, 2, 5, 6, 2, Seg.SS]);
    // 32-bit code with 66 67: mov ax,[bx]
    const j = dec('66 67 8b 07');
    expect([j.osize, j.asize, j.base, j.index, j.seg, j.s0, j.len]).toEqual([2, 2, 3, -1, Seg.DS, 2, 4]);
    expect(dec('8b 06 34 12', false).disp).toBe(0x1234); // [0x1234]
  });

  it('immediates: sign-extended imm8, imm16/32, ENTER, far pointer', () => {
    const a = dec('83 c0 ff'); // add eax,-1
    expect([a.mn, a.k1, a.v1, a.s1]).toEqual([Mn.ADD, Imm, -1, 4]);
    const p = dec('6a 80'); // push -128
    expect([p.mn, p.k0, p.v0, p.len]).toEqual([Mn.PUSH, Imm, -128, 2]);
    const e = dec('c8 10 00 01'); // enter 0x10,1
    expect([e.mn, e.k0, e.v0, e.s0, e.k1, e.v1, e.s1]).toEqual([Mn.ENTER, Imm, 16, 2, Imm, 1, 1]);
    const f = dec('ea 78 56 34 12 08 00'); // jmp 0x8:0x12345678
    expect([f.mn, f.k0, f.v0, f.farSel, f.len]).toEqual([Mn.JMPF, Far, 0x12345678, 8, 7]);
    const im = dec('69 c1 00 01 00 00'); // imul eax,ecx,0x100
    expect([im.k0, im.v0, im.k1, im.v1, im.k2, im.v2]).toEqual([Reg, 0, Reg, 1, Imm, 256]);
  });

  it('branches: Jcc rel8/rel32 with condition, blockEnd', () => {
    const j = dec('74 fe');
    expect([j.mn, j.cc, j.k0, j.v0, j.len]).toEqual([Mn.Jcc, 4, Rel, -2, 2]);
    expect(j.entry!.blockEnd).toBe(true);
    expect(j.entry!.flagsRead).toBe(Flag.ZF);
    const k = dec('0f 8f 00 01 00 00');
    expect([k.mn, k.cc, k.v0, k.len]).toEqual([Mn.Jcc, 15, 256, 6]);
    expect(dec('0f 94 c0').mn).toBe(Mn.SETcc);
    expect(dec('0f 44 c1').cc).toBe(4);
  });

  it('implicit operands: IN, shifts, string ops', () => {
    const i = dec('ec'); // in al,dx
    expect([i.mn, i.osize, i.k0, i.v0, i.s0, i.k1, i.v1, i.s1]).toEqual([Mn.IN, 1, Reg, 0, 1, Reg, 2, 2]);
    const o = dec('e6 80'); // out 0x80,al
    expect([o.mn, o.osize, o.k0, o.v0, o.s0, o.k1, o.v1, o.s1]).toEqual([Mn.OUT, 1, Imm, 0x80, 1, Reg, 0, 1]);
    const ow = dec('66 e7 80'); // out 0x80,ax
    expect([ow.osize, ow.s1]).toEqual([2, 2]);
    const ib = dec('e4 60'); // in al,0x60
    expect([ib.osize, ib.k1, ib.v1]).toEqual([1, Imm, 0x60]);
    const s = dec('d1 e0'); // shl eax,1
    expect([s.mn, s.k1, s.v1]).toEqual([Mn.SHL, Imm, 1]);
    const c = dec('d3 f8'); // sar eax,cl
    expect([c.mn, c.k1, c.v1, c.s1]).toEqual([Mn.SAR, Reg, 1, 1]);
    const m = dec('f3 66 a5'); // rep movsw
    expect([m.mn, m.rep, m.osize, m.k0, m.seg]).toEqual([Mn.MOVS, Rep.Rep, 2, 0, Seg.DS]);
    expect(dec('26 ac').seg).toBe(Seg.ES); // lods al,es:[esi]
    expect(dec('f2 f3 a6').rep).toBe(Rep.Rep); // last of F2/F3 wins
  });

  it('movzx/movsx source sizes; moffs; sreg; cr', () => {
    const z = dec('0f b6 c1'); // movzx eax,cl
    expect([z.mn, z.osize, z.s0, z.s1]).toEqual([Mn.MOVZX, 4, 4, 1]);
    const x = dec('66 0f bf c1'); // movsx ax,cx
    expect([x.mn, x.osize, x.s0, x.s1]).toEqual([Mn.MOVSX, 2, 2, 2]);
    const o = dec('a1 44 33 22 11');
    expect([o.k1, o.disp, o.s1, o.seg]).toEqual([Moffs, 0x11223344, 4, Seg.DS]);
    const sr = dec('8e d8'); // mov ds,eax
    expect([sr.mn, sr.k0, sr.v0, sr.k1, sr.s1]).toEqual([Mn.MOVSEG, Sreg, 3, Reg, 2]);
    expect(dec('8e c8').mn).toBe(Mn.INVALID); // mov cs,eax
    const cr = dec('0f 22 d8'); // mov cr3,eax
    expect([cr.mn, cr.k0, cr.v0, cr.k1, cr.v1]).toEqual([Mn.MOVCR, Creg, 3, Reg, 0]);
    expect(cr.entry!.privileged).toBe(true);
    expect(dec('0f 20 00').k0).toBe(Reg); // mod bits ignored: mov eax,cr0
  });

  it('memory operand sizes of special forms', () => {
    expect(dec('0f 01 10').s0).toBe(6); // lgdt [eax]
    expect(dec('ff 28').s0).toBe(6); // jmp far [eax]
    expect(dec('66 ff 18').s0).toBe(4); // call far m16:16
    expect(dec('62 00').s1).toBe(8); // bound eax,[eax]
    expect(dec('0f c7 08').s0).toBe(8); // cmpxchg8b [eax]
    expect(dec('0f 01 d0').mn).toBe(Mn.INVALID); // reg form of lgdt group: undefined on i686
  });

  it('NOP, PAUSE, multi-byte NOP, XCHG', () => {
    expect(dec('90').mn).toBe(Mn.NOP);
    expect(dec('f3 90').mn).toBe(Mn.PAUSE);
    expect(dec('91').mn).toBe(Mn.XCHG);
    const n = dec('0f 1f 44 00 00');
    expect([n.mn, n.len]).toEqual([Mn.NOP, 5]);
  });

  it('LOCK rules, undefined encodings, 15-byte limit', () => {
    expect(dec('f0 01 08').mn).toBe(Mn.ADD);
    expect(dec('f0 01 c8').mn).toBe(Mn.INVALID); // register destination
    expect(dec('f0 89 08').mn).toBe(Mn.INVALID); // mov is not lockable
    const ud = dec('0f 0b');
    expect([ud.mn, ud.len]).toEqual([Mn.UD2, 2]);
    const inv = dec('0f 04');
    expect([inv.mn, inv.len]).toEqual([Mn.INVALID, 2]);
    const ok = dec('66 66 66 66 66 66 66 66 66 66 05 01 00'); // 13 bytes
    expect([ok.mn, ok.len]).toEqual([Mn.ADD, 13]);
    const long = dec('66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 05 01 00');
    expect([long.mn, long.len]).toEqual([Mn.INVALID, 16]);
  });
});

describe('decoder: SSE encodings (the src/cpu/sse subset executes; the rest decode for length and disassembly and execute as #UD)', () => {
  it('mandatory prefixes select the entry and 0F 38 / 0F 3A maps decode', () => {
    const a = dec('66 0f 6f 00'); // movdqa xmm0,[eax]
    expect([a.mn, a.len, a.k0, a.k1, a.s1]).toEqual([Mn.MOVAPS, 4, OpKind.Xmm, Mem, 16]);
    expect(dec('66 0f 3a 0f c1 08').mn).toBe(Mn.INVALID); // palignr: not in the subset
    expect((a.entry as unknown as { name: string }).name).toBe('movdqa');
    expect((dec('f3 0f 6f 00').entry as unknown as { name: string }).name).toBe('movdqu');
    expect(dec('0f 6f 00').entry!.id).toBe(0); // MMX form: not in the table
    const p = dec('66 0f 3a 0f c1 08'); // palignr xmm0,xmm1,8
    expect([p.len, p.k2, p.v2]).toEqual([6, Imm, 8]);
    expect(dec('66 0f 38 17 c1').len).toBe(5); // ptest
  });
});

describe('decoder: reusing one Insn', () => {
  it('clears the fields of the previous instruction', () => {
    const insn = new Insn();
    const bytes = (hex: string): ArraySource => new ArraySource(Uint8Array.from(hex.split(' ').map((h) => parseInt(h, 16))));
    decode(insn, bytes('f3 64 f0 0f c7 4c 88 10'), 0, true); // lock cmpxchg8b fs:[eax+ecx*4+0x10] with rep
    expect([insn.mn, insn.lock, insn.rep, insn.segOverride, insn.base, insn.index, insn.disp]).toEqual([Mn.CMPXCHG8B, true, Rep.Rep, Seg.FS, 0, 1, 0x10]);
    decode(insn, bytes('ea 78 56 34 12 08 00'), 0, true);
    expect(insn.farSel).toBe(8);
    decode(insn, bytes('89 c8'), 0, true); // mov eax,ecx
    expect([insn.mn, insn.lock, insn.rep, insn.segOverride, insn.seg, insn.base, insn.index, insn.scale, insn.disp, insn.farSel, insn.k2, insn.cc])
      .toEqual([Mn.MOV, false, Rep.None, -1, Seg.DS, -1, -1, 0, 0, 0, 0, 0]);
    expect(insn.modrm).toBe(0xc8);
    decode(insn, bytes('c3'), 0, true);
    expect([insn.mn, insn.modrm, insn.k0, insn.k1]).toEqual([Mn.RET, -1, 0, 0]);
    decode(insn, bytes('f0 90'), 0, true); // lock nop: #UD, no operands left over
    expect([insn.mn, insn.k0, insn.k1, insn.len]).toEqual([Mn.INVALID, 0, 0, 2]);
  });
});

describe('disassembleRange', () => {
  it('lists consecutive instructions with bytes and text', () => {
    // push ebp; mov ebp,esp; mov eax,[ebp+8]; leave; ret  (texts as objdump -M intel prints them)
    const src = new ArraySource(Uint8Array.from([0x55, 0x89, 0xe5, 0x8b, 0x45, 0x08, 0xc9, 0xc3]), 0x1000);
    expect(disassembleRange(src, 0x1000, 5)).toEqual([
      { addr: 0x1000, len: 1, hex: '55', text: 'push ebp' },
      { addr: 0x1001, len: 2, hex: '89 e5', text: 'mov ebp,esp' },
      { addr: 0x1003, len: 3, hex: '8b 45 08', text: 'mov eax,DWORD PTR [ebp+0x8]' },
      { addr: 0x1006, len: 1, hex: 'c9', text: 'leave' },
      { addr: 0x1007, len: 1, hex: 'c3', text: 'ret' },
    ]);
  });
});

describe('decoder: default segment of every addressing form', () => {
  it('16-bit: BP-based forms use SS, the others DS (SDM Vol. 2A Table 2-1)', () => {
    // rm: 0 [bx+si] 1 [bx+di] 2 [bp+si] 3 [bp+di] 4 [si] 5 [di] 6 [bp]/disp16 7 [bx]
    const ssWithDisp = [false, false, true, true, false, false, true, false];
    const ssMod0 = [false, false, true, true, false, false, false, false]; // mod 0 rm 6 is disp16
    for (let rm = 0; rm < 8; rm++) {
      const m0 = dec([0x8b, rm, 0x34, 0x12], false);
      expect(m0.seg, `mod 0 rm ${rm}`).toBe(ssMod0[rm] ? Seg.SS : Seg.DS);
      const m1 = dec([0x8b, 0x40 | rm, 0x10], false);
      expect(m1.seg, `mod 1 rm ${rm}`).toBe(ssWithDisp[rm] ? Seg.SS : Seg.DS);
      expect(m1.disp).toBe(0x10);
      expect(dec([0x26, 0x8b, 0x40 | rm, 0x10], false).seg).toBe(Seg.ES);
    }
    expect(dec([0x8b, 0x06, 0x34, 0x12], false).len).toBe(4);
  });

  it('32-bit: ESP/EBP bases use SS, an EBP index does not', () => {
    for (let base = 0; base < 8; base++) {
      if (base === 4) continue; // rm 4 is the SIB escape
      if (base !== 5) expect(dec([0x8b, base]).seg, `[${base}]`).toBe(Seg.DS);
      expect(dec([0x8b, 0x40 | base, 0]).seg, `[${base}+d8]`).toBe(base === 5 ? Seg.SS : Seg.DS);
    }
    for (let sbase = 0; sbase < 8; sbase++) {
      const i = dec([0x8b, 0x44, (1 << 3) | sbase, 0]); // [sbase+ecx+d8]
      expect(i.seg, `sib base ${sbase}`).toBe(sbase === 4 || sbase === 5 ? Seg.SS : Seg.DS);
    }
    expect(dec([0x8b, 0x04, 0x6d, 0, 0, 0, 0]).seg).toBe(Seg.DS); // [ebp*2+disp32]: no base
    expect(dec([0x8b, 0x04, 0x65, 0, 0, 0, 0]).index).toBe(-1); // index 100b: none
  });
});
