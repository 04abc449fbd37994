/**
 * Memory access for x87 operand formats (SDM Vol. 1 §4.2, §8.2): float32/64/80, int16/32/64 and
 * 80-bit packed BCD, read and written through the CPU's segmented, paged accessors.
 *
 * Wide stores are made precise: the segment limit is checked for the whole operand first, and when
 * the operand crosses a page boundary its last byte is probed (re-written with its own value) before
 * any byte of the new value is written, so a #PF leaves memory unchanged (SDM Vol. 3 §6.5).
 */
import type { Cpu } from '../cpu.js';
import {
  Cls, classifyF80, doubleFromBits, F80, f32BitsToF80, f80ToDouble, floatFromBits, int64ToF80,
} from './float80.js';

/** Result details of the last memory operand read. */
export class MemOperand {
  /** float32/float64 source was a denormal (DE). */
  denormal = false;
  /** float32/float64 source was a signalling NaN. */
  snan = false;
  /** For NaN sources (any format) and every float80 / int64 / BCD source: the exact pattern. */
  readonly f80 = new F80();
}
export const mem = new MemOperand();

/** Read a float operand of `size` 4, 8 or 10 bytes; returns the value as a double (see `mem`). */
export function readFloat(cpu: Cpu, seg: number, off: number, size: number): number {
  mem.denormal = false;
  mem.snan = false;
  if (size === 4) {
    const b = cpu.readMem(seg, off, 4) >>> 0;
    const exp = (b >>> 23) & 0xff;
    if (exp === 0 && (b & 0x7fffff) !== 0) mem.denormal = true;
    if (exp === 0xff && (b & 0x7fffff) !== 0) {
      mem.snan = (b & 0x400000) === 0;
      f32BitsToF80(b, mem.f80);
      return NaN;
    }
    return floatFromBits(b);
  }
  if (size === 8) {
    cpu.lin(seg, off, 8);
    const lo = cpu.readMem(seg, off, 4) >>> 0;
    const hi = cpu.readMem(seg, (off + 4) | 0, 4) >>> 0;
    const exp = (hi >>> 20) & 0x7ff;
    const fracNz = (hi & 0xfffff) !== 0 || lo !== 0;
    if (exp === 0 && fracNz) mem.denormal = true;
    const v = doubleFromBits(hi, lo);
    if (exp === 0x7ff && fracNz) {
      mem.snan = (hi & 0x80000) === 0;
      const f = mem.f80;
      f.se = ((hi >>> 31) << 15) | 0x7fff;
      f.hi = (0x80000000 | ((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
      f.lo = (lo << 11) >>> 0;
      return NaN;
    }
    return v;
  }
  read80(cpu, seg, off, mem.f80);
  const f = mem.f80;
  const cls = classifyF80(f.se, f.hi, f.lo);
  mem.denormal = cls === Cls.DENORMAL;
  return f80ToDouble(f.se, f.hi, f.lo);
}

/** Read the raw 10 bytes of a float80 / BCD operand into `out`. */
export function read80(cpu: Cpu, seg: number, off: number, out: F80): void {
  cpu.lin(seg, off, 10);
  out.lo = cpu.readMem(seg, off, 4) >>> 0;
  out.hi = cpu.readMem(seg, (off + 4) | 0, 4) >>> 0;
  out.se = cpu.readMem(seg, (off + 8) | 0, 2);
}

/**
 * Read an integer operand of 2, 4 or 8 bytes. Returns the value as a double (nearest for int64
 * beyond 2^53); for 8 bytes the exact value is also in `mem.f80`.
 */
export function readInt(cpu: Cpu, seg: number, off: number, size: number): number {
  mem.denormal = false;
  mem.snan = false;
  if (size === 2) return (cpu.readMem(seg, off, 2) << 16) >> 16;
  if (size === 4) return cpu.readMem(seg, off, 4) | 0;
  cpu.lin(seg, off, 8);
  const lo = cpu.readMem(seg, off, 4) >>> 0;
  const hi = cpu.readMem(seg, (off + 4) | 0, 4) | 0;
  int64ToF80(hi, lo, mem.f80);
  return hi * 4294967296 + lo;
}

/**
 * Check that `size` bytes at seg:off can be written (limit, and for a page-crossing operand the
 * page of its last byte) before anything is written.
 */
export function probeWrite(cpu: Cpu, seg: number, off: number, size: number): void {
  const lin = cpu.lin(seg, off, size);
  if ((lin & 0xfff) + size > 0x1000) {
    const last = (off + size - 1) | 0;
    cpu.writeMem(seg, last, 1, cpu.readMem(seg, last, 1));
  }
}

export function write64(cpu: Cpu, seg: number, off: number, hi: number, lo: number): void {
  probeWrite(cpu, seg, off, 8);
  cpu.writeMem(seg, off, 4, lo | 0);
  cpu.writeMem(seg, (off + 4) | 0, 4, hi | 0);
}

export function write80(cpu: Cpu, seg: number, off: number, se: number, hi: number, lo: number): void {
  probeWrite(cpu, seg, off, 10);
  cpu.writeMem(seg, off, 4, lo | 0);
  cpu.writeMem(seg, (off + 4) | 0, 4, hi | 0);
  cpu.writeMem(seg, (off + 8) | 0, 2, se & 0xffff);
}
