/**
 * BCD adjusts (checked by their decimal meaning and the SDM's own examples) and the bit
 * instructions BT/BTS/BTR/BTC, BSF/BSR, BSWAP.
 */
import { describe, expect, it } from 'vitest';
import { AF, asm, CF, DATA, flags, machine, PF, rd32, run, setFlags, SF, szp, wr32, ZF } from './harness.js';

const bcd = (x: number) => ((x / 10) | 0) * 16 + (x % 10);

describe('decimal adjust', () => {
  it('ADD + DAA adds packed BCD (all 100x100 pairs, with and without carry out)', () => {
    const t = machine();
    const code = asm('add al, bl\ndaa');
    for (let x = 0; x < 100; x++) for (let y = 0; y < 100; y++) {
      t.cpu.regs[0] = bcd(x); t.cpu.regs[3] = bcd(y);
      run(t, code);
      const s = x + y;
      expect([x, y, t.cpu.regs[0] & 0xff, flags(t) & (CF | ZF)]).toEqual([x, y, bcd(s % 100), (s >= 100 ? CF : 0) | (s % 100 === 0 ? ZF : 0)]);
    }
  });

  it('SUB + DAS subtracts packed BCD', () => {
    const t = machine();
    const code = asm('sub al, bl\ndas');
    for (let x = 0; x < 100; x++) for (let y = 0; y < 100; y++) {
      t.cpu.regs[0] = bcd(x); t.cpu.regs[3] = bcd(y);
      run(t, code);
      expect([x, y, t.cpu.regs[0] & 0xff, flags(t) & CF]).toEqual([x, y, bcd((x - y + 100) % 100), x < y ? CF : 0]);
    }
  });

  it('SDM examples: DAA 79+35 and DAS 35-47', () => {
    const t = machine();
    t.cpu.regs[0] = 0x79; t.cpu.regs[3] = 0x35;
    run(t, asm('add al, bl'));
    expect(t.cpu.regs[0] & 0xff).toBe(0xae);
    run(t, asm('daa'));
    expect(t.cpu.regs[0] & 0xff).toBe(0x14);
    expect(flags(t) & (CF | AF)).toBe(CF | AF);
    t.cpu.regs[0] = 0x35; t.cpu.regs[3] = 0x47;
    run(t, asm('sub al, bl'));
    expect(t.cpu.regs[0] & 0xff).toBe(0xee);
    expect(flags(t) & (CF | AF)).toBe(CF | AF);
    run(t, asm('das'));
    expect(t.cpu.regs[0] & 0xff).toBe(0x88);
    expect(flags(t) & (CF | AF)).toBe(CF | AF);
  });

  it('AAA/AAS on unpacked digits carry into / borrow from AH', () => {
    const t = machine();
    const add = asm('add al, bl\naaa'), sub = asm('sub al, bl\naas');
    for (let x = 0; x < 10; x++) for (let y = 0; y < 10; y++) {
      t.cpu.regs[0] = 0x0500 | x; t.cpu.regs[3] = y;
      run(t, add);
      expect([x, y, t.cpu.regs[0] & 0xffff, flags(t) & (CF | AF)]).toEqual([x, y, ((5 + (x + y >= 10 ? 1 : 0)) << 8) | ((x + y) % 10), x + y >= 10 ? CF | AF : 0]);
      t.cpu.regs[0] = 0x0500 | x;
      run(t, sub);
      expect([x, y, t.cpu.regs[0] & 0xffff, flags(t) & (CF | AF)]).toEqual([x, y, ((5 - (x < y ? 1 : 0)) << 8) | ((x - y + 10) % 10), x < y ? CF | AF : 0]);
    }
  });

  it('AAA adds 0x106 to AX (SDM: AX <- AX + 106H)', () => {
    const t = machine();
    t.cpu.regs[0] = 0x01fb; // AL = FB: low nibble > 9; AL + 6 carries into AH
    run(t, asm('aaa'));
    expect(t.cpu.regs[0] & 0xffff).toBe(0x0301);
  });

  it('AAM/AAD convert between binary and unpacked BCD; AAM 0 is #DE', () => {
    const t = machine();
    for (let x = 0; x < 256; x++) {
      t.cpu.regs[0] = 0xff00 | x;
      run(t, asm('aam'));
      expect(t.cpu.regs[0] & 0xffff).toBe((((x / 10) | 0) << 8) | (x % 10));
      expect(flags(t) & (ZF | SF | PF)).toBe(szp(x % 10, 8));
    }
    t.cpu.regs[0] = 0x0907;
    run(t, asm('aad'));
    expect(t.cpu.regs[0] & 0xffff).toBe(97);
    t.cpu.regs[0] = 0x0203;
    run(t, asm('.byte 0xd5, 0x10')); // AAD base 16
    expect(t.cpu.regs[0] & 0xffff).toBe(0x23);
    t.cpu.regs[0] = 0x1234;
    expect(run(t, asm('.byte 0xd4, 0x00'))).toBe(0);
    expect(t.cpu.regs[0]).toBe(0x1234);
  });
});

describe('bit test / scan / swap', () => {
  it('BT/BTS/BTR/BTC on registers: offset taken mod the operand size, CF = old bit, ZF kept', () => {
    const t = machine();
    t.cpu.regs[0] = 0x80000001;
    t.cpu.regs[1] = 63; // bit 31
    setFlags(t, ZF);
    run(t, asm('bt eax, ecx'));
    expect(flags(t) & (CF | ZF)).toBe(CF | ZF);
    run(t, asm('btr eax, ecx'));
    expect(t.cpu.regs[0]).toBe(1);
    expect(flags(t) & CF).toBe(CF);
    run(t, asm('bts eax, 33')); // imm: bit 1
    expect(t.cpu.regs[0]).toBe(3);
    expect(flags(t) & CF).toBe(0);
    run(t, asm('btc ax, 16')); // 16-bit: bit 0
    expect(t.cpu.regs[0]).toBe(2);
    expect(flags(t) & CF).toBe(CF);
  });

  it('BT with memory and a register offset addresses outside the operand (signed)', () => {
    const t = machine();
    wr32(t, DATA + 8, 0x10); // bit 68 relative to DATA+0 is bit 4 of DATA+8
    t.cpu.regs[3] = DATA;
    t.cpu.regs[1] = 68;
    run(t, asm('bt dword ptr [ebx], ecx'));
    expect(flags(t) & CF).toBe(CF);
    t.cpu.regs[1] = -1; // bit 31 of DATA-4
    run(t, asm('bts dword ptr [ebx], ecx'));
    expect(rd32(t, DATA - 4) >>> 0).toBe(0x80000000);
    expect(flags(t) & CF).toBe(0);
    t.cpu.regs[1] = 68; // an immediate offset stays inside: bit 68 & 31 = 4 of DATA
    wr32(t, DATA, 0);
    run(t, asm('btc dword ptr [ebx], 68'));
    expect(rd32(t, DATA)).toBe(0x10);
    // 16-bit operand: offset 0x11 -> word at +2, bit 1
    wr32(t, DATA + 0x10, 0);
    t.cpu.regs[3] = DATA + 0x10;
    t.cpu.regs[1] = 0x11;
    run(t, asm('bts word ptr [ebx], cx'));
    expect(rd32(t, DATA + 0x10)).toBe(0x20000);
  });

  it('BSF/BSR: index of lowest/highest set bit; zero source sets ZF and keeps the destination', () => {
    const t = machine();
    t.cpu.regs[3] = 0x00f00100;
    run(t, asm('bsf eax, ebx\nbsr ecx, ebx'));
    expect([t.cpu.regs[0], t.cpu.regs[1]]).toEqual([8, 23]);
    expect(flags(t) & ZF).toBe(0);
    t.cpu.regs[3] = 0; t.cpu.regs[0] = 0x1234;
    run(t, asm('bsf eax, ebx'));
    expect(t.cpu.regs[0]).toBe(0x1234);
    expect(flags(t) & ZF).toBe(ZF);
    t.cpu.regs[3] = 0xffff8000; t.cpu.regs[0] = 0x55550000;
    run(t, asm('bsr ax, bx'));
    expect(t.cpu.regs[0]).toBe(0x5555000f);
  });

  it('BSWAP reverses the bytes of a 32-bit register', () => {
    const t = machine();
    t.cpu.regs[5] = 0x12345678;
    run(t, asm('bswap ebp'));
    expect(t.cpu.regs[5]).toBe(0x78563412);
  });
});
