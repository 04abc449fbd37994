/**
 * Building stack frames before committing them (far CALL, interrupt delivery, task switch error
 * codes). A `FrameWriter` pushes onto a stack described by explicit SS cache values (possibly a new
 * stack not loaded yet) with its own stack pointer; registers change only when the caller commits,
 * so a #SS/#PF in the middle of a frame leaves the CPU state as it was (precise faults, SDM Vol. 3
 * §6.5). Reused module-level instances: no allocation.
 */
import type { Cpu } from '../cpu.js';
import { raiseCode, Vec } from '../fault.js';
import { Seg } from '../../frontend/insn.js';
import { SegAttr } from '../state.js';
import { inLimit } from './descriptors.js';

export class FrameWriter {
  base = 0;
  limit = 0;
  attr = 0;
  /** Stack pointer (ESP, or SP in the low 16 bits when !big). */
  sp = 0;
  big = false;
  /** Page-level privilege of the pushes: user when the frame belongs to CPL 3. */
  user = false;
  /** Error code of the #SS raised on a limit violation. */
  ssCode = 0;

  /** Describe the current stack (SS cache and ESP of `cpu`). */
  fromCurrent(cpu: Cpu, ssCode: number): this {
    this.base = cpu.segBase[Seg.SS];
    this.limit = cpu.segLimit[Seg.SS];
    this.attr = cpu.segAttr[Seg.SS];
    this.big = (this.attr & SegAttr.DB) !== 0;
    this.sp = this.big ? cpu.regs[4] : cpu.regs[4] & 0xffff;
    this.user = cpu.cpl === 3;
    this.ssCode = ssCode;
    return this;
  }

  /** Describe a stack about to be loaded. */
  fromDesc(base: number, limit: number, attr: number, sp: number, user: boolean, ssCode: number): this {
    this.base = base;
    this.limit = limit;
    this.attr = attr;
    this.big = (attr & SegAttr.DB) !== 0;
    this.sp = this.big ? sp | 0 : sp & 0xffff;
    this.user = user;
    this.ssCode = ssCode;
    return this;
  }

  push(cpu: Cpu, size: number, v: number): void {
    const sp = this.big ? (this.sp - size) | 0 : (this.sp - size) & 0xffff;
    if (!inLimit(this.limit, this.attr, sp, size)) raiseCode(cpu, Vec.SS, this.ssCode);
    cpu.mmu.writeAs((this.base + sp) | 0, size, v, this.user);
    this.sp = sp;
  }

  /** Store the stack pointer into ESP (SP only for a 16-bit stack). */
  commitSp(cpu: Cpu): void {
    if (this.big) cpu.regs[4] = this.sp;
    else cpu.regs[4] = (cpu.regs[4] & ~0xffff) | (this.sp & 0xffff);
  }
}

/**
 * Read `size` bytes at SS:(SP + `delta`) without popping (RET far, IRET read the whole frame before
 * changing anything). The offset wraps at 64 KiB for a 16-bit stack.
 */
export function peekStack(cpu: Cpu, delta: number, size: number): number {
  const off = cpu.stack32 ? (cpu.regs[4] + delta) | 0 : (cpu.regs[4] + delta) & 0xffff;
  return cpu.readMem(Seg.SS, off, size);
}

/** Add `delta` to the stack pointer (ESP or SP per SS.B). */
export function adjustSp(cpu: Cpu, delta: number): void {
  if (cpu.stack32) cpu.regs[4] = (cpu.regs[4] + delta) | 0;
  else cpu.regs[4] = (cpu.regs[4] & ~0xffff) | ((cpu.regs[4] + delta) & 0xffff);
}

export const frame = new FrameWriter();
