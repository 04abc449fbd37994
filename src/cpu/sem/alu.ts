/**
 * Integer ALU templates: ADD OR ADC SBB AND SUB XOR CMP TEST INC DEC NEG NOT (SDM Vol. 2).
 *
 * Operands are sign-extended from the operand size so the lazy flags need no size (flags.ts). The
 * source is read first, then the destination (a memory destination keeps its address for the
 * write), the destination is written, and only then are flags recorded: a fault on the write
 * changes nothing (precise exceptions).
 */
import { Mn } from '../../frontend/mnemonics.js';
import { LfOp } from '../flag-exprs.js';
import { defSem, sx, type SemGen, type Template } from './gen.js';
import type { Insn } from '../../frontend/insn.js';

/** `r = <a op b>` at the operand size, sign-extended. */
function result(g: SemGen, expr: string, size: number): string {
  const r = g.tmp();
  g.line(`${r} = ${size === 4 ? `(${expr}) | 0` : sx(`(${expr})`, size)};`);
  return r;
}

/** Both operands, source first, sign-extended to int32. */
function operands(g: SemGen, f: Insn): [string, string] {
  const s = f.s0;
  const b = g.tmp();
  g.line(`${b} = ${sx(g.get(1), s)};`);
  const a = g.tmp();
  g.line(`${a} = ${sx(g.get(0), s)};`);
  return [a, b];
}

function arith(op: '+' | '-', kind: number, write: boolean): Template {
  return (g, f) => {
    const [a, b] = operands(g, f);
    const r = result(g, `${a} ${op} ${b}`, f.s0);
    if (write) g.put(0, r);
    g.flags(kind, r, a, b, null);
  };
}

function logic(op: '&' | '|' | '^', write: boolean): Template {
  return (g, f) => {
    const [a, b] = operands(g, f);
    const r = result(g, `${a} ${op} ${b}`, f.s0);
    if (write) g.put(0, r);
    g.flags(LfOp.LOGIC, r, '0', '0', null);
  };
}

/** ADC/SBB: the carry-in is CF before the instruction; the kind keeps it in EFLAGS bit 0. */
function withCarry(op: '+' | '-', kind: number): Template {
  return (g, f) => {
    const c = g.tmp();
    g.line(`${c} = ${g.cf()};`);
    const [a, b] = operands(g, f);
    const r = result(g, `${a} ${op} ${b} ${op} ${c}`, f.s0);
    g.put(0, r);
    g.flags(kind, r, a, b, c);
  };
}

/** INC/DEC leave CF alone (SDM Vol. 2 INC): the kind keeps the old CF in EFLAGS bit 0. */
function incDec(op: '+' | '-', kind: number): Template {
  return (g, f) => {
    const a = g.tmp();
    g.line(`${a} = ${sx(g.get(0), f.s0)};`);
    const r = result(g, `${a} ${op} 1`, f.s0);
    g.put(0, r);
    g.flags(kind, r, a, '1', g.cf());
  };
}

defSem(Mn.ADD, arith('+', LfOp.ADD, true));
defSem(Mn.SUB, arith('-', LfOp.SUB, true));
defSem(Mn.CMP, arith('-', LfOp.SUB, false));
defSem(Mn.AND, logic('&', true));
defSem(Mn.OR, logic('|', true));
defSem(Mn.XOR, logic('^', true));
defSem(Mn.TEST, logic('&', false));
defSem(Mn.ADC, withCarry('+', LfOp.ADC));
defSem(Mn.SBB, withCarry('-', LfOp.SBB));
defSem(Mn.INC, incDec('+', LfOp.INC));
defSem(Mn.DEC, incDec('-', LfOp.DEC));

/** NEG is 0 - x: CF = (x != 0), the SUB flags with a = 0 (SDM Vol. 2 NEG). */
defSem(Mn.NEG, (g, f) => {
  const b = g.tmp();
  g.line(`${b} = ${sx(g.get(0), f.s0)};`);
  const r = result(g, `-${b}`, f.s0);
  g.put(0, r);
  g.flags(LfOp.SUB, r, '0', b, null);
});

defSem(Mn.NOT, (g) => {
  g.put(0, `~${g.get(0)}`);
});
