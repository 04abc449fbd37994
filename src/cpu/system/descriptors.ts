/**
 * Segment descriptors (SDM Vol. 3 §3.4.5, §5.2): reading an 8-byte descriptor from the GDT or LDT
 * into a reusable `Desc`, decoding base/limit/attributes, and setting the accessed / busy bits.
 *
 * `Desc.attr` uses the same layout as `CpuState.segAttr`: the descriptor's bits 40-55 shifted down
 * by 8, with the limit bits 19:16 masked out (type 0-3, S 4, DPL 5-6, P 7, AVL 12, D/B 14, G 15).
 * No allocation: callers own a few module-level `Desc` objects.
 */
import type { Cpu } from '../cpu.js';
import { raiseCode } from '../fault.js';

export const DescType = {
  TSS16_AVAIL: 1,
  LDT: 2,
  TSS16_BUSY: 3,
  CALL_GATE16: 4,
  TASK_GATE: 5,
  INT_GATE16: 6,
  TRAP_GATE16: 7,
  TSS32_AVAIL: 9,
  TSS32_BUSY: 11,
  CALL_GATE32: 12,
  INT_GATE32: 14,
  TRAP_GATE32: 15,
} as const;

export class Desc {
  /** Selector it was read with. */
  sel = 0;
  /** Linear address of the descriptor in its table. */
  addr = 0;
  lo = 0;
  hi = 0;
  base = 0;
  /** Byte-granular limit (G applied), int32. */
  limit = 0;
  attr = 0;

  get type(): number {
    return this.attr & 0x0f;
  }
  get dpl(): number {
    return (this.attr >> 5) & 3;
  }
  get present(): boolean {
    return (this.attr & 0x80) !== 0;
  }
  /** S = 1: code or data segment. */
  get isCodeData(): boolean {
    return (this.attr & 0x10) !== 0;
  }
  get isCode(): boolean {
    return (this.attr & 0x18) === 0x18;
  }
  get isData(): boolean {
    return (this.attr & 0x18) === 0x10;
  }
  get conforming(): boolean {
    return (this.attr & 0x1c) === 0x1c;
  }
  /** Code: readable; data: writable. */
  get rw(): boolean {
    return (this.attr & 2) !== 0;
  }
  /** Gate fields: target selector, offset, parameter count. */
  get gateSel(): number {
    return this.lo >>> 16;
  }
  get gateOffset(): number {
    return (this.lo & 0xffff) | (this.hi & 0xffff0000);
  }
  get gateParams(): number {
    return this.hi & 0x1f;
  }

  copyFrom(o: Desc): void {
    this.sel = o.sel;
    this.addr = o.addr;
    this.lo = o.lo;
    this.hi = o.hi;
    this.base = o.base;
    this.limit = o.limit;
    this.attr = o.attr;
  }

  /** Decode lo/hi into base, limit, attr. */
  decode(): void {
    const lo = this.lo;
    const hi = this.hi;
    this.base = (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
    let limit = (lo & 0xffff) | (hi & 0xf0000);
    if ((hi & 0x800000) !== 0) limit = (limit << 12) | 0xfff;
    this.limit = limit;
    this.attr = (hi >>> 8) & 0xf0ff;
  }
}

/**
 * Read the descriptor of `sel` (index and TI) into `d`. Returns false when the selector is outside
 * its table's limit (or TI=1 with no usable LDT); the caller raises the fault its instruction
 * defines. Reads are implicit supervisor accesses (may raise #PF).
 */
export function readDesc(cpu: Cpu, sel: number, d: Desc): boolean {
  let base: number;
  let limit: number;
  if ((sel & 4) !== 0) {
    if ((cpu.ldtSel & 0xfffc) === 0) return false;
    base = cpu.ldtBase;
    limit = cpu.ldtLimit >>> 0;
  } else {
    base = cpu.gdtBase;
    limit = cpu.gdtLimit >>> 0;
  }
  const off = sel & 0xfff8;
  if (off + 7 > limit) return false;
  const addr = (base + off) | 0;
  d.sel = sel & 0xffff;
  d.addr = addr;
  d.lo = cpu.mmu.sysRead32(addr);
  d.hi = cpu.mmu.sysRead32((addr + 4) | 0);
  d.decode();
  return true;
}

/** readDesc, raising `vector` with error code (sel & 0xfffc) | ext when outside the table. */
export function readDescOrFault(cpu: Cpu, sel: number, d: Desc, vector: number, ext = 0): void {
  if (!readDesc(cpu, sel, d)) raiseCode(cpu, vector, (sel & 0xfffc) | ext);
}

/** Set the accessed bit of a code/data descriptor in memory (SDM Vol. 3 §3.4.5.1). */
export function setAccessed(cpu: Cpu, d: Desc): void {
  if ((d.hi & 0x100) === 0) {
    d.hi |= 0x100;
    d.attr |= 1;
    cpu.mmu.sysWrite8((d.addr + 5) | 0, (d.hi >>> 8) & 0xff);
  }
}

/** Set or clear the busy bit (type bit 1) of a TSS descriptor in memory. */
export function setTssBusy(cpu: Cpu, d: Desc, busy: boolean): void {
  d.hi = busy ? d.hi | 0x200 : d.hi & ~0x200;
  d.attr = busy ? d.attr | 2 : d.attr & ~2;
  cpu.mmu.sysWrite8((d.addr + 5) | 0, (d.hi >>> 8) & 0xff);
}

/** Segment-relative limit check of SDM Vol. 3 §5.3 for [off, off+size) (expand-down aware). */
export function inLimit(limit: number, attr: number, off: number, size: number): boolean {
  const end = (off >>> 0) + size - 1;
  if ((attr & 0x1c) === 0x14) {
    const upper = (attr & 0x4000) !== 0 ? 0xffffffff : 0xffff;
    return (off >>> 0) > limit >>> 0 && end <= upper;
  }
  return end <= limit >>> 0;
}

