/**
 * Operand codes of the instruction table: how each operand of an entry is encoded and sized.
 * The notation follows the operand-addressing codes of the SDM opcode map (Vol. 2D Appendix A.2:
 * E = ModRM r/m, G = ModRM reg, I = immediate, J = relative, O = moffs, M = memory only,
 * R = register only, C/D = control/debug register, S = segment register; size suffixes
 * b = byte, w = word, d = dword, v = operand size, z = word or dword immediate).
 *
 * The table (table-*.ts) writes operands by name ("Ev", "Gv"); the decoder switches on the number.
 */
export const Op = {
  None: 0,
  // ModRM r/m: register or memory
  Eb: 1, Ew: 2, Ed: 3, Ev: 4,
  /** r/m16 for memory, operand-size register for register forms (MOV r/m,Sreg; SLDT; STR; SMSW). */
  Esw: 5,
  // ModRM reg field: general register
  Gb: 6, Gw: 7, Gd: 8, Gv: 9,
  // ModRM r/m, memory only; the suffix is the access size
  /** Address only, nothing accessed (LEA). */
  M0: 10,
  Mb: 11, Mw: 12, Md: 13, Mq: 14,
  /** 10 bytes (x87 80-bit real, packed BCD). */
  Mt: 15,
  Mv: 16,
  /** Far pointer m16:16 / m16:32: operand size + 2. */
  Mp: 17,
  /** Descriptor-table pseudo-descriptor (LGDT/SGDT...): 6 bytes. */
  Ms: 18,
  /** BOUND pair: 2 * operand size. */
  Ma: 19,
  /** A block whose layout depends on the operand size (FLDENV, FNSAVE...): size 0. */
  Mblk: 20,
  /** FXSAVE area: 512 bytes. */
  M512: 21,
  // ModRM r/m, register only (the mod bits are ignored for MOV CR/DR: SDM Vol. 2B "MOV—Move to/from Control Registers")
  Rd: 22,
  Cd: 23, Dd: 24, Sw: 25,
  // immediates and relative targets
  /** imm8, zero-extended, size 1. */
  Ib: 26,
  /** imm8 sign-extended to the operand size (83 /x, 6A, 6B). */
  Ibs: 27,
  /** imm16, zero-extended, size 2. */
  Iw: 28,
  /** imm16 or imm32 by operand size. */
  Iz: 29,
  Jb: 30, Jz: 31,
  /** ptr16:16 / ptr16:32 (far JMP/CALL). */
  Ap: 32,
  /** moffs: disp of the address size, access size 1 / operand size. */
  Ob: 33, Ov: 34,
  // fixed registers
  AL: 35, CL: 36, DX: 37, eAX: 38, AX: 39,
  /** Register in the low 3 bits of the opcode: byte / operand size. */
  Zb: 40, Zv: 41,
  /** The constant 1 (shift by one). */
  One: 42,
  sES: 43, sCS: 44, sSS: 45, sDS: 46, sFS: 47, sGS: 48,
  // x87
  ST0: 49, STi: 50,
  // SSE (a subset executes in src/cpu/sse; the rest decodes for length and disassembly; see table-sse.ts)
  /** XMM register in ModRM reg. */
  Vx: 51,
  /** XMM register or 16-byte memory / 8-byte memory / 4-byte memory in ModRM r/m. */
  Wx: 52, Wq: 53, Wd: 54,
  /** XMM register in ModRM r/m, register form only. */
  Ux: 55,
  /** 16-byte memory only. */
  Mx: 56,
  /** General register of the operand size in ModRM r/m, register form only (RDRAND). */
  Rv: 57,
} as const;

export type OpCode = (typeof Op)[keyof typeof Op];

/** Name -> code, for the table parser. */
export const opByName: ReadonlyMap<string, number> = new Map(Object.entries(Op));

/** True for operands taken from ModRM r/m that must be memory. */
export function isMemOnly(code: number): boolean {
  return (code >= Op.M0 && code <= Op.M512) || code === Op.Mx;
}

/** True for operands taken from ModRM r/m that must be a register. */
export function isRegOnly(code: number): boolean {
  return code === Op.Rd || code === Op.STi || code === Op.Ux || code === Op.Rv;
}

/** True for operands that use the ModRM byte (reg or r/m). */
export function usesModrm(code: number): boolean {
  return (code >= Op.Eb && code <= Op.Sw) || code === Op.STi || (code >= Op.Vx && code <= Op.Rv);
}

/** True for byte-sized data operands (the instruction's operand size is then 1). */
export function isByteOperand(code: number): boolean {
  return code === Op.Eb || code === Op.Gb || code === Op.AL || code === Op.Zb || code === Op.Ob || code === Op.Mb;
}
