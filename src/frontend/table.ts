/**
 * The instruction table: parses the encoding lines of table-int.ts and table-x87.ts into
 * `Entry` records and builds the dense lookup arrays the decoder indexes (no search at decode time).
 *
 *   const e = entries[lookupModrm[(opcode << 7) | (isReg << 6) | (modrm & 0x3f)]];
 *
 * `opcode` is 0-255 for the one-byte map, 256-511 for the 0F map, 512-767 for 0F 38 and 768-1023
 * for 0F 3A. Opcodes without a ModRM byte are found in `lookupDirect[opcode]` (-1 there means "has
 * ModRM"). Opcodes whose meaning depends on a mandatory prefix (SSE: `opcodePrefixed[op]`) index
 * `lookupPrefixed[(pfx << 17) | (opcode << 7) | ...]` with pfx 0 none, 1 = 66, 2 = F3, 3 = F2.
 * Entry 0 is the INVALID entry.
 */
import { Mn, type MnemonicName } from './mnemonics.js';
import { Op, opByName, isByteOperand, isMemOnly, isRegOnly, usesModrm } from './operands.js';
import { Flag, type TableEntry } from './table-types.js';
import { flagEffect } from './flag-effects.js';
import { INT_TABLE } from './table-int.js';
import { X87_TABLE } from './table-x87.js';
import { SSE_TABLE } from './table-sse.js';

/** A table entry with the encoding details the decoder and disassembler need. Fixed shape. */
export interface Entry extends TableEntry {
  /** The table line this entry came from (after range expansion: `40+r` gives 8 lines). */
  enc: string;
  /** 0 = one-byte map, 1 = 0F map, 2 = 0F 38, 3 = 0F 3A. */
  map: number;
  opcode: number;
  /** ModRM reg field this entry requires, or -1. */
  modrmReg: number;
  /** Full ModRM byte (register forms like `0F 01 C1`), or -1. */
  modrmByte: number;
  hasModrm: boolean;
  /** Mandatory F3 prefix (PAUSE). */
  prefixF3: boolean;
  /** Mandatory-prefix class for SSE entries: -1 none required, 0 = no 66/F2/F3, 1 = 66, 2 = F3, 3 = F2. */
  mandatory: number;
  /** Operand codes (operands.ts), Intel order. */
  op0: number; op1: number; op2: number;
  nops: number;
  /** Condition code from the opcode's low bits / the table, or -1. */
  cc: number;
  /** LOCK allowed (with a memory destination). */
  lockable: boolean;
  /** Element size is one byte (Insn.osize = 1). */
  byteOp: boolean;
  /** The r/m operand must be memory / must be a register. */
  memOnly: boolean;
  regOnly: boolean;
  /** The mod bits are ignored and r/m always names a register (MOV CR/DR). */
  forceReg: boolean;
  /** Disassembler spelling when it is not derived from the mnemonic ('' otherwise). */
  name: string;
}

export const entries: Entry[] = [];
export const lookupDirect = new Int16Array(1024).fill(-1);
export const lookupModrm = new Uint16Array(1024 * 128);
export const lookupPrefixed = new Uint16Array(4 * 1024 * 128);
/** Which opcodes take a ModRM byte (1) or not (0). */
export const opcodeHasModrm = new Uint8Array(1024);
/** Which opcodes select their entry by mandatory prefix. */
export const opcodePrefixed = new Uint8Array(1024);
export let pauseEntryId = 0;

function makeEntry(enc: string, mn: number): Entry {
  return {
    id: entries.length, mn, flagsRead: 0, flagsWritten: 0, flagsUndefined: 0, privileged: false, blockEnd: false,
    enc, map: 0, opcode: 0, modrmReg: -1, modrmByte: -1, hasModrm: false, prefixF3: false, mandatory: -1,
    op0: 0, op1: 0, op2: 0, nops: 0, cc: -1, lockable: false, byteOp: false, memOnly: false, regOnly: false,
    forceReg: false, name: '', unitEnd: false, jitInline: false,
  };
}

/** Entry 0: undefined encodings (execute as #UD). */
export const INVALID_ENTRY = makeEntry('(undefined)', Mn.INVALID);
INVALID_ENTRY.blockEnd = true;
INVALID_ENTRY.unitEnd = true;
entries.push(INVALID_ENTRY);

function parseLine(line: string, allCall = false): void {
  const tokens = line.trim().split(/\s+/);
  let t = 0;
  let prefixF3 = false;
  let mandatory = -1;
  const pfxTok = ['NP', '66', 'F3', 'F2'].indexOf(tokens[0]);
  if (pfxTok >= 0 && tokens[1] === '0F') { mandatory = pfxTok; t++; }
  else if (tokens[0] === 'F3' && /^[0-9A-F]{2}$/.test(tokens[1])) { prefixF3 = true; t++; }
  let map = 0;
  if (tokens[t] === '0F') {
    map = 1; t++;
    if (tokens[t] === '38' || tokens[t] === '3A') { map = tokens[t] === '38' ? 2 : 3; t++; }
  }
  const opTok = tokens[t++];
  let opRange = 1, ccRange = false;
  let opcode: number;
  if (opTok.endsWith('+r')) { opcode = parseInt(opTok, 16); opRange = 8; }
  else if (opTok.endsWith('+cc')) { opcode = parseInt(opTok, 16); opRange = 16; ccRange = true; }
  else opcode = parseInt(opTok, 16);
  let modrmReg = -1, modrmByte = -1, modrmRange = 1, hasModrm = false;
  const m = tokens[t];
  if (m === '/r') { hasModrm = true; t++; }
  else if (/^\/[0-7]$/.test(m)) { hasModrm = true; modrmReg = +m[1]; t++; }
  else if (/^[0-9A-F]{2}(\+i)?$/.test(m)) {
    hasModrm = true; modrmByte = parseInt(m, 16); if (m.endsWith('+i')) modrmRange = 8; t++;
  }
  const mnTok = tokens[t++];
  if (!(mnTok in Mn)) throw new Error(`table: unknown mnemonic in "${line}"`);
  const mn = Mn[mnTok as MnemonicName];
  const opsTok = tokens[t] !== undefined && (tokens[t] === '-' || /^[A-Za-z0-9]+(,[A-Za-z0-9]+)*$/.test(tokens[t]) && opByName.has(tokens[t].split(',')[0]))
    ? tokens[t++] : '-';
  const ops = opsTok === '-' ? [] : opsTok.split(',').map((n) => {
    const c = opByName.get(n);
    if (c === undefined) throw new Error(`table: unknown operand ${n} in "${line}"`);
    return c;
  });
  const attrs = tokens.slice(t);
  for (const a of attrs) if (!/^(lock|b|priv|end|stop|call|name=\S+|cc=\d+)$/.test(a)) throw new Error(`table: bad attribute ${a} in "${line}"`);
  const nameAttr = attrs.find((a) => a.startsWith('name='));
  const ccAttr = attrs.find((a) => a.startsWith('cc='));

  for (let k = 0; k < opRange; k++) {
    for (let j = 0; j < modrmRange; j++) {
      const e = makeEntry(line.trim(), mn);
      e.map = map; e.opcode = opcode + k; e.modrmReg = modrmReg;
      e.modrmByte = modrmByte < 0 ? -1 : modrmByte + j;
      e.hasModrm = hasModrm || ops.some(usesModrm); e.prefixF3 = prefixF3; e.mandatory = mandatory;
      e.op0 = ops[0] ?? 0; e.op1 = ops[1] ?? 0; e.op2 = ops[2] ?? 0; e.nops = ops.length;
      e.cc = ccRange ? k : ccAttr ? +ccAttr.slice(3) : -1;
      e.lockable = attrs.includes('lock');
      e.byteOp = attrs.includes('b') || (ops.length > 0 && isByteOperand(ops[0]) && mn !== Mn.MOVZX && mn !== Mn.MOVSX);
      e.memOnly = ops.some(isMemOnly);
      e.regOnly = ops.some(isRegOnly) || modrmByte >= 0;
      e.forceReg = ops.includes(Op.Rd);
      e.privileged = attrs.includes('priv');
      e.blockEnd = attrs.includes('end') || mn === Mn.INVALID;
      e.unitEnd = e.blockEnd || attrs.includes('stop');
      e.jitInline = !allCall && !attrs.includes('call');
      e.name = nameAttr ? nameAttr.slice(5).replace(/_/g, ' ') : '';
      const fx = flagEffect(mn, e.cc);
      e.flagsRead = fx.read; e.flagsWritten = fx.written; e.flagsUndefined = fx.undefined;
      // Shifts and rotates define OF only for a count of 1 (SDM Vol. 2B SAL/SAR/SHL/SHR, RCL/RCR/
      // ROL/ROR, SHLD, SHRD): with a count from CL or an immediate it may be left undefined.
      if (isShiftOrRotate(mn) && !ops.includes(Op.One)) e.flagsUndefined |= Flag.OF;
      if (opRange > 1 && !ccRange) e.enc = `${e.enc} [${(e.opcode).toString(16).toUpperCase()}]`;
      if (ccRange) e.enc = `${e.enc} [cc=${k}]`;
      if (modrmRange > 1) e.enc = `${e.enc} [modrm=${e.modrmByte.toString(16).toUpperCase()}]`;
      entries.push(e);
      place(e);
    }
  }
}

const SHIFTS_AND_ROTATES: readonly number[] = [Mn.ROL, Mn.ROR, Mn.RCL, Mn.RCR, Mn.SHL, Mn.SHR, Mn.SAL, Mn.SAR, Mn.SHLD, Mn.SHRD];

function isShiftOrRotate(mn: number): boolean {
  return SHIFTS_AND_ROTATES.includes(mn);
}

function place(e: Entry): void {
  const op = (e.map << 8) | e.opcode;
  if (e.prefixF3) { pauseEntryId = e.id; return; }
  if ((e.mandatory >= 0) !== (opcodePrefixed[op] === 1) && (opcodeHasModrm[op] || lookupDirect[op] >= 0))
    throw new Error(`table: opcode ${op.toString(16)} mixes mandatory-prefix and plain entries`);
  if (e.mandatory >= 0) {
    if (!e.hasModrm) throw new Error(`table: mandatory-prefix entry without ModRM "${e.enc}"`);
    opcodePrefixed[op] = 1;
    opcodeHasModrm[op] = 1;
    fill(lookupPrefixed, (e.mandatory << 17) | (op << 7), e);
    return;
  }
  if (e.hasModrm) {
    if (lookupDirect[op] >= 0) throw new Error(`table: opcode ${op.toString(16)} both with and without ModRM`);
    opcodeHasModrm[op] = 1;
    fill(lookupModrm, op << 7, e);
  } else {
    if (opcodeHasModrm[op]) throw new Error(`table: opcode ${op.toString(16)} both with and without ModRM`);
    if (lookupDirect[op] >= 0) throw new Error(`table: duplicate encoding "${e.enc}"`);
    lookupDirect[op] = e.id;
  }
}

/** Fill the 128 (isReg, reg, rm) slots at `at` that entry `e` matches. */
function fill(table: Uint16Array, at: number, e: Entry): void {
  for (let isReg = 0; isReg < 2; isReg++) {
    if (isReg && e.memOnly) continue;
    if (!isReg && e.regOnly && !e.forceReg) continue;
    for (let reg = 0; reg < 8; reg++) {
      if (e.modrmReg >= 0 && reg !== e.modrmReg) continue;
      if (e.modrmByte >= 0 && reg !== ((e.modrmByte >> 3) & 7)) continue;
      for (let rm = 0; rm < 8; rm++) {
        if (e.modrmByte >= 0 && rm !== (e.modrmByte & 7)) continue;
        const slot = at | (isReg << 6) | (reg << 3) | rm;
        if (table[slot] !== 0) throw new Error(`table: duplicate encoding "${e.enc}" vs "${entries[table[slot]].enc}"`);
        table[slot] = e.id;
      }
    }
  }
}

for (const line of INT_TABLE) parseLine(line);
// x87 and SSE instructions stay handler calls in translated code (issue 17: they may).
for (const line of X87_TABLE) parseLine(line, true);
for (const line of SSE_TABLE) parseLine(line, true);
// Opcodes with no entry at all: undefined without a ModRM byte (len = opcode bytes).
for (let op = 0; op < 1024; op++) if (!opcodeHasModrm[op] && lookupDirect[op] < 0) lookupDirect[op] = 0;
// Prefix bytes and the 0F escape never reach the lookup.
