/**
 * Mnemonic ids: the semantic family of an instruction, shared by the decoder, the disassembler,
 * the interpreter and the JIT. One id per *semantics*, not per spelling: `Jcc`, `SETcc`, `CMOVcc`
 * and `FCMOVcc` carry their condition in `Insn.cc`; `CBW` is `cwde` at 32-bit operand size; string
 * instructions carry their element size in `Insn.osize`. The disassembler owns the spellings.
 *
 * Numbers are dense (0..N-1) so handler tables can be plain arrays indexed by id.
 */
const names = [
  'INVALID', // undefined encoding: executes as #UD

  // ---- integer: data movement
  'MOV', 'MOVSEG', 'MOVCR', 'MOVDR', 'MOVZX', 'MOVSX', 'XCHG', 'BSWAP', 'XADD', 'CMPXCHG', 'CMPXCHG8B',
  'PUSH', 'POP', 'PUSHA', 'POPA', 'PUSHF', 'POPF', 'LEA', 'LDS', 'LES', 'LFS', 'LGS', 'LSS',
  'CBW', 'CWD', 'LAHF', 'SAHF', 'XLAT', 'CMOVcc', 'SETcc', 'IN', 'OUT',

  // ---- integer: arithmetic and logic (the order of the first eight is the ModRM /reg order of 80-83)
  'ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP',
  'INC', 'DEC', 'NEG', 'NOT', 'TEST', 'MUL', 'IMUL', 'DIV', 'IDIV',
  'DAA', 'DAS', 'AAA', 'AAS', 'AAM', 'AAD', 'SALC',

  // ---- shifts and rotates (ModRM /reg order of C0/C1/D0-D3)
  'ROL', 'ROR', 'RCL', 'RCR', 'SHL', 'SHR', 'SAL', 'SAR', 'SHLD', 'SHRD',

  // ---- bits
  'BT', 'BTS', 'BTR', 'BTC', 'BSF', 'BSR',

  // ---- control flow
  'JMP', 'JMPF', 'Jcc', 'JCXZ', 'LOOP', 'LOOPE', 'LOOPNE', 'CALL', 'CALLF', 'RET', 'RETF',
  'INT', 'INT3', 'INTO', 'INT1', 'IRET', 'ENTER', 'LEAVE', 'BOUND',

  // ---- strings (element size in Insn.osize; REP/REPE/REPNE in Insn.rep)
  'MOVS', 'CMPS', 'STOS', 'LODS', 'SCAS', 'INS', 'OUTS',

  // ---- flags
  'CLC', 'STC', 'CMC', 'CLD', 'STD', 'CLI', 'STI',

  // ---- system
  'HLT', 'NOP', 'PAUSE', 'WAIT', 'UD2', 'CPUID', 'RDTSC', 'RDMSR', 'WRMSR', 'RDPMC', 'SYSENTER', 'SYSEXIT',
  'LGDT', 'LIDT', 'SGDT', 'SIDT', 'LLDT', 'SLDT', 'LTR', 'STR', 'LMSW', 'SMSW', 'INVLPG', 'CLTS',
  'LAR', 'LSL', 'VERR', 'VERW', 'ARPL', 'INVD', 'WBINVD', 'RSM', 'VMCALL', 'FXSAVE', 'FXRSTOR',
  'PREFETCH', 'LFENCE', 'MFENCE', 'SFENCE', 'CLFLUSH',

  // ---- x87 (ST(i) operands are OpKind.St; memory operands carry their format in the operand size)
  'FLD', 'FST', 'FSTP', 'FILD', 'FIST', 'FISTP', 'FBLD', 'FBSTP', 'FXCH', 'FCMOVcc',
  'FADD', 'FADDP', 'FIADD', 'FSUB', 'FSUBP', 'FISUB', 'FSUBR', 'FSUBRP', 'FISUBR',
  'FMUL', 'FMULP', 'FIMUL', 'FDIV', 'FDIVP', 'FIDIV', 'FDIVR', 'FDIVRP', 'FIDIVR',
  'FCOM', 'FCOMP', 'FCOMPP', 'FICOM', 'FICOMP', 'FUCOM', 'FUCOMP', 'FUCOMPP',
  'FCOMI', 'FCOMIP', 'FUCOMI', 'FUCOMIP', 'FTST', 'FXAM',
  'FCHS', 'FABS', 'FSQRT', 'FSCALE', 'FPREM', 'FPREM1', 'FRNDINT', 'FXTRACT',
  'F2XM1', 'FYL2X', 'FYL2XP1', 'FPTAN', 'FPATAN', 'FSIN', 'FCOS', 'FSINCOS',
  'FLD1', 'FLDL2T', 'FLDL2E', 'FLDPI', 'FLDLG2', 'FLDLN2', 'FLDZ',
  'FINCSTP', 'FDECSTP', 'FFREE', 'FFREEP', 'FNOP',
  'FNINIT', 'FNCLEX', 'FLDCW', 'FNSTCW', 'FNSTSW', 'FLDENV', 'FNSTENV', 'FRSTOR', 'FNSAVE',

  // ---- added later (appended so that existing ids stay the same)
  'RDTSCP',
  // SSE/SSE2 subset (src/cpu/sse): one id per family, the disassembler spelling comes from `name=`.
  // MOVAPS = aligned 16-byte moves (MOVAPS/MOVAPD/MOVDQA), MOVUPS = unaligned ones (MOVUPS/MOVUPD/
  // MOVDQU), MOVD_XMM/MOVQ_XMM = 66 0F 6E/7E and F3 0F 7E / 66 0F D6, XORPS = bitwise XOR
  // (XORPS/XORPD/PXOR).
  'MOVAPS', 'MOVUPS', 'MOVD_XMM', 'MOVQ_XMM', 'LDMXCSR', 'STMXCSR', 'XORPS', 'EMMS',
] as const;

export type MnemonicName = (typeof names)[number];

/** `Mn.ADD` etc.: numeric ids. Declared `as const` style (no TS enum: see STYLE.md §11). */
export const Mn = Object.fromEntries(names.map((n, i) => [n, i])) as { readonly [K in MnemonicName]: number };

/** Id -> name, for diagnostics and the disassembler's fallbacks. */
export const mnemonicName: readonly MnemonicName[] = names;

export const MNEMONIC_COUNT = names.length;
