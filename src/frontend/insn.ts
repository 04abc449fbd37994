/**
 * The decoded form of one instruction. The decoder fills a caller-owned `Insn` in place (no
 * allocation per instruction, like iced's reused `Instruction`); the interpreter, the disassembler
 * and the JIT read it. Every field is set in the constructor so V8 keeps one shape.
 *
 * Operands are stored flat in three slots (k0/v0/s0 .. k2/v2/s2) in Intel order: slot 0 is the
 * destination where there is one. At most one slot is `OpKind.Mem`; its address parts live in
 * `seg/base/index/scale/disp` and `asize`.
 */
import type { TableEntry } from './table-types.js';

export const OpKind = {
  None: 0,
  /** General register. v = encoding 0-7; for 1-byte operands 0-7 = AL CL DL BL AH CH DH BH. */
  Reg: 1,
  /** Memory at the effective address described by seg/base/index/scale/disp. s = bytes accessed
   *  (for x87: 2/4/8/10 by format; for descriptor-table ops: 6; FSAVE etc.: 0 meaning "block"). */
  Mem: 2,
  /** Immediate. v = value already sign- or zero-extended as the instruction defines, as int32. */
  Imm: 3,
  /** Relative branch target. v = signed displacement from the end of the instruction. */
  Rel: 4,
  /** Segment register. v = 0-5: ES CS SS DS FS GS. */
  Sreg: 5,
  /** Control register. v = 0-7. */
  Creg: 6,
  /** Debug register. v = 0-7. */
  Dreg: 7,
  /** x87 stack register ST(v). */
  St: 8,
  /** Far pointer immediate (JMPF/CALLF ptr16:16/32). v = offset, `farSel` = selector. */
  Far: 9,
  /** Memory offset immediate (MOV AL, moffs): address is seg:disp, like Mem with no base/index. */
  Moffs: 10,
  /** SSE register XMM(v). The subset in src/cpu/sse executes; other SSE encodings execute as #UD. */
  Xmm: 11,
} as const;
export type OpKindValue = (typeof OpKind)[keyof typeof OpKind];

/** Segment register numbers, in encoding order. */
export const Seg = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5 } as const;

/** General register numbers, in encoding order. */
export const Reg = { EAX: 0, ECX: 1, EDX: 2, EBX: 3, ESP: 4, EBP: 5, ESI: 6, EDI: 7 } as const;

/** Insn.rep values. */
export const Rep = { None: 0, Rep: 1 /* F3: REP / REPE */, Repne: 2 /* F2 */ } as const;

export class Insn {
  /** Mnemonic id (see mnemonics.ts). `Mn.INVALID` for undefined encodings (executes as #UD). */
  mn = 0;
  /** The table entry this instruction matched (flags read/written, block end, privilege...). */
  entry: TableEntry | null = null;
  /** Length in bytes, 1..15. */
  len = 0;
  /** Effective operand size in bytes for the instruction: 1 (byte forms and byte string
   *  elements), 2 or 4. x87: 2 or 4 from the 66 prefix, selecting the 16/32-bit FLDENV/FNSAVE layout. */
  osize = 4;
  /** Effective address size in bytes: 2 or 4. */
  asize = 4;
  /** Condition code 0-15 (O NO B AE E NE BE A S NS P NP L GE LE G) for Jcc/SETcc/CMOVcc/FCMOVcc. */
  cc = 0;
  /** Rep.None / Rep.Rep / Rep.Repne (last of F2/F3 wins, as on hardware). */
  rep = 0;
  /** LOCK prefix present. */
  lock = false;
  /** Segment override prefix (Seg.*) or -1. */
  segOverride = -1;

  k0 = 0; v0 = 0; s0 = 0;
  k1 = 0; v1 = 0; s1 = 0;
  k2 = 0; v2 = 0; s2 = 0;

  /** Effective segment of the memory operand (override applied; SS for EBP/ESP bases). */
  seg = 3;
  /** Base register 0-7 or -1. (16-bit addressing: BX/BP/SI/DI are 3/5/6/7.) */
  base = -1;
  /** Index register 0-7 or -1. */
  index = -1;
  /** SIB scale as a shift count 0-3. */
  scale = 0;
  /** Displacement, sign-extended to int32. */
  disp = 0;
  /** Selector of a Far operand. */
  farSel = 0;
  /** ModRM byte, or -1 when the instruction has none (the disassembler and tests use it). */
  modrm = -1;
  /** Execution slot owned by the interpreter: the handler bound to this decoded instruction
   *  (src/cpu/sem/interp-gen.ts bindHandler), or null until first executed. decode() clears it. */
  x: unknown = null;

  /** Copy every field of `o` into this (used by block builders that keep decoded instructions). */
  copyFrom(o: Insn): void {
    this.mn = o.mn; this.entry = o.entry; this.len = o.len; this.osize = o.osize; this.asize = o.asize;
    this.cc = o.cc; this.rep = o.rep; this.lock = o.lock; this.segOverride = o.segOverride;
    this.k0 = o.k0; this.v0 = o.v0; this.s0 = o.s0;
    this.k1 = o.k1; this.v1 = o.v1; this.s1 = o.s1;
    this.k2 = o.k2; this.v2 = o.v2; this.s2 = o.s2;
    this.seg = o.seg; this.base = o.base; this.index = o.index; this.scale = o.scale; this.disp = o.disp;
    this.farSel = o.farSel; this.modrm = o.modrm; this.x = o.x;
  }
}

/**
 * Where the decoder reads instruction bytes. The CPU implements it over CS:EIP with paging (a
 * fetch may raise #PF); tests implement it over a Uint8Array. `addr` is whatever the source
 * understands (linear address for the CPU), advanced by one per byte.
 */
export interface ByteSource {
  fetch8(addr: number): number;
}
