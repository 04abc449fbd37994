/**
 * Operand plumbing shared by the integer handlers (exec-*.ts).
 *
 * Read-modify-write instructions call `readDst` then `writeDst`: the effective address of a memory
 * destination is computed once and kept in a module variable (no allocation), and the write goes
 * through `cpu.writeMem` so segment and paging checks apply to it. The order every RMW handler
 * follows gives precise faults (SDM Vol. 3 §6.5): read operands, compute, write the destination,
 * then update flags and other registers - a fault on the write leaves nothing changed.
 *
 * Operand conventions assumed from the decoder (insn.ts): slot 0 is the destination, slot 1 the
 * source; an immediate's `v` is already extended to the operand size as the encoding defines, so
 * immediates are used as `v` whatever their slot size says.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind, Seg } from '../frontend/insn.js';
import type { Cpu } from './cpu.js';
import { raiseCode, Vec } from './fault.js';

/** Offset (within i.seg) of the memory destination read by the last `readDst`. */
let dstOff = 0;

/** Read slot 0 at `size` bytes (zero-extended for 1 and 2) and remember where it lives. */
export function readDst(cpu: Cpu, i: Insn, size: number): number {
  const k = i.k0;
  if (k === OpKind.Reg) return cpu.getReg(i.v0, size);
  if (k === OpKind.Mem) {
    dstOff = cpu.ea(i);
    return cpu.readMem(i.seg, dstOff, size);
  }
  return cpu.readOp(i, 0);
}

/** Write slot 0 after `readDst` on the same instruction. */
export function writeDst(cpu: Cpu, i: Insn, size: number, v: number): void {
  const k = i.k0;
  if (k === OpKind.Reg) cpu.setReg(i.v0, size, v);
  else if (k === OpKind.Mem) cpu.writeMem(i.seg, dstOff, size, v);
  else cpu.writeOp(i, 0, v);
}

/** Read slot 1 at `size` bytes; an immediate is returned as decoded. */
export function readSrc(cpu: Cpu, i: Insn, size: number): number {
  const k = i.k1;
  if (k === OpKind.Reg) return cpu.getReg(i.v1, size);
  if (k === OpKind.Imm) return i.v1;
  if (k === OpKind.Mem) return cpu.readMem(i.seg, cpu.ea(i), size);
  return cpu.readOp(i, 1);
}

/** Offset `off + n` wrapped at the instruction's address size (the second half of a memory pair). */
export function offAdd(i: Insn, off: number, n: number): number {
  return i.asize === 2 ? (off + n) & 0xffff : (off + n) | 0;
}

/** Segment of a string instruction's source (DS unless overridden; SDM Vol. 2 MOVS). */
export function srcSeg(i: Insn): number {
  return i.segOverride >= 0 ? i.segOverride : Seg.DS;
}

/** Near branch target for `osize`, with the CS limit check but without setting EIP. */
export function nearTarget(cpu: Cpu, target: number, osize: number): number {
  const t = osize === 2 ? target & 0xffff : target | 0;
  if ((t >>> 0) > (cpu.segLimit[Seg.CS] >>> 0)) raiseCode(cpu, Vec.GP, 0);
  return t;
}

/** Stack pointer after adding `delta` (ESP or SP per SS.B), as the new ESP register value. */
export function spAdd(cpu: Cpu, delta: number): number {
  const esp = cpu.regs[4];
  return cpu.stack32 ? (esp + delta) | 0 : (esp & ~0xffff) | ((esp + delta) & 0xffff);
}

/** Stack offset (within SS) `delta` bytes from the stack pointer. */
export function spOff(cpu: Cpu, delta: number): number {
  const esp = cpu.regs[4];
  return cpu.stack32 ? (esp + delta) | 0 : (esp + delta) & 0xffff;
}
