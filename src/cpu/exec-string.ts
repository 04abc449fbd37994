/**
 * String instructions: MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE (SDM Vol. 2, and
 * Vol. 1 §7.3.9). Element size = Insn.osize; the source is DS (or the override) : (E)SI, the
 * destination ES : (E)DI (never overridden); the address size picks SI/DI/CX or ESI/EDI/ECX; DF
 * picks the direction.
 *
 * REP commits ESI/EDI/ECX after every element, so a fault in the middle restarts the instruction
 * (EIP = insnEip) with the registers describing the remaining work, as on hardware. After REP_CHUNK
 * elements the handler also sets EIP back to the instruction and returns, so the run loop can take
 * interrupts between chunks (hardware takes them between iterations). F2 on MOVS/STOS/LODS/INS/OUTS
 * acts as REP. CMPS/SCAS stop when ZF != 1 (REPE) or ZF != 0 (REPNE). REP MOVS/STOS with 32-bit
 * addressing move whole page runs at once where that is safe (exec-string-bulk.ts).
 */
import type { Insn } from '../frontend/insn.js';
import { Rep, Seg } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { LfOp } from './flags.js';
import { def } from './handlers.js';
import { EF } from './state.js';
import { srcSeg } from './exec-ops.js';
import { bulkMovs, bulkStos } from './exec-string-bulk.js';
import { checkIoPermission } from './system/io.js';

/** Elements moved per run-loop step by a REP instruction before it yields. */
export const REP_CHUNK = 4096;

const ESI = 6, EDI = 7, ECX = 1;

/** Offset held in index register `reg` at the address size. */
function at(r: Int32Array, reg: number, a16: boolean): number {
  return a16 ? r[reg] & 0xffff : r[reg];
}

/** Advance register `reg` (ESI/EDI/ECX) by `d`, wrapping SI/DI/CX at 16 bits for 16-bit addressing. */
function advance(r: Int32Array, reg: number, d: number, a16: boolean): void {
  r[reg] = a16 ? (r[reg] & ~0xffff) | ((r[reg] + d) & 0xffff) : (r[reg] + d) | 0;
}

function countIsZero(r: Int32Array, a16: boolean): boolean {
  return (a16 ? r[ECX] & 0xffff : r[ECX]) === 0;
}

/** Step direction and size: -size when DF is set. */
function delta(cpu: Cpu, size: number): number {
  return (cpu.eflags & EF.DF) !== 0 ? -size : size;
}

/** Yield point of a REP loop: true (and EIP rewound) after REP_CHUNK elements. */
function yieldRep(cpu: Cpu, n: number): boolean {
  if (n < REP_CHUNK) return false;
  cpu.eip = cpu.insnEip;
  return true;
}

/**
 * Head of each REP iteration: true when the instruction ends here, because the count is exhausted
 * or (EIP rewound, see yieldRep) REP_CHUNK elements are done.
 */
function repEnds(cpu: Cpu, r: Int32Array, a16: boolean, n: number): boolean {
  return countIsZero(r, a16) || yieldRep(cpu, n);
}

/** Tail of an element of MOVS/STOS/LODS/INS/OUTS: true without REP, else ECX counts down. */
function lastElement(r: Int32Array, rep: boolean, a16: boolean): boolean {
  if (!rep) return true;
  advance(r, ECX, -1, a16);
  return false;
}

/**
 * Tail of an element of CMPS/SCAS (`res`: the comparison's result): true without a prefix; else
 * ECX counts down and REPE stops on a difference, REPNE on equality.
 */
function lastCompare(r: Int32Array, rep: number, a16: boolean, res: number): boolean {
  if (rep === Rep.None) return true;
  advance(r, ECX, -1, a16);
  return rep === Rep.Rep ? res !== 0 : res === 0;
}

function setCmpFlags(cpu: Cpu, a: number, b: number, sh: number): number {
  const lf = cpu.lf;
  const res = ((a - b) << sh) >> sh;
  lf.op = LfOp.SUB;
  lf.a = a;
  lf.b = b;
  lf.res = res;
  return res;
}

def(Mn.MOVS, (cpu, i: Insn) => {
  const size = i.osize, a16 = i.asize === 2, seg = srcSeg(i), d = delta(cpu, size);
  const r = cpu.regs;
  const rep = i.rep !== Rep.None;
  const bulk = rep && !a16;
  for (let n = 0; ; n++) {
    if (rep) {
      if (repEnds(cpu, r, a16, n)) return;
      if (bulk) {
        const k = bulkMovs(cpu, size, seg, Math.min(r[ECX] >>> 0, REP_CHUNK), d < 0);
        if (k > 0) {
          r[ESI] = (r[ESI] + k * d) | 0;
          r[EDI] = (r[EDI] + k * d) | 0;
          r[ECX] = (r[ECX] - k) | 0;
          n += k - 1;
          continue;
        }
      }
    }
    cpu.writeMem(Seg.ES, at(r, EDI, a16), size, cpu.readMem(seg, at(r, ESI, a16), size));
    advance(r, ESI, d, a16);
    advance(r, EDI, d, a16);
    if (lastElement(r, rep, a16)) return;
  }
});

def(Mn.STOS, (cpu, i: Insn) => {
  const size = i.osize, a16 = i.asize === 2, d = delta(cpu, size);
  const r = cpu.regs;
  const rep = i.rep !== Rep.None;
  const v = cpu.getReg(0, size);
  const bulk = rep && !a16;
  for (let n = 0; ; n++) {
    if (rep) {
      if (repEnds(cpu, r, a16, n)) return;
      if (bulk) {
        const k = bulkStos(cpu, size, v, Math.min(r[ECX] >>> 0, REP_CHUNK), d < 0);
        if (k > 0) {
          r[EDI] = (r[EDI] + k * d) | 0;
          r[ECX] = (r[ECX] - k) | 0;
          n += k - 1;
          continue;
        }
      }
    }
    cpu.writeMem(Seg.ES, at(r, EDI, a16), size, v);
    advance(r, EDI, d, a16);
    if (lastElement(r, rep, a16)) return;
  }
});

def(Mn.LODS, (cpu, i: Insn) => {
  const size = i.osize, a16 = i.asize === 2, seg = srcSeg(i), d = delta(cpu, size);
  const r = cpu.regs;
  const rep = i.rep !== Rep.None;
  for (let n = 0; ; n++) {
    if (rep && repEnds(cpu, r, a16, n)) return;
    cpu.setReg(0, size, cpu.readMem(seg, at(r, ESI, a16), size));
    advance(r, ESI, d, a16);
    if (lastElement(r, rep, a16)) return;
  }
});

def(Mn.CMPS, (cpu, i: Insn) => {
  const size = i.osize, a16 = i.asize === 2, seg = srcSeg(i), d = delta(cpu, size);
  const sh = (4 - size) << 3;
  const r = cpu.regs;
  const rep = i.rep;
  for (let n = 0; ; n++) {
    if (rep !== Rep.None && repEnds(cpu, r, a16, n)) return;
    const a = (cpu.readMem(seg, at(r, ESI, a16), size) << sh) >> sh;
    const b = (cpu.readMem(Seg.ES, at(r, EDI, a16), size) << sh) >> sh;
    advance(r, ESI, d, a16);
    advance(r, EDI, d, a16);
    const res = setCmpFlags(cpu, a, b, sh);
    if (lastCompare(r, rep, a16, res)) return;
  }
});

def(Mn.SCAS, (cpu, i: Insn) => {
  const size = i.osize, a16 = i.asize === 2, d = delta(cpu, size);
  const sh = (4 - size) << 3;
  const r = cpu.regs;
  const rep = i.rep;
  const a = (cpu.getReg(0, size) << sh) >> sh;
  for (let n = 0; ; n++) {
    if (rep !== Rep.None && repEnds(cpu, r, a16, n)) return;
    const b = (cpu.readMem(Seg.ES, at(r, EDI, a16), size) << sh) >> sh;
    advance(r, EDI, d, a16);
    const res = setCmpFlags(cpu, a, b, sh);
    if (lastCompare(r, rep, a16, res)) return;
  }
});

/**
 * INS (`input`: port DX -> ES:(E)DI) and OUTS (DS or the override:(E)SI -> port DX). The I/O
 * permission check (IOPL / TSS bitmap) comes first.
 */
function portString(cpu: Cpu, i: Insn, input: boolean): void {
  const size = i.osize, a16 = i.asize === 2, seg = srcSeg(i), d = delta(cpu, size);
  const r = cpu.regs;
  const rep = i.rep !== Rep.None;
  const port = r[2] & 0xffff;
  checkIoPermission(cpu, port, size);
  for (let n = 0; ; n++) {
    if (rep && repEnds(cpu, r, a16, n)) return;
    if (input) {
      cpu.writeMem(Seg.ES, at(r, EDI, a16), size, cpu.ioIn(port, size));
      advance(r, EDI, d, a16);
    } else {
      cpu.ioOut(port, size, cpu.readMem(seg, at(r, ESI, a16), size));
      advance(r, ESI, d, a16);
    }
    if (lastElement(r, rep, a16)) return;
  }
}

def(Mn.INS, (cpu, i: Insn) => portString(cpu, i, true));
def(Mn.OUTS, (cpu, i: Insn) => portString(cpu, i, false));
