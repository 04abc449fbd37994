/**
 * The shape of one instruction-table entry. The table itself (table.ts and friends) is the single
 * source of truth for the decoder, disassembler, interpreter and JIT (DESIGN.md "One instruction
 * table"). Owned by the frontend; other layers only read these fields.
 */

/** EFLAGS bits as used in the flag masks of the table (same positions as in EFLAGS). */
export const Flag = {
  CF: 1 << 0,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  /** The six arithmetic flags. */
  ARITH: (1 << 0) | (1 << 2) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 11),
} as const;

export interface TableEntry {
  /** Dense id of the entry (index in the table). */
  id: number;
  /** Mnemonic id (mnemonics.ts). */
  mn: number;
  /** EFLAGS bits read / written / left undefined (Flag.*). `flagsWritten` includes the undefined
   *  ones (every flag the instruction may change); instructions that leave flags unchanged in some
   *  cases (shifts by a zero count) also list those flags in `flagsRead` (see flag-effects.ts). */
  flagsRead: number;
  flagsWritten: number;
  flagsUndefined: number;
  /** Requires CPL 0 (raises #GP(0) otherwise). */
  privileged: boolean;
  /** Ends a basic block (branches, far transfers, INT, IRET, HLT, mode changes, serialising...). */
  blockEnd: boolean;
  /** Translated code ends after it: a block end, or an instruction that changes a mode bit, an
   *  interrupt window or device state (attribute `stop`). */
  unitEnd: boolean;
  /** Translated code runs it inline (its semantic template), not as a handler call (the `call`
   *  attribute clears it; x87 and SSE entries are all calls). */
  jitInline: boolean;
  /** Free-form extra data the frontend may use (encoding text for tests and docs, etc.). */
  [extra: string]: unknown;
}
