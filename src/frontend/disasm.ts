/**
 * Disassembler: Intel syntax text of a decoded instruction, close to GNU objdump `-d -M intel`
 * (spellings, `DWORD PTR` size keywords, `ds:0x...` absolute addresses, hex immediates printed
 * unsigned at their operand size, branch targets as absolute addresses).
 *
 *   decode(insn, src, addr, true);
 *   formatInsn(insn, addr)   // "mov eax,DWORD PTR [ebp-0x4]"
 *   disassembleRange(src, addr, 10)   // [{ addr, len, hex: "8b 45 fc", text }, ...]
 *
 * One space separates mnemonic and operands (objdump pads to a column; tests collapse whitespace).
 * Allocates strings: for tools, traces and tests, not for the execution hot path.
 */
import { Insn, OpKind, Rep, type ByteSource } from './insn.js';
import { decode } from './decoder.js';
import { Mn, mnemonicName } from './mnemonics.js';
import { Op } from './operands.js';
import type { Entry } from './table.js';

const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const CC = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];
/** FCMOVcc spellings by condition (only B, E, BE, U and their negations exist). */
const FCC: Record<number, string> = { 2: 'b', 3: 'nb', 4: 'e', 5: 'ne', 6: 'be', 7: 'nbe', 10: 'u', 11: 'nu' };
const SIZE_PTR: Record<number, string> = {
  1: 'BYTE PTR ', 2: 'WORD PTR ', 4: 'DWORD PTR ', 6: 'FWORD PTR ', 8: 'QWORD PTR ', 10: 'TBYTE PTR ', 16: 'XMMWORD PTR ',
};

export function regName(r: number, size: number): string {
  return size === 1 ? REG8[r] : size === 2 ? REG16[r] : REG32[r];
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** Unsigned hex of `v` truncated to `size` bytes. */
function hexSized(v: number, size: number): string {
  if (size === 1) return hex(v & 0xff);
  if (size === 2) return hex(v & 0xffff);
  return hex(v);
}

function signedHex(v: number): string {
  return v < 0 ? '-0x' + (-v >>> 0).toString(16) : '+0x' + v.toString(16);
}

/**
 * The mnemonic as objdump spells it for this instance (operand size, condition, prefixes).
 * Stack-size-dependent forms get a w/d suffix when the operand size differs from the code
 * segment's default (`pushw` in 32-bit code, `pushad` in 16-bit code).
 */
export function mnemonicText(i: Insn, code32 = true): string {
  const e = i.entry as Entry | null;
  const o16 = i.osize === 2;
  const sfx = i.osize === (code32 ? 4 : 2) ? '' : o16 ? 'w' : 'd';
  if (e !== null && e.name !== '') return e.name === 'xbegin' ? 'xbegin' + sfx : e.name;
  switch (i.mn) {
    case Mn.INVALID: return '(bad)';
    case Mn.Jcc: return 'j' + CC[i.cc];
    case Mn.SETcc: return 'set' + CC[i.cc];
    case Mn.CMOVcc: return 'cmov' + CC[i.cc];
    case Mn.FCMOVcc: return 'fcmov' + FCC[i.cc];
    case Mn.MOVSEG: case Mn.MOVCR: case Mn.MOVDR: return 'mov';
    case Mn.CBW: return o16 ? 'cbw' : 'cwde';
    case Mn.CWD: return o16 ? 'cwd' : 'cdq';
    case Mn.PUSHA: return 'pusha' + sfx;
    case Mn.POPA: return 'popa' + sfx;
    case Mn.PUSHF: return 'pushf' + sfx;
    case Mn.POPF: return 'popf' + sfx;
    case Mn.IRET: return 'iret' + sfx;
    case Mn.JCXZ: return i.asize === 2 ? 'jcxz' : 'jecxz';
    case Mn.JMPF: return 'jmp';
    case Mn.CALLF: return 'call';
    case Mn.WAIT: return 'fwait';
    case Mn.BSF: return i.rep === Rep.Rep ? 'tzcnt' : 'bsf';
    case Mn.BSR: return i.rep === Rep.Rep ? 'lzcnt' : 'bsr';
    case Mn.INT1: return 'int1';
    case Mn.SALC: return 'salc';
    case Mn.SAL: return 'shl'; // C0-D3 /6 is an alias of /4; objdump spells both shl
    case Mn.LGDT: case Mn.LIDT: case Mn.SGDT: case Mn.SIDT:
      return mnemonicName[i.mn].toLowerCase() + (o16 ? 'w' : 'd');
    case Mn.RET: return 'ret' + sfx;
    case Mn.RETF: return 'retf' + sfx;
    case Mn.ENTER: return 'enter' + sfx;
    case Mn.LEAVE: return 'leave' + sfx;
    case Mn.FLDENV: case Mn.FNSTENV: case Mn.FRSTOR: case Mn.FNSAVE:
      return mnemonicName[i.mn].toLowerCase() + sfx;
    case Mn.POP: return i.k0 === OpKind.Sreg ? 'pop' + sfx : 'pop';
    case Mn.PUSH: return i.k0 === OpKind.Imm || i.k0 === OpKind.Sreg ? 'push' + sfx : 'push';
    case Mn.CALL: return i.k0 === OpKind.Rel ? 'call' + sfx : 'call';
    case Mn.JMP: return e !== null && e.op0 === Op.Jz ? 'jmp' + sfx : 'jmp';
    default: return mnemonicName[i.mn].toLowerCase();
  }
}

/** Address part of a memory operand: "[ebx+esi*4+0x10]" or "ds:0x1234" (segment prefix included). */
function address(i: Insn): string {
  // A DS override on an indirect near branch is CET's NOTRACK prefix (shown as such, see formatInsn).
  const segPrefix = i.segOverride >= 0 && !isNotrack(i) ? SREG[i.segOverride] + ':' : '';
  const regs = i.asize === 2 ? REG16 : REG32;
  const mod = i.modrm >> 6;
  const hasSib = i.asize === 4 && (i.modrm & 7) === 4 && mod !== 3;
  if (i.base < 0 && i.index < 0 && !hasSib) {
    return (segPrefix || 'ds:') + hexSized(i.disp, i.asize);
  }
  let s = '';
  if (i.base >= 0) s = regs[i.base];
  if (i.index >= 0) s += (s ? '+' : '') + regs[i.index] + (i.asize === 4 ? '*' + (1 << i.scale) : '');
  // A SIB byte with no index (100b) shows as "eiz" unless it is the plain [esp] form.
  else if (hasSib && (i.base !== 4 || i.scale !== 0)) s += (s ? '+' : '') + 'eiz*' + (1 << i.scale);
  // A displacement is shown when encoded (mod 1/2, or SIB without base), even when zero.
  if (mod === 1 || mod === 2 || i.base < 0) {
    if (i.asize === 2) s += signedHex((i.disp << 16) >> 16);
    else s += signedHex(i.disp);
  }
  return segPrefix + '[' + s + ']';
}

/** Text of operand slot `slot`. `code` is the table's operand code (for ST vs ST(i) spelling). */
function operandText(i: Insn, addr: number, k: number, v: number, s: number, code: number, code32: boolean): string {
  switch (k) {
    case OpKind.Reg:
      // A 16-bit selector source in a register is shown at the operand size (mov gs,eax; lar eax,ecx).
      if (code === Op.Ew && (i.mn === Mn.MOVSEG || i.mn === Mn.LAR || i.mn === Mn.LSL)) return regName(v, i.osize);
      return regName(v, s);
    case OpKind.Mem: return memSizePrefix(i, s) + address(i);
    case OpKind.Imm: return code === Op.One ? '1' : hexSized(v, s);
    case OpKind.Rel: {
      const target = (addr + i.len + v) | 0;
      // As objdump shows targets: rel8 is never wrapped; a 16-bit rel16 target wraps at 64 KiB,
      // keeping the bits of the address above the low 16 in 16-bit code (right when CS's base is
      // 64 KiB aligned) and dropping them when a 66 prefix shrinks the size in 32-bit code.
      if (code === Op.Jb || i.osize !== 2) return hex(target);
      return hex((code32 ? 0 : (addr + i.len) & ~0xffff) | (target & 0xffff));
    }
    case OpKind.Sreg: return SREG[v] ?? '?';
    case OpKind.Creg: return 'cr' + v;
    case OpKind.Dreg: return 'dr' + v;
    case OpKind.St: return code === Op.ST0 ? 'st' : 'st(' + v + ')';
    case OpKind.Far: return hex(i.farSel & 0xffff) + ':' + hexSized(v, i.osize);
    case OpKind.Moffs: return (i.segOverride >= 0 ? SREG[i.segOverride] : 'ds') + ':' + hexSized(i.disp, i.asize);
    case OpKind.Xmm: return 'xmm' + v;
    default: return '?';
  }
}

/** objdump omits the size keyword where the mnemonic implies it. */
function memSizePrefix(i: Insn, s: number): string {
  switch (i.mn) {
    case Mn.LEA: case Mn.FLDENV: case Mn.FNSTENV: case Mn.FRSTOR: case Mn.FNSAVE: case Mn.FXSAVE: case Mn.FXRSTOR:
    case Mn.SGDT: case Mn.SIDT: case Mn.LGDT: case Mn.LIDT:
      return '';
    default:
      return SIZE_PTR[s] ?? '';
  }
}

/** Implicit string-instruction operands as objdump prints them: "DWORD PTR es:[edi],eax". */
function stringOperands(i: Insn): string {
  const sz = SIZE_PTR[i.osize];
  const src = (i.segOverride >= 0 ? SREG[i.segOverride] : 'ds') + ':[' + (i.asize === 2 ? 'si' : 'esi') + ']';
  const dst = 'es:[' + (i.asize === 2 ? 'di' : 'edi') + ']';
  const acc = regName(0, i.osize);
  switch (i.mn) {
    case Mn.MOVS: return sz + dst + ',' + sz + src;
    case Mn.CMPS: return sz + src + ',' + sz + dst;
    case Mn.STOS: return sz + dst + ',' + acc;
    case Mn.LODS: return acc + ',' + sz + src;
    case Mn.SCAS: return acc + ',' + sz + dst;
    case Mn.INS: return sz + dst + ',dx';
    case Mn.OUTS: return 'dx,' + sz + src;
    default: return '';
  }
}

function isNotrack(i: Insn): boolean {
  return i.segOverride === 3 && (i.mn === Mn.JMP || i.mn === Mn.CALL) && i.k0 !== OpKind.Rel;
}

function isNearBranch(mn: number): boolean {
  return mn === Mn.Jcc || mn === Mn.JMP || mn === Mn.CALL || mn === Mn.RET;
}

function isString(mn: number): boolean {
  return mn === Mn.MOVS || mn === Mn.CMPS || mn === Mn.STOS || mn === Mn.LODS || mn === Mn.SCAS || mn === Mn.INS || mn === Mn.OUTS;
}

/**
 * Intel-syntax text of `i`, decoded at address `addr` in a code segment with D bit `code32`.
 * Size prefixes that change nothing visible are shown as objdump shows them (data16, addr16).
 */
export function formatInsn(i: Insn, addr: number, code32 = true): string {
  const e = i.entry as Entry | null;
  let prefix = '';
  const has66 = (i.osize === 2) === code32 && !(e !== null && (e.byteOp || e.mandatory === 1));
  const has67 = (i.asize === 2) === code32;
  if (has66 && i.k0 === OpKind.Mem && e !== null && e.op0 === Op.Esw) prefix += code32 ? 'data16 ' : 'data32 ';
  if (has67 && (i.k0 === OpKind.Moffs || i.k1 === OpKind.Moffs)) prefix += code32 ? 'addr16 ' : 'addr32 ';
  // F2/F3 on a locked read-modify-write (or XCHG/MOV to memory) are the HLE hints.
  const hle = i.rep !== Rep.None && (i.k0 === OpKind.Mem || i.k1 === OpKind.Mem) &&
    (i.lock || i.mn === Mn.XCHG || (i.mn === Mn.MOV && i.k0 === OpKind.Mem && i.rep === Rep.Rep && i.modrm >= 0));
  if (hle) prefix += i.rep === Rep.Rep ? 'xrelease ' : 'xacquire ';
  if (i.lock) prefix += 'lock ';
  if (isNotrack(i)) prefix += 'notrack ';
  if (!hle && i.rep !== Rep.None && (e === null || e.mandatory < 0) && i.mn !== Mn.PAUSE && !(i.mn === Mn.BSF || i.mn === Mn.BSR)) {
    if (isString(i.mn) && i.mn !== Mn.CMPS && i.mn !== Mn.SCAS) prefix += i.rep === Rep.Rep ? 'rep ' : 'repnz ';
    // F2 on a near branch is the MPX BND prefix (a no-op without MPX).
    else if (i.rep === Rep.Repne && isNearBranch(i.mn)) prefix += 'bnd ';
    else prefix += i.rep === Rep.Rep ? 'repz ' : 'repnz ';
  }
  if (i.mn === Mn.NOP && i.modrm < 0 && has66) return prefix + (code32 ? 'xchg ax,ax' : 'xchg eax,eax');
  // CET's ENDBR32/ENDBR64 are F3 0F 1E FB/FA: hint NOPs on an i686.
  if (i.mn === Mn.NOP && i.rep === Rep.Rep && e !== null && e.opcode === 0x1e && (i.modrm === 0xfb || i.modrm === 0xfa))
    return i.modrm === 0xfb ? 'endbr32' : 'endbr64';
  const mn = mnemonicText(i, code32);
  if (i.mn === Mn.INVALID && (e === null || e.name === '')) return '(bad)';
  let ops: string;
  if (isString(i.mn)) ops = stringOperands(i);
  else if (i.mn === Mn.XLAT) ops = 'BYTE PTR ' + (i.segOverride >= 0 ? SREG[i.segOverride] : 'ds') + ':[' + (i.asize === 2 ? 'bx' : 'ebx') + ']';
  else {
    const parts: string[] = [];
    if (i.k0 !== 0) parts.push(operandText(i, addr, i.k0, i.v0, i.s0, e ? e.op0 : 0, code32));
    if (i.k1 !== 0) parts.push(operandText(i, addr, i.k1, i.v1, i.s1, e ? e.op1 : 0, code32));
    if (i.k2 !== 0) parts.push(operandText(i, addr, i.k2, i.v2, i.s2, e ? e.op2 : 0, code32));
    ops = parts.join(',');
  }
  return prefix + mn + (ops ? ' ' + ops : '');
}

export interface DisassembledLine {
  addr: number;
  len: number;
  /** The instruction bytes as lower-case hex pairs ("8b 45 fc"). */
  hex: string;
  text: string;
}

/**
 * Disassemble `count` instructions from `src` starting at `addr` (for traces, profiles, crash
 * reports). Stops early at an instruction longer than 15 bytes. A fetch that throws (a page fault
 * from the CPU's MMU) propagates to the caller.
 */
export function disassembleRange(src: ByteSource, addr: number, count: number, code32 = true): DisassembledLine[] {
  const out: DisassembledLine[] = [];
  const insn = new Insn();
  let a = addr;
  for (let n = 0; n < count; n++) {
    decode(insn, src, a, code32);
    if (insn.len > 15) break;
    const bytes: string[] = [];
    for (let k = 0; k < insn.len; k++) bytes.push((src.fetch8((a + k) | 0) & 0xff).toString(16).padStart(2, '0'));
    out.push({ addr: a >>> 0, len: insn.len, hex: bytes.join(' '), text: formatInsn(insn, a, code32) });
    a = (a + insn.len) | 0;
  }
  return out;
}
