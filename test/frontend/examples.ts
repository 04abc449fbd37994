/**
 * Example encodings for every table entry, generated from the entry's encoding description (map,
 * opcode, ModRM constraints, operand codes): a register form and memory forms (disp8, SIB, 16-bit
 * addressing) where allowed, and an operand-size-prefixed form where the operand size matters.
 * Immediates use fixed recognisable values. The expected text for each example comes from objdump,
 * not from these generators.
 */
import { Op } from '../../src/frontend/operands.js';
import type { Entry } from '../../src/frontend/table.js';

export interface Example {
  entry: Entry;
  bytes: number[];
  what: string;
}

const V_SIZED: number[] = [Op.Ev, Op.Gv, Op.Esw, Op.eAX, Op.Zv, Op.Iz, Op.Ibs, Op.Jz, Op.Ap, Op.Ov, Op.Mv, Op.Mp, Op.Ma];

function immBytes(code: number, o16: boolean, a16: boolean): number[] {
  switch (code) {
    case Op.Ib: return [0x12];
    case Op.Ibs: return [0xf0];
    case Op.Iw: return [0x34, 0x12];
    case Op.Iz: return o16 ? [0x34, 0x12] : [0x78, 0x56, 0x34, 0x12];
    case Op.Jb: return [0x10];
    case Op.Jz: return o16 ? [0x00, 0x01] : [0x00, 0x01, 0x00, 0x00];
    case Op.Ap: return [...(o16 ? [0x34, 0x12] : [0x78, 0x56, 0x34, 0x12]), 0x10, 0x00];
    case Op.Ob: case Op.Ov: return a16 ? [0x22, 0x11] : [0x44, 0x33, 0x22, 0x11];
    default: return [];
  }
}

/** A valid ModRM reg field for the entry. */
function regField(e: Entry): number {
  if (e.modrmReg >= 0) return e.modrmReg;
  if (e.modrmByte >= 0) return (e.modrmByte >> 3) & 7;
  const ops = [e.op0, e.op1, e.op2];
  if (ops.includes(Op.Sw)) return 3; // ds
  if (ops.includes(Op.Cd)) return 3; // cr3
  if (ops.includes(Op.Dd)) return 7;
  return 2;
}

function build(e: Entry, prefixes: number[], modrmAndAddr: number[] | null, o16: boolean, a16: boolean): number[] {
  const bytes = [...prefixes];
  if (e.mandatory === 1) bytes.push(0x66);
  if (e.mandatory === 2 || e.prefixF3) bytes.push(0xf3);
  if (e.mandatory === 3) bytes.push(0xf2);
  if (e.map >= 1) bytes.push(0x0f);
  if (e.map === 2) bytes.push(0x38);
  if (e.map === 3) bytes.push(0x3a);
  bytes.push(e.opcode);
  if (modrmAndAddr) bytes.push(...modrmAndAddr);
  for (const code of [e.op0, e.op1, e.op2]) bytes.push(...immBytes(code, o16, a16));
  return bytes;
}

export function examplesFor(e: Entry): Example[] {
  const out: Example[] = [];
  const ops = [e.op0, e.op1, e.op2];
  const vSized = ops.some((c) => V_SIZED.includes(c)) || e.mandatory < 0 && !e.byteOp && e.nops === 0 && e.map === 0 && [0x60, 0x61, 0x9c, 0x9d, 0x98, 0x99, 0xcf, 0xa5, 0xa7, 0xab, 0xad, 0xaf, 0x6d, 0x6f].includes(e.opcode);
  const sizes: Array<[number[], boolean, string]> = [[[], false, '']];
  if (vSized && e.mandatory < 0) sizes.push([[0x66], true, ' o16']);
  for (const [pfx, o16, tag] of sizes) {
    if (!e.hasModrm) {
      out.push({ entry: e, bytes: build(e, pfx, null, o16, false), what: 'no modrm' + tag });
      const isString = e.nops === 0 && e.map === 0 && e.opcode >= 0xa4 && e.opcode <= 0xaf || (e.opcode >= 0x6c && e.opcode <= 0x6f && e.map === 0);
      if (ops.includes(Op.Ob) || ops.includes(Op.Ov) || isString)
        out.push({ entry: e, bytes: build(e, [...pfx, 0x67], null, o16, true), what: 'a16' + tag });
      continue;
    }
    const reg = regField(e);
    if (e.modrmByte >= 0) {
      out.push({ entry: e, bytes: build(e, pfx, [e.modrmByte], o16, false), what: 'fixed modrm' + tag });
      continue;
    }
    if (!e.memOnly) out.push({ entry: e, bytes: build(e, pfx, [0xc0 | (reg << 3) | 1], o16, false), what: 'register' + tag });
    if (!e.regOnly || e.forceReg) {
      if (e.forceReg) {
        out.push({ entry: e, bytes: build(e, pfx, [(reg << 3) | 1], o16, false), what: 'mod ignored' + tag });
        continue;
      }
      out.push({ entry: e, bytes: build(e, pfx, [0x40 | (reg << 3) | 6, 0x10], o16, false), what: 'disp8' + tag });
      out.push({ entry: e, bytes: build(e, pfx, [0x04 | (reg << 3), 0x8b], o16, false), what: 'sib' + tag });
      out.push({ entry: e, bytes: build(e, [...pfx, 0x64], [0x80 | (reg << 3) | 5, 0xfc, 0xff, 0xff, 0xff], o16, false), what: 'fs disp32' + tag });
      out.push({ entry: e, bytes: build(e, [...pfx, 0x67], [0x40 | (reg << 3) | 2, 0xf0], o16, true), what: 'a16' + tag });
    }
  }
  return out;
}
