/**
 * Table attributes against hand-written expectations from the SDM (Vol. 2 "Flags Affected" and
 * "Protected Mode Exceptions" sections), independent of flag-effects.ts and the table lines.
 */
import { describe, expect, it } from 'vitest';
import { entries } from '../../src/frontend/table.js';
import { Mn, mnemonicName } from '../../src/frontend/mnemonics.js';
import { Flag } from '../../src/frontend/table-types.js';
import { dec } from './helpers.js';

const { CF, PF, AF, ZF, SF, OF, DF, IF } = Flag;

describe('table attributes', () => {
  it('privileged entries are exactly the CPL-0-only instructions', () => {
    const priv = new Set(entries.filter((e) => e.privileged).map((e) => mnemonicName[e.mn]));
    expect([...priv].sort()).toEqual(
      ['CLTS', 'HLT', 'INVD', 'INVLPG', 'LGDT', 'LIDT', 'LLDT', 'LMSW', 'LTR', 'MOVCR', 'MOVDR', 'RDMSR', 'SYSEXIT', 'WBINVD', 'WRMSR'].sort(),
    );
    // IOPL-dependent and CPL-3-allowed system instructions are not marked.
    for (const hex of ['fa', 'fb', 'ec', 'ee', '0f 00 c0', '0f 01 00', '0f a2', '0f 31', '0f 34', 'cf']) {
      expect(dec(hex).entry!.privileged, hex).toBe(false);
    }
  });

  it('block ends: every control transfer and the mode-changing instructions', () => {
    const ends = ['eb 00', 'e9 00 00 00 00', '74 00', '0f 84 00 00 00 00', 'e3 00', 'e2 00', 'e8 00 00 00 00', 'ff d0', 'ff 10',
      'ff e0', 'ff 28', 'ff 18', 'ea 00 00 00 00 08 00', '9a 00 00 00 00 08 00', 'c3', 'c2 04 00', 'cb', 'cd 80', 'cc', 'ce', 'cf',
      'f4', '0f 0b', '0f 34', '0f 35', '0f 22 c0', '0f 01 f0', '0f 06', '0f 01 38', '8e d0', '17', '9d', 'fb', 'f1'];
    for (const hex of ends) expect(dec(hex).entry!.blockEnd, hex).toBe(true);
    for (const hex of ['01 c0', '8b 00', '50', '0f a2', 'e4 60', 'fa', '0f 20 c0', '90']) {
      expect(dec(hex).entry!.blockEnd, hex).toBe(false);
    }
    expect(dec('0f 04').entry!.blockEnd).toBe(true); // #UD
  });

  it('flags read/written/undefined of representative instructions', () => {
    const f = (hex: string): [number, number, number] => {
      const e = dec(hex).entry!;
      return [e.flagsRead, e.flagsWritten, e.flagsUndefined];
    };
    const ARITH = CF | PF | AF | ZF | SF | OF;
    expect(f('01 c0')).toEqual([0, ARITH, 0]); // add
    expect(f('11 c0')).toEqual([CF, ARITH, 0]); // adc
    expect(f('19 c0')).toEqual([CF, ARITH, 0]); // sbb
    expect(f('21 c0')).toEqual([0, ARITH, AF]); // and: AF undefined
    expect(f('85 c0')).toEqual([0, ARITH, AF]); // test
    expect(f('40')).toEqual([0, PF | AF | ZF | SF | OF, 0]); // inc keeps CF
    expect(f('f7 e0')).toEqual([0, ARITH, SF | ZF | AF | PF]); // mul
    expect(f('f7 f0')).toEqual([0, ARITH, ARITH]); // div: all undefined
    expect(f('0f a3 c0')).toEqual([0, CF | OF | SF | AF | PF, OF | SF | AF | PF]); // bt: ZF unaffected
    expect(f('0f bc c0')).toEqual([0, ARITH, CF | OF | SF | AF | PF]); // bsf
    expect(f('27')).toEqual([CF | AF, ARITH, OF]); // daa
    expect(f('9e')).toEqual([0, SF | ZF | AF | PF | CF, 0]); // sahf
    expect(f('9f')).toEqual([SF | ZF | AF | PF | CF, 0, 0]); // lahf
    expect(f('f5')).toEqual([CF, CF, 0]); // cmc
    expect(f('fc')).toEqual([0, DF, 0]); // cld
    expect(f('fa')).toEqual([0, IF, 0]); // cli
    expect(f('a4')).toEqual([DF, 0, 0]); // movsb
    expect(f('a6')).toEqual([DF, ARITH, 0]); // cmpsb
    expect(f('0f c7 08')).toEqual([0, ZF, 0]); // cmpxchg8b
    expect(f('db f1')).toEqual([0, ARITH, 0]); // fcomi
    expect(f('89 c0')).toEqual([0, 0, 0]); // mov
    expect(f('8d 00')).toEqual([0, 0, 0]); // lea
    // Shifts and rotates leave flags unchanged for a zero count: their flag results depend on the
    // input flags, so they are marked as reading what they write.
    expect(f('d3 e0')[1]).toBe(ARITH);
    expect(f('d3 e0')[2]).toBe(AF | OF); // OF defined only for a count of 1
    expect(f('d1 e0')[2]).toBe(AF); // shl eax,1
    expect(f('0f a5 c0')[2]).toBe(AF | OF); // shld eax,eax,cl
    expect(f('d3 e0')[0] & (CF | OF)).toBe(CF | OF);
    expect(f('d1 c0')[1]).toBe(CF | OF); // rol writes only CF, OF
  });

  it('conditions: flags read follow the condition code', () => {
    const want = [OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF];
    for (let cc = 0; cc < 16; cc++) {
      expect(dec([0x70 + cc, 0]).entry!.flagsRead).toBe(want[cc]);
      expect(dec([0x0f, 0x90 + cc, 0xc0]).entry!.flagsRead).toBe(want[cc]);
      expect(dec([0x0f, 0x40 + cc, 0xc0]).entry!.flagsRead).toBe(want[cc]);
    }
    expect(dec('e1 00').entry!.flagsRead).toBe(ZF); // loope
    expect(dec('da d1').entry!.flagsRead).toBe(CF | ZF); // fcmovbe
  });

  it('lockable entries are exactly the SDM list', () => {
    const lockable = new Set(entries.filter((e) => e.lockable).map((e) => mnemonicName[e.mn]));
    expect([...lockable].sort()).toEqual(
      ['ADC', 'ADD', 'AND', 'BTC', 'BTR', 'BTS', 'CMPXCHG', 'CMPXCHG8B', 'DEC', 'INC', 'NEG', 'NOT', 'OR', 'SBB', 'SUB', 'XADD', 'XCHG', 'XOR'].sort(),
    );
    expect(dec('f0 0f a3 00').mn).toBe(Mn.INVALID); // lock bt: #UD
    expect(dec('f0 0f ab 00').mn).toBe(Mn.BTS);
  });
});
