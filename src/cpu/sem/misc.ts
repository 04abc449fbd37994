/**
 * Flag instructions: CLC STC CMC CLD STD LAHF SAHF SALC, and NOP (SDM Vol. 2).
 *
 * CLC/STC/CMC change only CF and SAHF all but OF: the flags that stay are read now and recorded
 * with the new ones as kind NONE (all six in EFLAGS). DF is not an arithmetic flag: it always lives
 * in cpu.eflags (flags.ts), so CLD/STD change that bit directly.
 */
import { Mn } from '../../frontend/mnemonics.js';
import { FlagIx, LfOp } from '../flag-exprs.js';
import { EF } from '../state.js';
import { defSem, let_, type SemGen } from './gen.js';


/** PF AF ZF SF OF at their EFLAGS positions, read now. */
function allButCF(g: SemGen): string {
  return let_(
    g,
    `(${g.flag(FlagIx.PF)} << 2) | (${g.flag(FlagIx.AF)} << 4) | (${g.flag(FlagIx.ZF)} << 6) | (${g.flag(FlagIx.SF)} << 7) | (${g.flag(FlagIx.OF)} << 11)`,
  );
}

/** Set CF to `cf` (0/1, a scratch or literal), the other five kept. */
function setCF(g: SemGen, cf: string): void {
  const keep = allButCF(g);
  g.flags(LfOp.NONE, '0', '0', '0', `${keep} | ${cf}`);
}

defSem(Mn.CLC, (g) => setCF(g, '0'));
defSem(Mn.STC, (g) => setCF(g, '1'));
defSem(Mn.CMC, (g) => setCF(g, let_(g, `${g.cf()} ^ 1`)));

defSem(Mn.CLD, (g) => {
  g.line(`cpu.eflags &= ${~EF.DF};`);
});
defSem(Mn.STD, (g) => {
  g.line(`cpu.eflags |= ${EF.DF};`);
});

/** LAHF: AH = SF ZF 0 AF 0 PF 1 CF. */
defSem(Mn.LAHF, (g) => {
  const v = let_(
    g,
    `(${g.flag(FlagIx.SF)} << 7) | (${g.flag(FlagIx.ZF)} << 6) | (${g.flag(FlagIx.AF)} << 4) | (${g.flag(FlagIx.PF)} << 2) | 2 | ${g.flag(FlagIx.CF)}`,
  );
  g.setReg(4, 1, v);
});

/** SAHF: SF ZF AF PF CF = bits 7 6 4 2 0 of AH; OF kept. */
defSem(Mn.SAHF, (g) => {
  const of = let_(g, `${g.flag(FlagIx.OF)} << 11`);
  g.flags(LfOp.NONE, '0', '0', '0', `((${g.reg(4, 1)}) & 213) | ${of}`);
});

defSem(Mn.NOP, () => {});

/** SALC (undocumented D6): AL = CF ? 0xFF : 0, flags unchanged. */
defSem(Mn.SALC, (g) => {
  g.setReg(0, 1, `(${g.cf()} !== 0 ? 255 : 0)`);
});
