/**
 * EFLAGS effects per mnemonic (SDM Vol. 1 Appendix A "EFLAGS Cross-Reference", and each
 * instruction's "Flags Affected" section in Vol. 2). The table builder copies them into every entry.
 *
 * Convention: `written` holds every flag the instruction may change, including the ones it leaves
 * undefined; `undefined` is the subset whose value may be undefined afterwards (table.ts adds OF
 * for shifts and rotates whose count is not the constant 1). Shifts and rotates
 * by a count that may be zero leave flags unchanged, so they also *read* the flags they write
 * (their result flags depend on the flags before): a dead-flag pass stays correct.
 */
import { Flag } from './table-types.js';
import { Mn } from './mnemonics.js';

const { CF, PF, AF, ZF, SF, OF, TF, IF, DF, ARITH } = Flag;
/** Every flag an instruction like POPF/IRET may change (bits 0-21 except reserved ones). */
export const ALL_FLAGS = 0x003f7fd5;

export interface FlagEffect {
  read: number;
  written: number;
  undefined: number;
}

const none: FlagEffect = { read: 0, written: 0, undefined: 0 };
const table = new Map<number, FlagEffect>();
function set(mns: number[], read: number, written: number, undef = 0): void {
  for (const mn of mns) table.set(mn, { read, written: written | undef, undefined: undef });
}

set([Mn.ADD, Mn.SUB, Mn.CMP, Mn.NEG, Mn.XADD, Mn.CMPXCHG], 0, ARITH);
set([Mn.ADC, Mn.SBB], CF, ARITH);
set([Mn.AND, Mn.OR, Mn.XOR, Mn.TEST], 0, ARITH & ~AF, AF);
set([Mn.INC, Mn.DEC], 0, ARITH & ~CF);
set([Mn.MUL, Mn.IMUL], 0, CF | OF, SF | ZF | AF | PF);
set([Mn.DIV, Mn.IDIV], 0, 0, ARITH);
set([Mn.DAA, Mn.DAS], CF | AF, ARITH & ~OF, OF);
set([Mn.AAA, Mn.AAS], AF, AF | CF, OF | SF | ZF | PF);
set([Mn.AAM, Mn.AAD], 0, SF | ZF | PF, OF | AF | CF);
set([Mn.SALC], CF, 0);
// Shifts: flags unchanged for a zero count, so they read what they write (see the overview).
set([Mn.ROL, Mn.ROR], CF | OF, CF | OF);
set([Mn.RCL, Mn.RCR], CF | OF, CF | OF);
set([Mn.SHL, Mn.SAL, Mn.SHR, Mn.SAR, Mn.SHLD, Mn.SHRD], ARITH, ARITH & ~AF, AF);
set([Mn.BT, Mn.BTS, Mn.BTR, Mn.BTC], 0, CF, OF | SF | AF | PF);
set([Mn.BSF, Mn.BSR], 0, ZF, CF | OF | SF | AF | PF);
set([Mn.CMPXCHG8B], 0, ZF);
set([Mn.LAR, Mn.LSL, Mn.VERR, Mn.VERW, Mn.ARPL], 0, ZF);
set([Mn.SAHF], 0, SF | ZF | AF | PF | CF);
set([Mn.LAHF], SF | ZF | AF | PF | CF, 0);
set([Mn.PUSHF], ALL_FLAGS, 0);
set([Mn.POPF, Mn.IRET, Mn.RSM], 0, ALL_FLAGS);
set([Mn.INT, Mn.INT3, Mn.INT1, Mn.INTO], ALL_FLAGS, TF | IF | (1 << 14) | (1 << 16) | (1 << 17) | (1 << 18));
set([Mn.SYSENTER], 0, IF | (1 << 16) | (1 << 17));
set([Mn.CLC, Mn.STC], 0, CF);
set([Mn.CMC], CF, CF);
set([Mn.CLD, Mn.STD], 0, DF);
set([Mn.CLI, Mn.STI], 0, IF);
set([Mn.MOVS, Mn.STOS, Mn.LODS, Mn.INS, Mn.OUTS], DF, 0);
set([Mn.CMPS, Mn.SCAS], DF, ARITH);
set([Mn.LOOPE, Mn.LOOPNE], ZF, 0);
set([Mn.FCOMI, Mn.FCOMIP, Mn.FUCOMI, Mn.FUCOMIP], 0, ARITH);

/** Flags read by condition code cc (Jcc/SETcc/CMOVcc/FCMOVcc), SDM Vol. 1 Appendix B. */
export const CC_FLAGS: readonly number[] = [
  OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF,
];

/** The flag effects of mnemonic `mn` with condition `cc` (-1 when not conditional). */
export function flagEffect(mn: number, cc: number): FlagEffect {
  if (cc >= 0) return { read: CC_FLAGS[cc], written: 0, undefined: 0 };
  return table.get(mn) ?? none;
}
