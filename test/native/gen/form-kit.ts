/**
 * Shared pieces of the form tables: the Form record, operand helpers (register or memory r/m with
 * its preludes), and small encoding helpers. Encodings follow the SDM Vol. 2 opcode maps.
 */
import { F, SeqBuilder } from './builder.js';
import { value32 } from './rng.js';

export interface Form {
  name: string;
  /** x87 forms: how the x87 result is compared ('tol' when the interpreter is not exact by design). */
  x87?: 'exact' | 'tol';
  /** x87 forms whose result depends on the precision the interpreter computes with (arithmetic,
   *  transcendental functions, 64-bit constants): at most one of them in a 'tol' sequence, last. */
  rounds?: boolean;
  gen(b: SeqBuilder): void;
}

export const SZ = [1, 2, 4] as const;
export const bits = (s: number): number => s * 8;
export const p66 = (s: number): number[] => (s === 2 ? [0x66] : []);
/** Low opcode bit: 0 for byte operands, 1 for word/dword. */
export const w = (s: number): number => (s === 1 ? 0 : 1);
export const modrmReg = (reg: number, rm: number): number => 0xc0 | ((reg & 7) << 3) | (rm & 7);
export const mask = (s: number): number => (s === 4 ? -1 : s === 2 ? 0xffff : 0xff);

/** A list of forms with an `add` helper. */
export function formList(): { forms: Form[]; add: (name: string, gen: (b: SeqBuilder) => void) => void } {
  const forms: Form[] = [];
  return { forms, add: (name, gen) => void forms.push({ name, gen }) };
}

/**
 * An r/m operand, register or memory. Emits the memory preludes (if any) and returns the ModRM
 * tail for `regField` plus the prefixes that belong before the opcode (segment override).
 */
export function rmOperand(b: SeqBuilder, mem: boolean, size: number, regField: number, write: boolean, lock = false): { pre: number[]; tail: number[]; reg: number; off: number } {
  if (!mem) {
    const r = b.reg(size);
    return { pre: [], tail: [modrmReg(regField, r)], reg: r, off: -1 };
  }
  const off = b.dataOff(size);
  b.patchValue(off, size);
  const tail = b.memAt(off, regField);
  const pre = [...(lock ? [0xf0] : []), ...b.segPrefix(write)];
  return { pre, tail, reg: -1, off };
}


/**
 * Selectors for segment-register loads: mostly the user data selector, sometimes one that faults
 * or loads something unusual, always one whose descriptor (or absence) is the same natively and in
 * the interpreter's GDT: the code segment (readable: fine in DS/ES/FS/GS, #GP(sel) in SS), RPL
 * variants (SS needs RPL = CPL), null selectors (fine except in SS: #GP(0)), a selector beyond
 * both GDT limits (#GP(sel)).
 */
export function segSelector(b: SeqBuilder, ss: boolean): number {
  if (b.rng.chance(0.7)) return USER_DS_SEL;
  return b.rng.pick(ss ? [USER_DS_SEL, 0x28, 0x29, 0x2a, 0x23, 0, 3, 0xfff8] : [0x23, 0x20, 0x21, 0x22, 0x28, 0x29, 0x2a, 0, 1, 2, 3, 0xfff8, 0xfffb]);
}
const USER_DS_SEL = 0x2b;

export const CC_FLAGS = [F.OF, F.OF, F.CF, F.CF, F.ZF, F.ZF, F.CF | F.ZF, F.CF | F.ZF, F.SF, F.SF, F.PF, F.PF, F.SF | F.OF, F.SF | F.OF, F.ZF | F.SF | F.OF, F.ZF | F.SF | F.OF];

/** A filler that changes a register but no flag (so both paths of a branch leave flags alike). */
export function filler(b: SeqBuilder): number[] {
  const r = b.reg32();
  return b.rng.chance(0.5) ? [0xb8 + r, ...b.imm(value32(b.rng), 4)] : [0xf7, modrmReg(2, r)]; // mov / not
}
