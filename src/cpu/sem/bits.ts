/**
 * Bit templates: BT BTS BTR BTC, BSF BSR, BSWAP (SDM Vol. 2).
 *
 * BTx with a memory operand and a REGISTER bit offset address outside the operand: the offset is
 * signed, the operand moves by (offset >> 5) * 4 bytes (16-bit: (offset >> 4) * 2) and the bit
 * index is offset mod 32 (16); with an immediate offset only the low 5 (4) bits count. CF = the
 * selected bit; ZF is unchanged; OF/SF/AF/PF are undefined and left unchanged here.
 * BSF/BSR: a zero source sets ZF and leaves the destination unchanged; the other flags are
 * undefined and left unchanged. BSWAP of a 16-bit register (undefined) clears it, as Intel CPUs do.
 *
 * Changing one flag and keeping the other five cannot always be expressed by kind RES (its SF/ZF/PF
 * come from a result, and POPF/SAHF can set ZF with SF set or PF clear), so these record kind NONE
 * with all six flags: the kept ones read now, the changed one computed (as rotates do, shift.ts).
 */
import { OpKind } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { FlagIx, LfOp, ZF } from '../flag-exprs.js';
import { defSem, type SemGen, type Template } from './gen.js';

/** A scratch holding `expr`. */
function let_(g: SemGen, expr: string): string {
  const t = g.tmp();
  g.line(`${t} = ${expr};`);
  return t;
}

/** The current arithmetic flags except those in `except` (a CF/ZF mask), in EFLAGS positions. */
function keptFlags(g: SemGen, except: number): string {
  const parts: string[] = [];
  const add = (ix: number, pos: number): void => {
    if ((except & (1 << pos)) === 0) parts.push(pos === 0 ? g.flag(ix) : `(${g.flag(ix)} << ${pos})`);
  };
  add(FlagIx.CF, 0);
  add(FlagIx.PF, 2);
  add(FlagIx.AF, 4);
  add(FlagIx.ZF, 6);
  add(FlagIx.SF, 7);
  add(FlagIx.OF, 11);
  return let_(g, parts.join(' | '));
}

const BT = 0, BTS = 1, BTR = 2, BTC = 3;

/** The new operand value for operation `kind` on `x` with bit `bit`. */
function bitResult(kind: number, x: string, bit: string): string {
  return kind === BTS ? `${x} | (1 << ${bit})` : kind === BTR ? `${x} & ~(1 << ${bit})` : `${x} ^ (1 << ${bit})`;
}

function bitOp(kind: number): Template {
  return (g, f) => {
    const size = f.s0, bits = size << 3;
    const off = let_(g, g.get(1));
    let x: string, bit: string;
    if (f.k0 === OpKind.Reg || f.k1 === OpKind.Imm) {
      // The operand itself: the bit index is the offset mod the width.
      bit = let_(g, `${off} & ${bits - 1}`);
      x = let_(g, g.get(0));
      if (kind !== BT) g.put(0, bitResult(kind, x, bit));
    } else {
      // Memory with a register offset: the signed offset selects the word (SDM BT "bit base").
      const so = size === 2 ? let_(g, `(${off} << 16) >> 16`) : off;
      const disp = size === 2 ? `((${so} >> 4) << 1)` : `((${so} >> 5) << 2)`;
      const ea = let_(g, g.ea());
      const at = let_(g, f.asize === 2 ? `(${ea} + ${disp}) & 65535` : `(${ea} + ${disp}) | 0`);
      bit = let_(g, `${so} & ${bits - 1}`);
      x = g.load(-1, at, size);
      if (kind !== BT) g.store(-1, at, size, bitResult(kind, x, bit));
    }
    const kept = keptFlags(g, 1);
    g.flags(LfOp.NONE, '0', '0', '0', `${kept} | ((${x} >>> ${bit}) & 1)`);
  };
}

defSem(Mn.BT, bitOp(BT));
defSem(Mn.BTS, bitOp(BTS));
defSem(Mn.BTR, bitOp(BTR));
defSem(Mn.BTC, bitOp(BTC));

/** BSF / BSR: the index of the lowest / highest set bit; ZF = (source == 0). */
function bitScan(forward: boolean): Template {
  return (g) => {
    const s = let_(g, g.get(1));
    const kept = keptFlags(g, ZF);
    g.ifOpen(`${s} === 0`);
    g.flags(LfOp.NONE, '0', '0', '0', `${kept} | ${ZF}`);
    g.ifElse();
    g.put(0, forward ? `31 - Math.clz32(${s} & -${s})` : `31 - Math.clz32(${s})`);
    g.flags(LfOp.NONE, '0', '0', '0', kept);
    g.ifClose();
  };
}

defSem(Mn.BSF, bitScan(true));
defSem(Mn.BSR, bitScan(false));

defSem(Mn.BSWAP, (g, f) => {
  if (f.s0 === 2) {
    g.put(0, '0');
    return;
  }
  const x = let_(g, g.get(0));
  g.put(0, `(${x} << 24) | ((${x} & 65280) << 8) | ((${x} >>> 8) & 65280) | (${x} >>> 24)`);
});
