/**
 * Decoder: fills a caller-owned `Insn` from instruction bytes, driven by the lookup arrays that
 * table.ts builds from the one instruction table. Allocates nothing per instruction.
 *
 *   decode(insn, src, addr, default32)
 *
 * reads src.fetch8(addr), src.fetch8(addr+1)...; `default32` is the code segment's D bit.
 * Undefined encodings give mn = Mn.INVALID (the CPU raises #UD) with len = bytes consumed;
 * an instruction longer than 15 bytes gives mn = Mn.INVALID and len = 16 (#GP(0), SDM Vol. 2A
 * §2.1.1 "Instruction Prefixes": the 15-byte limit). The 16th byte is never fetched.
 *
 * Prefixes (SDM Vol. 2A §2.1.1): any number, in any order, repeated or redundant; the last segment
 * override and the last of F2/F3 win; 66/67 toggle the operand/address size from the default.
 */
import { Insn, OpKind, Rep, Seg, type ByteSource } from './insn.js';
import { Mn } from './mnemonics.js';
import { Op } from './operands.js';
import {
  entries, lookupDirect, lookupModrm, lookupPrefixed, opcodePrefixed, pauseEntryId, INVALID_ENTRY, type Entry,
} from './table.js';

/** Thrown internally when a 16th byte would be needed; caught in decode(). */
const TOO_LONG = { tooLong: true };

// Decoder state for the instruction being decoded: one preallocated object with a fixed shape
// (no allocation, no closures; property access on a constant object is cheaper than module lets).
class DecodeState {
  src: ByteSource = { fetch8: () => 0 };
  pc = 0;
  count = 0;
  osize = 4;
  asize = 4;
  modrm = -1;
  opcodeLow = 0;
  bad = false;
  // Result of operand(): kind, value, size.
  opK = 0;
  opV = 0;
  opS = 0;
}
const st = new DecodeState();

function byte(): number {
  if (st.count >= 15) throw TOO_LONG;
  const b = st.src.fetch8(st.pc) & 0xff;
  st.pc = (st.pc + 1) | 0;
  st.count++;
  return b;
}

function word(): number {
  const lo = byte();
  return lo | (byte() << 8);
}

function dword(): number {
  const b0 = byte();
  const b1 = byte();
  const b2 = byte();
  return b0 | (b1 << 8) | (b2 << 16) | (byte() << 24);
}

/** Prefix bytes: 1 = operand size, 2 = address size, 3 = LOCK, 4 = REPNE, 5 = REP, 8+seg = segment. */
const PREFIX = new Uint8Array(256);
PREFIX[0x66] = 1; PREFIX[0x67] = 2; PREFIX[0xf0] = 3; PREFIX[0xf2] = 4; PREFIX[0xf3] = 5;
PREFIX[0x26] = 8 + Seg.ES; PREFIX[0x2e] = 8 + Seg.CS; PREFIX[0x36] = 8 + Seg.SS;
PREFIX[0x3e] = 8 + Seg.DS; PREFIX[0x64] = 8 + Seg.FS; PREFIX[0x65] = 8 + Seg.GS;

export function decode(insn: Insn, source: ByteSource, addr: number, default32: boolean): void {
  st.src = source;
  st.pc = addr;
  st.count = 0;
  insn.x = null;
  try {
    decodeBytes(insn, default32);
  } catch (e) {
    if (e !== TOO_LONG) throw e;
    setInvalid(insn);
    insn.len = 16;
  }
}

function setInvalid(insn: Insn): void {
  insn.mn = Mn.INVALID;
  insn.entry = INVALID_ENTRY;
  insn.k0 = 0; insn.k1 = 0; insn.k2 = 0;
  insn.len = st.count;
}

function decodeBytes(insn: Insn, default32: boolean): void {
  st.osize = default32 ? 4 : 2;
  st.asize = st.osize;
  let segOverride = -1;
  let rep = Rep.None as number;
  let lock = false;
  let has66 = false;
  let b = byte();
  let p: number;
  while ((p = PREFIX[b]) !== 0) {
    if (p === 1) { st.osize = default32 ? 2 : 4; has66 = true; }
    else if (p === 2) st.asize = default32 ? 2 : 4;
    else if (p === 3) lock = true;
    else if (p === 4) rep = Rep.Repne;
    else if (p === 5) rep = Rep.Rep;
    else segOverride = p - 8;
    b = byte();
  }
  let op = b;
  if (b === 0x0f) {
    op = byte();
    // Three-byte maps 0F 38 / 0F 3A (SDM Vol. 2A §2.1.2) are at 0x200 / 0x300.
    op = op === 0x38 ? 0x200 | byte() : op === 0x3a ? 0x300 | byte() : 0x100 | op;
  }
  st.opcodeLow = op & 7;

  insn.osize = st.osize;
  insn.asize = st.asize;
  insn.rep = rep;
  insn.lock = lock;
  insn.segOverride = segOverride;
  insn.seg = segOverride >= 0 ? segOverride : Seg.DS;
  insn.base = -1;
  insn.index = -1;
  insn.scale = 0;
  insn.disp = 0;
  insn.farSel = 0;
  st.bad = false;

  let id = lookupDirect[op];
  let isMem = false;
  if (id < 0) {
    st.modrm = byte();
    const slot = (op << 7) | (st.modrm >= 0xc0 ? 64 : 0) | (st.modrm & 0x3f);
    if (opcodePrefixed[op] === 0) id = lookupModrm[slot];
    else {
      // Mandatory prefix: F3/F2 take precedence over 66 (SDM Vol. 2A §2.1.2).
      const pfx = rep === Rep.Rep ? 2 : rep === Rep.Repne ? 3 : has66 ? 1 : 0;
      id = lookupPrefixed[(pfx << 17) | slot];
    }
    const e = entries[id];
    if (st.modrm < 0xc0 && !e.forceReg) {
      isMem = true;
      if (st.asize === 4) decodeMem32(insn, segOverride);
      else decodeMem16(insn, segOverride);
    }
  } else {
    st.modrm = -1;
    if (op === 0x90 && rep === Rep.Rep) id = pauseEntryId;
  }
  insn.modrm = st.modrm;
  const e = entries[id];
  insn.mn = e.mn;
  insn.entry = e;
  insn.cc = e.cc < 0 ? 0 : e.cc;
  if (e.byteOp) insn.osize = 1;

  const n = e.nops;
  if (n > 0) {
    operand(insn, e, e.op0, isMem);
    insn.k0 = st.opK; insn.v0 = st.opV; insn.s0 = st.opS;
  } else insn.k0 = 0;
  if (n > 1) {
    operand(insn, e, e.op1, isMem);
    insn.k1 = st.opK; insn.v1 = st.opV; insn.s1 = st.opS;
  } else insn.k1 = 0;
  if (n > 2) {
    operand(insn, e, e.op2, isMem);
    insn.k2 = st.opK; insn.v2 = st.opV; insn.s2 = st.opS;
  } else insn.k2 = 0;
  insn.len = st.count;

  // LOCK is only allowed on the lockable read-modify-write forms with a memory destination
  // (SDM Vol. 2A "LOCK": otherwise #UD).
  if (st.bad || (lock && (!e.lockable || !isMem))) setInvalid(insn);
}

/** 32-bit ModRM/SIB addressing (SDM Vol. 2A Tables 2-2 and 2-3). */
function decodeMem32(insn: Insn, segOverride: number): void {
  const mod = st.modrm >> 6;
  const rm = st.modrm & 7;
  let base = -1;
  let disp = 0;
  if (rm === 4) {
    const sib = byte();
    const idx = (sib >> 3) & 7;
    insn.scale = sib >> 6;
    insn.index = idx === 4 ? -1 : idx;
    const sb = sib & 7;
    if (sb === 5 && mod === 0) disp = dword();
    else base = sb;
  } else if (rm === 5 && mod === 0) disp = dword();
  else base = rm;
  if (mod === 1) disp = (byte() << 24) >> 24;
  else if (mod === 2) disp = dword();
  insn.base = base;
  insn.disp = disp;
  // EBP and ESP bases address the stack segment (SDM Vol. 1 §3.7.5 "Specifying an Offset").
  insn.seg = segOverride >= 0 ? segOverride : base === 4 || base === 5 ? Seg.SS : Seg.DS;
}

/** 16-bit ModRM addressing (SDM Vol. 2A Table 2-1): BX/BP + SI/DI; BP-based defaults to SS. */
const BASE16 = [3, 3, 5, 5, 6, 7, 5, 3];
const INDEX16 = [6, 7, 6, 7, -1, -1, -1, -1];

function decodeMem16(insn: Insn, segOverride: number): void {
  const mod = st.modrm >> 6;
  const rm = st.modrm & 7;
  let base = BASE16[rm];
  let disp = 0;
  if (mod === 0 && rm === 6) {
    base = -1;
    disp = word();
  } else if (mod === 1) disp = (byte() << 24) >> 24;
  else if (mod === 2) disp = (word() << 16) >> 16;
  insn.base = base;
  insn.index = INDEX16[rm];
  insn.scale = 0;
  insn.disp = disp;
  insn.seg = segOverride >= 0 ? segOverride : base === 5 ? Seg.SS : Seg.DS;
}

/** Sizes of the memory-only operand codes Mb..M512 (Mv, Mp, Ma depend on the operand size). */
function memSize(code: number): number {
  switch (code) {
    case Op.M0: return 0;
    case Op.Mb: return 1;
    case Op.Mw: return 2;
    case Op.Md: return 4;
    case Op.Mq: return 8;
    case Op.Mt: return 10;
    case Op.Mv: return st.osize;
    case Op.Mp: return st.osize + 2;
    case Op.Ms: return 6;
    case Op.Ma: return st.osize * 2;
    case Op.Mblk: return 0;
    default: return 512;
  }
}

/** Decode one operand into st.opK/st.opV/st.opS. Immediates are read here, in operand order. */
function operand(insn: Insn, e: Entry, code: number, isMem: boolean): void {
  switch (code) {
    case Op.Eb: rmOperand(isMem, 1); return;
    case Op.Ew: rmOperand(isMem, 2); return;
    case Op.Ed: rmOperand(isMem, 4); return;
    case Op.Ev: rmOperand(isMem, st.osize); return;
    case Op.Esw: rmOperand(isMem, isMem ? 2 : st.osize); return;
    case Op.Gb: st.opK = OpKind.Reg; st.opV = (st.modrm >> 3) & 7; st.opS = 1; return;
    case Op.Gw: st.opK = OpKind.Reg; st.opV = (st.modrm >> 3) & 7; st.opS = 2; return;
    case Op.Gd: st.opK = OpKind.Reg; st.opV = (st.modrm >> 3) & 7; st.opS = 4; return;
    case Op.Gv: st.opK = OpKind.Reg; st.opV = (st.modrm >> 3) & 7; st.opS = st.osize; return;
    case Op.M0: case Op.Mb: case Op.Mw: case Op.Md: case Op.Mq: case Op.Mt: case Op.Mv:
    case Op.Mp: case Op.Ms: case Op.Ma: case Op.Mblk: case Op.M512:
      st.opK = OpKind.Mem; st.opV = 0; st.opS = memSize(code); return;
    case Op.Rd: st.opK = OpKind.Reg; st.opV = st.modrm & 7; st.opS = 4; return;
    case Op.Rv: st.opK = OpKind.Reg; st.opV = st.modrm & 7; st.opS = st.osize; return;
    case Op.Cd: {
      st.opK = OpKind.Creg; st.opV = (st.modrm >> 3) & 7; st.opS = 4;
      // CR1, CR5-CR7 do not exist: #UD (SDM Vol. 2B "MOV—Move to/from Control Registers").
      if (st.opV === 1 || st.opV > 4) st.bad = true;
      return;
    }
    case Op.Dd: st.opK = OpKind.Dreg; st.opV = (st.modrm >> 3) & 7; st.opS = 4; return;
    case Op.Sw: {
      st.opK = OpKind.Sreg; st.opV = (st.modrm >> 3) & 7; st.opS = 2;
      // Only ES..GS exist; MOV CS, r/m is #UD (SDM Vol. 2B "MOV—Move").
      if (st.opV > 5 || (st.opV === Seg.CS && e.op0 === Op.Sw)) st.bad = true;
      return;
    }
    case Op.Ib: st.opK = OpKind.Imm; st.opV = byte(); st.opS = 1; return;
    case Op.Ibs: st.opK = OpKind.Imm; st.opV = (byte() << 24) >> 24; st.opS = st.osize; return;
    case Op.Iw: st.opK = OpKind.Imm; st.opV = word(); st.opS = 2; return;
    case Op.Iz: st.opK = OpKind.Imm; st.opV = st.osize === 4 ? dword() : word(); st.opS = st.osize; return;
    case Op.Jb: st.opK = OpKind.Rel; st.opV = (byte() << 24) >> 24; st.opS = st.osize; return;
    case Op.Jz: st.opK = OpKind.Rel; st.opV = st.osize === 4 ? dword() : (word() << 16) >> 16; st.opS = st.osize; return;
    case Op.Ap: st.opK = OpKind.Far; st.opV = st.osize === 4 ? dword() : word(); st.opS = st.osize; insn.farSel = word(); return;
    case Op.Ob: case Op.Ov:
      st.opK = OpKind.Moffs; st.opV = 0; st.opS = code === Op.Ob ? 1 : st.osize;
      insn.disp = st.asize === 4 ? dword() : word();
      return;
    case Op.AL: st.opK = OpKind.Reg; st.opV = 0; st.opS = 1; return;
    case Op.CL: st.opK = OpKind.Reg; st.opV = 1; st.opS = 1; return;
    case Op.DX: st.opK = OpKind.Reg; st.opV = 2; st.opS = 2; return;
    case Op.eAX: st.opK = OpKind.Reg; st.opV = 0; st.opS = st.osize; return;
    case Op.AX: st.opK = OpKind.Reg; st.opV = 0; st.opS = 2; return;
    case Op.Zb: st.opK = OpKind.Reg; st.opV = st.opcodeLow; st.opS = 1; return;
    case Op.Zv: st.opK = OpKind.Reg; st.opV = st.opcodeLow; st.opS = st.osize; return;
    case Op.One: st.opK = OpKind.Imm; st.opV = 1; st.opS = 1; return;
    case Op.sES: case Op.sCS: case Op.sSS: case Op.sDS: case Op.sFS: case Op.sGS:
      st.opK = OpKind.Sreg; st.opV = code - Op.sES; st.opS = 2; return;
    case Op.ST0: st.opK = OpKind.St; st.opV = 0; st.opS = 10; return;
    case Op.STi: st.opK = OpKind.St; st.opV = st.modrm & 7; st.opS = 10; return;
    case Op.Vx: st.opK = OpKind.Xmm; st.opV = (st.modrm >> 3) & 7; st.opS = 16; return;
    case Op.Wx: case Op.Ux: xmmOperand(isMem, 16); return;
    case Op.Wq: xmmOperand(isMem, 8); return;
    case Op.Wd: xmmOperand(isMem, 4); return;
    case Op.Mx: st.opK = OpKind.Mem; st.opV = 0; st.opS = 16; return;
    default: throw new Error(`decoder: operand code ${code} not handled`);
  }
}

function xmmOperand(isMem: boolean, size: number): void {
  if (isMem) { st.opK = OpKind.Mem; st.opV = 0; st.opS = size; }
  else { st.opK = OpKind.Xmm; st.opV = st.modrm & 7; st.opS = 16; }
}

function rmOperand(isMem: boolean, size: number): void {
  if (isMem) { st.opK = OpKind.Mem; st.opV = 0; st.opS = size; }
  else { st.opK = OpKind.Reg; st.opV = st.modrm & 7; st.opS = size; }
}
