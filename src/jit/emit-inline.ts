/**
 * Inline code for the hot instructions (the `custom` instructions of STYLE.md §2): MOV, MOVZX/MOVSX,
 * LEA, ADD/SUB/AND/OR/XOR/CMP/TEST, INC/DEC, PUSH/POP, JMP/Jcc/CALL rel, RET near, NOP. Every
 * other instruction, and every form not listed in canInline(), calls its interpreter handler.
 *
 * Each template has the semantics of its handler in src/cpu (lazy flags exactly as flags.ts
 * defines them: 32-bit operands need no sign extension) and keeps the handler contract: all memory
 * accesses that can fault happen before a register is written.
 *
 * Memory: the effective address is computed in JS; when ES/SS/DS are flat (mode.ts) the access
 * takes the MMU's software TLB fast path (one lookup, one check, one typed-array access; stores
 * also check PhysMemory.codePages), else it calls cpu.readMem/writeMem (segment checks, MMIO,
 * page crossing, TLB misses, writes into code pages: exactly the interpreter's path).
 */
import { OpKind, Seg, type Insn } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import { LfOp } from '../cpu/flags.js';
import type { BlockEmitter } from './emit.js';
import { flagsDeadAfter, relTarget } from './emit.js';
import { Exit } from './block.js';
import { ModeBit } from './mode.js';

const ALU_FULL = new Uint8Array(512);
for (const mn of [Mn.ADD, Mn.SUB, Mn.AND, Mn.OR, Mn.XOR, Mn.CMP, Mn.TEST]) ALU_FULL[mn] = 1;

function isReg(k: number): boolean {
  return k === OpKind.Reg;
}

/** A memory operand the inline code can address (asize 2 or 4, any segment). */
function memOk(i: Insn): boolean {
  return i.asize === 4 || i.asize === 2;
}

function rmOk(k: number, i: Insn): boolean {
  return k === OpKind.Reg || (k === OpKind.Mem && memOk(i));
}

function codeFlat(em: BlockEmitter): boolean {
  return (em.blk.mode & ModeBit.FLAT) !== 0 && em.code32;
}

/** Does the inline template of `i` set all six arithmetic flags without reading any? */
export function fullyDefinesFlags(i: Insn): boolean {
  if (ALU_FULL[i.mn] !== 0 || i.mn === Mn.NEG) return true;
  return (i.mn === Mn.SHL || i.mn === Mn.SAL || i.mn === Mn.SHR || i.mn === Mn.SAR) && shiftCount(i) !== 0;
}

/** Masked count of a shift by an immediate (or the implicit 1 of D0/D1). */
function shiftCount(i: Insn): number {
  return i.k1 === OpKind.Imm ? i.v1 & 31 : 1;
}

/** `x` (an operand of `size` bytes, zero- or sign-extended) sign-extended to int32. */
function sext(x: string, size: number): string {
  return size === 4 ? x : `((${x} << ${32 - size * 8}) >> ${32 - size * 8})`;
}

/** A compile-time constant sign-extended from `size` bytes. */
function sextConst(v: number, size: number): number {
  const sh = 32 - size * 8;
  return (v << sh) >> sh;
}

/** Statement writing expression `v` to register `reg` at `size` bytes. */
function writeReg(em: BlockEmitter, reg: number, size: number, v: string): string {
  if (size === 4) return `${em.w(reg)} = ${v};`;
  if (size === 1) return em.w8(reg, v);
  const n = em.w(reg);
  return `${n} = (${n} & -65536) | (${v} & 65535);`;
}

/**
 * Read the destination operand (slot 0) of a read-modify-write instruction into an expression;
 * for memory it computes the address into `a` and loads into `t` (a stays valid for the store).
 */
function readDest(em: BlockEmitter, i: Insn, size: number): string {
  if (isReg(i.k0)) return size === 4 ? em.r(i.v0) : size === 1 ? em.r8(i.v0) : `(${em.r(i.v0)} & 65535)`;
  emitEa(em, i);
  emitLoad(em, i.seg, size, 't');
  return 't';
}

/** Write `v` to the destination read by readDest (memory: the same address `a`). */
function writeDest(em: BlockEmitter, i: Insn, size: number, v: string): void {
  if (isReg(i.k0)) {
    em.line(writeReg(em, i.v0, size, v));
    return;
  }
  emitStore(em, i.seg, size, v);
}

/** True when emitInline() handles `i` in the emitter's mode. */
export function canInline(em: BlockEmitter, i: Insn): boolean {
  if (i.lock) return false;
  switch (i.mn) {
    case Mn.NOP:
      return true;
    case Mn.MOV:
      if (i.s0 !== i.s1 && i.k1 !== OpKind.Imm) return false;
      if (i.s0 !== 4 && i.s0 !== 1) return false;
      if (isReg(i.k0)) return rmOk(i.k1, i) || i.k1 === OpKind.Imm;
      if (i.k0 === OpKind.Mem && memOk(i)) return isReg(i.k1) || i.k1 === OpKind.Imm;
      return false;
    case Mn.MOVZX:
    case Mn.MOVSX:
      return isReg(i.k0) && i.s0 === 4 && rmOk(i.k1, i) && (i.s1 === 1 || i.s1 === 2);
    case Mn.LEA:
      return isReg(i.k0) && i.s0 === 4 && i.k1 === OpKind.Mem;
    case Mn.ADD: case Mn.SUB: case Mn.AND: case Mn.OR: case Mn.XOR: case Mn.CMP: case Mn.TEST:
      // reg <- reg/imm/mem, or mem <- reg/imm (read-modify-write), at 8, 16 or 32 bits.
      if (i.s1 !== i.s0 && i.k1 !== OpKind.Imm) return false;
      if (isReg(i.k0)) return rmOk(i.k1, i) || i.k1 === OpKind.Imm;
      return i.k0 === OpKind.Mem && memOk(i) && (isReg(i.k1) || i.k1 === OpKind.Imm);
    case Mn.INC:
    case Mn.DEC:
    case Mn.NEG:
    case Mn.NOT:
      return rmOk(i.k0, i);
    case Mn.SHL:
    case Mn.SAL:
    case Mn.SHR:
    case Mn.SAR:
      // Immediate (or implicit 1) counts only: the count is then known when translating.
      return rmOk(i.k0, i) && (i.k1 === OpKind.Imm || i.k1 === OpKind.None);
    case Mn.SETcc:
      return rmOk(i.k0, i) && i.s0 === 1;
    case Mn.CMOVcc:
      return isReg(i.k0) && i.s0 === 4 && rmOk(i.k1, i);
    case Mn.XCHG:
      return isReg(i.k0) && isReg(i.k1) && i.s0 === 4;
    case Mn.PUSH:
      return em.stack32 && i.osize === 4 && (isReg(i.k0) || i.k0 === OpKind.Imm) && i.s0 === 4;
    case Mn.POP:
      return em.stack32 && i.osize === 4 && isReg(i.k0) && i.s0 === 4;
    case Mn.JMP:
    case Mn.Jcc:
      return codeFlat(em) && i.k0 === OpKind.Rel && i.osize === 4;
    case Mn.CALL:
      return codeFlat(em) && em.stack32 && i.k0 === OpKind.Rel && i.osize === 4;
    case Mn.RET:
      return codeFlat(em) && em.stack32 && i.osize === 4 && (i.k0 === OpKind.None || i.k0 === OpKind.Imm);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------- memory

/** Emit `a = <effective address>` (offset in the segment). */
function emitEa(em: BlockEmitter, i: Insn): void {
  let e = `${i.disp | 0}`;
  if (i.base >= 0) e = `${em.r(i.base)} + ${e}`;
  if (i.index >= 0) e = `${e} + (${em.r(i.index)} << ${i.scale})`;
  em.line(i.asize === 2 ? `a = (${e}) & 65535;` : `a = (${e}) | 0;`);
}

/** Linear-address expression for an offset in `a` through segment `seg`, or null when the access
 *  must take cpu.readMem/writeMem (segment limit checks). */
function fastLinear(em: BlockEmitter, seg: number): string | null {
  if (em.flat && (seg === Seg.DS || seg === Seg.SS || seg === Seg.ES)) return 'a';
  if (seg === Seg.FS && (em.blk.mode & ModeBit.FS_FLAT_LIMIT) !== 0) return '(SB[4] + a) | 0';
  if (seg === Seg.GS && (em.blk.mode & ModeBit.GS_FLAT_LIMIT) !== 0) return '(SB[5] + a) | 0';
  return null;
}

/**
 * Emit `dst = <load of size bytes at seg:a>` (zero-extended for 1/2, int32 for 4). The fast path
 * needs a TLB hit and an aligned access; with a segment base, the offset must be aligned too (an
 * aligned offset never reaches past the 4 GiB limit).
 */
function emitLoad(em: BlockEmitter, seg: number, size: number, dst: string): void {
  em.faultPoint();
  const slow = `cpu.readMem(${seg}, a, ${size})`;
  const lin = fastLinear(em, seg);
  if (lin === null) {
    em.line(`${dst} = ${slow};`);
    return;
  }
  em.line(`l = ${lin}; h = TR[l >>> 12];`);
  const aligned = lin === 'a' ? 'l' : '(a | l)';
  if (size === 4) em.line(`${dst} = h >= 0 && (${aligned} & 3) === 0 ? M32[(h | (l & 4095)) >> 2] : ${slow};`);
  else if (size === 2) em.line(`${dst} = h >= 0 && (${aligned} & 1) === 0 ? M16[(h | (l & 4095)) >> 1] : ${slow};`);
  else em.line(`${dst} = h >= 0 ? M8[h | (l & 4095)] : ${slow};`);
}

/** Emit a store of expression `v` (size bytes) at seg:a. */
function emitStore(em: BlockEmitter, seg: number, size: number, v: string): void {
  em.faultPoint();
  em.stored = true;
  const slow = `cpu.writeMem(${seg}, a, ${size}, ${v});`;
  const lin = fastLinear(em, seg);
  if (lin === null) {
    em.line(slow);
    return;
  }
  em.line(`l = ${lin}; h = TW[l >>> 12];`);
  const aligned = lin === 'a' ? 'l' : '(a | l)';
  if (size === 4) em.line(`if (h >= 0 && (${aligned} & 3) === 0 && CP[h >>> 12] === 0) M32[(h | (l & 4095)) >> 2] = ${v}; else ${slow}`);
  else if (size === 2) em.line(`if (h >= 0 && (${aligned} & 1) === 0 && CP[h >>> 12] === 0) M16[(h | (l & 4095)) >> 1] = ${v}; else ${slow}`);
  else em.line(`if (h >= 0 && CP[h >>> 12] === 0) M8[h | (l & 4095)] = ${v}; else ${slow}`);
}

/** Read operand slot (kind k, value v, size s) of `i` into an expression (may emit a load into `dst`). */
function readOperand(em: BlockEmitter, i: Insn, k: number, v: number, s: number, dst: string): string {
  if (k === OpKind.Reg) return s === 4 ? em.r(v) : s === 1 ? em.r8(v) : `(${em.r(v)} & 65535)`;
  if (k === OpKind.Imm) return String(s === 4 ? v | 0 : s === 2 ? v & 0xffff : v & 0xff);
  emitEa(em, i);
  emitLoad(em, i.seg, s, dst);
  return dst;
}

// ---------------------------------------------------------------------------------- flags

/** Record lazy flags of kind `op` from fa/fb/fr unless a later instruction overwrites them first. */
function setFlags(em: BlockEmitter, op: number): void {
  em.flagOp = op;
  if (flagsDeadAfter(em, em.k)) return;
  if (op === LfOp.LOGIC) em.line(`LF.op = ${op}; LF.res = fr; LF.a = 0; LF.b = 0;`);
  else em.line(`LF.op = ${op}; LF.res = fr; LF.a = fa; LF.b = fb;`);
}

/** A JS condition for cc from the flags of the last inline flag writer, or null. */
function fusedCondition(em: BlockEmitter, cc: number): string | null {
  let c: string | null = null;
  const op = em.flagOp;
  const n = cc >> 1;
  if (op === LfOp.SUB) {
    c = [`((fa ^ fb) & (fa ^ fr)) < 0`, `(fa >>> 0) < (fb >>> 0)`, `fr === 0`, `(fa >>> 0) <= (fb >>> 0)`, `fr < 0`, '', `fa < fb`, `fa <= fb`][n];
  } else if (op === LfOp.LOGIC) {
    c = [`false`, `false`, `fr === 0`, `fr === 0`, `fr < 0`, '', `fr < 0`, `fr <= 0`][n];
  } else if (op === LfOp.ADD) {
    c = [``, `(fr >>> 0) < (fa >>> 0)`, `fr === 0`, ``, `fr < 0`, '', '', ''][n];
  } else if (op === LfOp.INC || op === LfOp.DEC || op === LfOp.RES) {
    c = ['', '', `fr === 0`, '', `fr < 0`, '', '', ''][n];
  }
  if (c === null || c === '') return null;
  return (cc & 1) === 0 ? c : `!(${c})`;
}

// ---------------------------------------------------------------------------------- templates

/**
 * Emit `i` inline. Returns true when it emitted the block's exit. After an instruction that
 * stored to memory, the block stops if the store hit the block itself (rt.stop): the check comes
 * after the whole instruction (destination, flags, registers), as the interpreter would have
 * completed it before fetching the next one.
 */
export function emitInline(em: BlockEmitter, i: Insn, last: boolean): boolean {
  em.stored = false;
  const ended = emitTemplate(em, i, last);
  if (em.stored && !ended && !last) em.stopCheck();
  return ended;
}

function emitTemplate(em: BlockEmitter, i: Insn, last: boolean): boolean {
  const k = em.k;
  const next = em.eipAt(k + 1);
  switch (i.mn) {
    case Mn.NOP:
      break;
    case Mn.MOV: {
      if (isReg(i.k0)) {
        const v = readOperand(em, i, i.k1, i.v1, i.s0, 't');
        if (i.s0 === 4) em.line(`${em.w(i.v0)} = ${v};`);
        else em.line(em.w8(i.v0, v));
      } else {
        const v = i.k1 === OpKind.Imm ? String(i.s0 === 4 ? i.v1 | 0 : i.v1 & 0xff) : i.s0 === 4 ? em.r(i.v1) : em.r8(i.v1);
        emitEa(em, i);
        emitStore(em, i.seg, i.s0, v);
      }
      break;
    }
    case Mn.MOVZX:
    case Mn.MOVSX: {
      let v = readOperand(em, i, i.k1, i.v1, i.s1, 't');
      if (i.mn === Mn.MOVSX) v = i.s1 === 1 ? `((${v} << 24) >> 24)` : `((${v} << 16) >> 16)`;
      em.line(`${em.w(i.v0)} = ${v};`);
      break;
    }
    case Mn.LEA: {
      emitEa(em, i);
      em.line(`${em.w(i.v0)} = a;`);
      break;
    }
    case Mn.ADD: case Mn.SUB: case Mn.AND: case Mn.OR: case Mn.XOR: case Mn.CMP: case Mn.TEST: {
      // As exec-alu.ts: operands sign-extended from the size, destination written, then flags.
      // The source first (it may be the memory load, into u), then the destination (a memory
      // destination is loaded into t and its address kept in a for the store).
      const size = i.s0;
      const b = i.k1 === OpKind.Imm ? String(sextConst(i.v1, size)) : sext(readOperand(em, i, i.k1, i.v1, size, 'u'), size);
      const av = sext(readDest(em, i, size), size);
      const op = { [Mn.ADD]: '+', [Mn.SUB]: '-', [Mn.CMP]: '-', [Mn.AND]: '&', [Mn.TEST]: '&', [Mn.OR]: '|', [Mn.XOR]: '^' }[i.mn];
      em.line(`fa = ${av}; fb = ${b}; fr = ${sext(`(fa ${op} fb)`, size)}${size === 4 ? ' | 0' : ''};`);
      if (i.mn !== Mn.CMP && i.mn !== Mn.TEST) writeDest(em, i, size, 'fr');
      setFlags(em, i.mn === Mn.ADD ? LfOp.ADD : i.mn === Mn.SUB || i.mn === Mn.CMP ? LfOp.SUB : LfOp.LOGIC);
      break;
    }
    case Mn.INC:
    case Mn.DEC: {
      const size = i.s0;
      const dead = flagsDeadAfter(em, k);
      if (!dead) {
        // CF is kept (SDM Vol. 2 INC/DEC): park the current CF in eflags bit 0 as flags.ts expects.
        const prev = em.flagOp;
        if (prev === LfOp.LOGIC) em.line(`cpu.eflags &= -2;`);
        else if (prev === LfOp.SUB) em.line(`cpu.eflags = (cpu.eflags & -2) | ((fa >>> 0) < (fb >>> 0) ? 1 : 0);`);
        else if (prev === LfOp.ADD) em.line(`cpu.eflags = (cpu.eflags & -2) | ((fr >>> 0) < (fa >>> 0) ? 1 : 0);`);
        else if (prev !== LfOp.INC && prev !== LfOp.DEC && prev !== LfOp.RES) em.line(`FCF(cpu);`);
      }
      const x = sext(readDest(em, i, size), size);
      em.line(`fa = ${x}; fb = 1; fr = ${sext(`(fa ${i.mn === Mn.INC ? '+' : '-'} 1)`, size)}${size === 4 ? ' | 0' : ''};`);
      writeDest(em, i, size, 'fr');
      em.flagOp = i.mn === Mn.INC ? LfOp.INC : LfOp.DEC;
      if (!dead) em.line(`LF.op = ${em.flagOp}; LF.res = fr; LF.a = fa; LF.b = 1;`);
      break;
    }
    case Mn.NEG: {
      const size = i.s0;
      const x = sext(readDest(em, i, size), size);
      em.line(`fa = 0; fb = ${x}; fr = ${sext('(-fb)', size)}${size === 4 ? ' | 0' : ''};`);
      writeDest(em, i, size, 'fr');
      setFlags(em, LfOp.SUB);
      break;
    }
    case Mn.NOT: {
      const size = i.s0;
      const x = readDest(em, i, size);
      writeDest(em, i, size, `~${x}`);
      break;
    }
    case Mn.SHL:
    case Mn.SAL:
    case Mn.SHR:
    case Mn.SAR: {
      // As exec-shift.ts for an immediate count c (1..31): CF = last bit out, OF by the P6 rule,
      // AF cleared, SF/ZF/PF from the result (LfOp.RES). A count of 0 changes nothing.
      const size = i.s0;
      const bits = size * 8;
      const c = shiftCount(i);
      const x = readDest(em, i, size);
      // A masked count of 0 changes nothing, but the operand is still read (a memory operand can
      // fault, and its page walk sets the accessed bit), as exec-shift.ts does.
      if (c === 0) break;
      em.line(`fa = ${i.mn === Mn.SAR ? sext(x, size) : x};`);
      let cf: string;
      let of: string;
      if (i.mn === Mn.SHR) {
        em.line(`fr = ${sext(`(fa >>> ${c})`, size)};`);
        cf = c <= bits ? `((fa >>> ${c - 1}) & 1)` : '0';
        of = `((((fr >>> ${bits - 1}) ^ (fr >>> ${bits - 2})) & 1) << 11)`;
      } else if (i.mn === Mn.SAR) {
        em.line(`fr = fa >> ${c};`);
        cf = `((fa >> ${c - 1}) & 1)`;
        of = '0';
      } else {
        em.line(`fr = ${sext(`(fa << ${c})`, size)}${size === 4 ? ' | 0' : ''};`);
        cf = c <= bits ? `((fa >>> ${bits - c}) & 1)` : '0';
        of = `((((fr >>> 31) ^ fb) & 1) << 11)`;
      }
      writeDest(em, i, size, 'fr');
      em.flagOp = LfOp.RES;
      if (!flagsDeadAfter(em, k)) {
        if (i.mn === Mn.SHL || i.mn === Mn.SAL) em.line(`fb = ${cf};`);
        em.line(`cpu.eflags = (cpu.eflags & -2066) | ${i.mn === Mn.SHL || i.mn === Mn.SAL ? 'fb' : cf} | ${of}; LF.op = ${LfOp.RES}; LF.res = fr;`);
      }
      break;
    }
    case Mn.SETcc: {
      const c = fusedCondition(em, i.cc) ?? `TC(cpu, ${i.cc})`;
      if (isReg(i.k0)) em.line(em.w8(i.v0, `(${c} ? 1 : 0)`));
      else {
        emitEa(em, i);
        emitStore(em, i.seg, 1, `(${c} ? 1 : 0)`);
      }
      break;
    }
    case Mn.CMOVcc: {
      const v = readOperand(em, i, i.k1, i.v1, 4, 'u');
      const c = fusedCondition(em, i.cc) ?? `TC(cpu, ${i.cc})`;
      em.line(`if (${c}) ${em.w(i.v0)} = ${v};`);
      break;
    }
    case Mn.XCHG: {
      if (i.v0 !== i.v1) em.line(`t = ${em.r(i.v0)}; ${em.w(i.v0)} = ${em.r(i.v1)}; ${em.w(i.v1)} = t;`);
      break;
    }
    case Mn.PUSH: {
      const v = i.k0 === OpKind.Imm ? String(i.v0 | 0) : em.r(i.v0);
      em.line(`t = ${v}; a = (${em.r(4)} - 4) | 0;`);
      emitStore(em, Seg.SS, 4, 't');
      em.line(`${em.w(4)} = a;`);
      break;
    }
    case Mn.POP: {
      em.line(`a = ${em.r(4)};`);
      emitLoad(em, Seg.SS, 4, 't');
      em.line(`${em.w(4)} = (a + 4) | 0; ${em.w(i.v0)} = t;`);
      break;
    }
    case Mn.JMP: {
      em.transfer(relTarget(i, next), k + 1, Exit.TAKEN, true, false);
      return true;
    }
    case Mn.Jcc: {
      const target = relTarget(i, next);
      const c = fusedCondition(em, i.cc) ?? `TC(cpu, ${i.cc})`;
      em.line(`if (${c}) {`);
      em.transfer(target, k + 1, Exit.TAKEN, false, false);
      em.line(`}`);
      em.transfer(next, k + 1, Exit.FALLTHROUGH, true, false);
      return true;
    }
    case Mn.CALL: {
      const target = relTarget(i, next);
      em.line(`a = (${em.r(4)} - 4) | 0;`);
      emitStore(em, Seg.SS, 4, String(next));
      em.line(`${em.w(4)} = a;`);
      // The return address may have landed in the region's own code: the transfer checks rt.stop.
      em.transfer(target, k + 1, Exit.TAKEN, true, true);
      return true;
    }
    case Mn.RET: {
      const extra = i.k0 === OpKind.Imm ? i.v0 & 0xffff : 0;
      em.line(`a = ${em.r(4)};`);
      emitLoad(em, Seg.SS, 4, 't');
      em.line(`${em.w(4)} = (a + ${4 + extra}) | 0;`);
      em.exit('t', k + 1, Exit.OTHER);
      return true;
    }
    default:
      throw new Error(`emitInline: no template for mnemonic ${i.mn}`);
  }
  return false;
}
