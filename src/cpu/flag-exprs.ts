/**
 * The one definition of what each lazy-flag kind means (flags.ts "Kinds"), as JS expression text
 * over four names:
 *   A, B, R   the kind's first operand, second operand and result (sign-extended int32s);
 *   E         the EFLAGS bits the kind keeps (see KEPT_BITS): CF for ADC/SBB (the carry-in),
 *             INC/DEC and NONE/RES; OF and AF for RES; all six for NONE.
 * The interpreter's getters and testCC (flags.ts) are compiled from these texts at load with A, B,
 * R, E bound to `cpu.lf` and `cpu.eflags`; translated code (src/jit) inlines the same texts with
 * them bound to its flag locals. So a flag or a condition is written once for both engines.
 */
export const LfOp = { NONE: 0, ADD: 1, ADC: 2, SUB: 3, SBB: 4, INC: 5, DEC: 6, LOGIC: 7, RES: 8 } as const;
export const LF_KINDS = 9;

export const CF = 0x1;
export const PF = 0x4;
export const AF = 0x10;
export const ZF = 0x40;
export const SF = 0x80;
export const OF = 0x800;
/** The six arithmetic flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** Per kind: the arithmetic EFLAGS bits that live in EFLAGS (not in A/B/R) while it is pending. */
export const KEPT_BITS: readonly number[] = [ARITH, 0, CF, 0, CF, CF, CF, 0, CF | OF | AF];

/** Per kind, each flag as a 0/1 expression: [CF, PF, AF, ZF, SF, OF]. PF uses PARITY (0 or 4). */
const ZF_R = '(R === 0 ? 1 : 0)';
const SF_R = '(R >>> 31)';
const PF_R = '(PARITY[R & 255] >>> 2)';
const AF_ABR = '(((A ^ B ^ R) >>> 4) & 1)';
const OF_ADD = '(((A ^ R) & (B ^ R)) >>> 31)';
const OF_SUB = '(((A ^ B) & (A ^ R)) >>> 31)';
const E_CF = '(E & 1)';
export const FLAG_EXPR: readonly (readonly string[])[] = [
  /* NONE  */ [E_CF, '((E >>> 2) & 1)', '((E >>> 4) & 1)', '((E >>> 6) & 1)', '((E >>> 7) & 1)', '((E >>> 11) & 1)'],
  /* ADD   */ ['((R >>> 0) < (A >>> 0) ? 1 : 0)', PF_R, AF_ABR, ZF_R, SF_R, OF_ADD],
  // a + b + 1 carries out exactly when the result wrapped to <= a.
  /* ADC   */ ['((E & 1) !== 0 ? ((R >>> 0) <= (A >>> 0) ? 1 : 0) : (R >>> 0) < (A >>> 0) ? 1 : 0)', PF_R, AF_ABR, ZF_R, SF_R, OF_ADD],
  /* SUB   */ ['((A >>> 0) < (B >>> 0) ? 1 : 0)', PF_R, AF_ABR, ZF_R, SF_R, OF_SUB],
  /* SBB   */ ['((E & 1) !== 0 ? ((A >>> 0) <= (B >>> 0) ? 1 : 0) : (A >>> 0) < (B >>> 0) ? 1 : 0)', PF_R, AF_ABR, ZF_R, SF_R, OF_SUB],
  /* INC   */ [E_CF, PF_R, AF_ABR, ZF_R, SF_R, OF_ADD],
  /* DEC   */ [E_CF, PF_R, AF_ABR, ZF_R, SF_R, OF_SUB],
  /* LOGIC */ ['0', PF_R, '0', ZF_R, SF_R, '0'],
  /* RES   */ [E_CF, PF_R, '((E >>> 4) & 1)', ZF_R, SF_R, '((E >>> 11) & 1)'],
];
export const FlagIx = { CF: 0, PF: 1, AF: 2, ZF: 3, SF: 4, OF: 5 } as const;

/**
 * Condition cc (0-15: O NO B AE E NE BE A S NS P NP L GE LE G, SDM Vol. 1 Appendix B) for kind `op`
 * as a boolean expression. The even conditions come from the flag expressions, except where a kind
 * has a shorter equivalent (the common CMP/TEST + Jcc pairs compare the operands directly).
 */
export function condExpr(op: number, cc: number): string {
  const n = cc >> 1;
  let r: string | undefined;
  if (op === LfOp.SUB) r = [undefined, '(A >>> 0) < (B >>> 0)', 'R === 0', '(A >>> 0) <= (B >>> 0)', 'R < 0', undefined, 'A < B', 'A <= B'][n];
  else if (op === LfOp.LOGIC) r = ['false', 'false', 'R === 0', 'R === 0', 'R < 0', undefined, 'R < 0', 'R <= 0'][n];
  else if (op !== LfOp.NONE) r = [undefined, undefined, 'R === 0', undefined, 'R < 0', undefined, undefined, undefined][n];
  if (r === undefined) {
    const f = FLAG_EXPR[op];
    r = [
      `${f[5]} !== 0`,
      `${f[0]} !== 0`,
      `${f[3]} !== 0`,
      `(${f[0]} | ${f[3]}) !== 0`,
      `${f[4]} !== 0`,
      `${f[1]} !== 0`,
      `${f[4]} !== ${f[5]}`,
      `(${f[3]} !== 0 || ${f[4]} !== ${f[5]})`,
    ][n];
  }
  return (cc & 1) === 0 ? `(${r})` : `!(${r})`;
}

/** Replace the names A, B, R, E of an expression text with the given expressions. */
export function bindFlagExpr(text: string, a: string, b: string, r: string, e: string): string {
  return text.replace(/\b[ABRE]\b/g, (n) => (n === 'A' ? a : n === 'B' ? b : n === 'R' ? r : e));
}
