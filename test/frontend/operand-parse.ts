/**
 * Reads objdump's Intel operand text back into the operand kinds/values/sizes an Insn should hold,
 * so decoded fields can be checked against objdump independently of our own disassembler.
 */
import { OpKind } from '../../src/frontend/insn.js';

export interface ParsedOperand {
  k: number;
  /** Register number, ST index, XMM number, or -1 when not a register. */
  v: number;
  /** Size in bytes for registers and sized memory operands, -1 when objdump does not show one. */
  s: number;
}

const REGS: Array<[string[], number]> = [
  [['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'], 1],
  [['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'], 2],
  [['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'], 4],
];
const SREGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const PTR: Record<string, number> = { BYTE: 1, WORD: 2, DWORD: 4, FWORD: 6, QWORD: 8, TBYTE: 10, XMMWORD: 16 };

/** Split "a,b,c" at top-level commas. */
export function splitOperands(text: string): string[] {
  text = text.replace(/\(\d+ only\)/, ''); // fneni(8087 only)
  const sp = text.indexOf(' ');
  if (sp < 0) return [];
  let rest = text.slice(sp + 1);
  // prefixes such as "lock", "rep", "data16" precede the mnemonic
  while (/^(lock|rep|repz|repnz|data16|data32|addr16|addr32|cs|ds|es|ss|fs|gs) /.test(text) && rest.includes(' ') && !rest.startsWith('[')) {
    text = rest;
    const s2 = text.indexOf(' ');
    if (s2 < 0) return [];
    rest = text.slice(s2 + 1);
  }
  const out: string[] = [];
  let depth = 0, cur = '';
  for (const ch of rest) {
    if (ch === '[' || ch === '(') depth++;
    if (ch === ']' || ch === ')') depth--;
    if (ch === ',' && depth === 0) { out.push(cur); cur = ''; } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

export function parseOperand(t: string): ParsedOperand {
  for (const [names, size] of REGS) {
    const i = names.indexOf(t);
    if (i >= 0) return { k: OpKind.Reg, v: i, s: size };
  }
  if (SREGS.includes(t)) return { k: OpKind.Sreg, v: SREGS.indexOf(t), s: 2 };
  let m = /^cr(\d)$/.exec(t);
  if (m) return { k: OpKind.Creg, v: +m[1], s: 4 };
  m = /^dr(\d)$/.exec(t);
  if (m) return { k: OpKind.Dreg, v: +m[1], s: 4 };
  if (t === 'st') return { k: OpKind.St, v: 0, s: 10 };
  m = /^st\((\d)\)$/.exec(t);
  if (m) return { k: OpKind.St, v: +m[1], s: 10 };
  m = /^xmm(\d)$/.exec(t);
  if (m) return { k: OpKind.Xmm, v: +m[1], s: 16 };
  m = /^(\w+) PTR (.*)$/.exec(t);
  if (m) return { k: OpKind.Mem, v: -1, s: PTR[m[1]] };
  if (/^(\w\w:)?\[.*\]$/.test(t)) return { k: OpKind.Mem, v: -1, s: -1 };
  if (/^\w\w:0x[0-9a-f]+$/.test(t)) return { k: OpKind.Moffs, v: -1, s: -1 }; // or absolute Mem
  if (/^0x[0-9a-f]+:0x[0-9a-f]+$/.test(t)) return { k: OpKind.Far, v: -1, s: -1 };
  if (/^(0x[0-9a-f]+|1)$/.test(t)) return { k: OpKind.Imm, v: -1, s: -1 }; // or Rel
  throw new Error(`unparsed operand "${t}"`);
}
