/**
 * SeqBuilder: assembles one test sequence byte by byte (no assembler, no decoder: test code must not
 * share the decoder under test) and keeps what the generator must know to stay meaningful:
 * - which arithmetic flags may be undefined right now (SDM "Flags Affected" of each form, with the
 *   count rules of shifts), so a form that reads a flag first re-defines it with a CMP;
 * - the stack pointer's offset in the scratch page (every stack effect is known);
 * - DF, and for the x87 the approximate stack depth;
 * - memory preludes: a memory operand at scratch offset `off` is addressed through one of several
 *   ModRM/SIB shapes, loading base/index registers with `mov r32, imm32` first (MOV leaves flags).
 */
import { CODE_ADDR, PATCHES, patchable, SCRATCH_ADDR, STRADDLE_OFF, STRADDLE_SIZE } from '../format.js';
import { Rng, value32 } from './rng.js';

export const F = { CF: 1, PF: 4, AF: 0x10, ZF: 0x40, SF: 0x80, DF: 0x400, OF: 0x800, ARITH: 0x8d5 } as const;
export const R = { EAX: 0, ECX: 1, EDX: 2, EBX: 3, ESP: 4, EBP: 5, ESI: 6, EDI: 7 } as const;

/** ESP at the start of every sequence, as an offset in the scratch page. */
export const STACK_OFF = 0x180;
/** Memory operands live in [0, DATA_END) of the scratch page; the stack above it. */
export const DATA_END = 0x100;
/** FNSTENV/FNSAVE images go to [ENV_START, ENV_START + 0x100): no other form reads or writes there. */
export const ENV_START = 0x200;

export class SeqBuilder {
  readonly code: number[] = [];
  readonly regs = new Int32Array(8);
  eflags: number;
  df: number;
  /** Arithmetic flags that may be undefined at this point of the sequence. */
  undef = 0;
  /** Registers whose value is undefined at this point (bit per register). */
  undefRegs = 0;
  readonly patches: Array<[number, number]> = [];
  espOff = STACK_OFF;
  /** x87: registers believed valid from ST(0) down; -1 when the sequence does not use the x87. */
  fdepth = -1;
  /** x87 comparison mode of the sequence (forms-x87.ts fpuImage). */
  fmode: 'none' | 'exact' | 'tol' = 'none';
  /** x87 precision control of the sequence (CW bits 8-9): 0 single, 2 double, 3 extended. */
  fpc = 3;
  /** False when the x87 state at a fault is not comparable (the #MF form). */
  fpuAfterFault = true;
  /** x87 condition codes (C0 0x100, C1 0x200, C2 0x400, C3 0x4000) left undefined so far. */
  fswUndef = 0;
  /** x87 stores to memory: [offset, format], compared by value in tolerance mode. */
  readonly fpStores: Array<[number, string]> = [];
  /** Scratch bytes not compared: [offset, length] (x87 environment pointer fields). */
  readonly memMask: Array<[number, number]> = [];
  /** The interpreter runs this sequence with paging on (odd ids: interp-runner.ts). */
  paging = false;
  /** Registers a prelude of the form being generated must not clobber (bit per register). */
  avoid = 0;

  constructor(readonly rng: Rng) {
    for (let r = 0; r < 8; r++) this.regs[r] = value32(rng);
    this.regs[R.ESP] = (SCRATCH_ADDR + STACK_OFF) | 0;
    this.df = rng.chance(0.3) ? 1 : 0;
    this.eflags = (rng.u32() & F.ARITH) | (this.df ? F.DF : 0) | 2;
  }

  get pc(): number {
    return CODE_ADDR + this.code.length;
  }

  emit(...bytes: number[]): void {
    for (const x of bytes) this.code.push(x & 0xff);
  }
  imm(v: number, size: number): number[] {
    const out = [v & 0xff];
    if (size >= 2) out.push((v >> 8) & 0xff);
    if (size === 4) out.push((v >> 16) & 0xff, (v >>> 24) & 0xff);
    return out;
  }

  /** mov r32, imm32 (B8+r). */
  setReg(r: number, v: number): void {
    this.emit(0xb8 + r, ...this.imm(v | 0, 4));
    this.undefRegs &= ~(1 << r);
  }

  /** A flag reader comes next: re-define its flags if some may be undefined (CMP defines all six). */
  needFlags(mask: number): void {
    if ((this.undef & mask) === 0) return;
    const a = this.reg32(), c = this.reg32();
    this.emit(0x39, 0xc0 | (c << 3) | a);
    this.undef = 0;
  }

  /** The form just emitted wrote `written` flags, `undefined` of them left undefined. */
  flags(written: number, undefined = 0): void {
    this.undef = (this.undef & ~written) | undefined;
  }

  /** The x87 form just emitted defines `def` condition codes and leaves `undef` undefined. */
  fcc(def: number, undef: number): void {
    this.fswUndef = (this.fswUndef & ~def) | undef;
  }

  /** A general register for an explicit operand: never ESP, never one in `avoid`. */
  reg32(extraAvoid = 0): number {
    for (;;) {
      const r = this.rng.below(8);
      if (r !== R.ESP && ((this.avoid | extraAvoid) & (1 << r)) === 0) return r;
    }
  }
  /** A byte register encoding 0-7 (AL..BH) whose full register is not avoided. */
  reg8(extraAvoid = 0): number {
    for (;;) {
      const r = this.rng.below(8);
      if (((this.avoid | extraAvoid) & (1 << (r & 3))) === 0) return r;
    }
  }
  reg(size: number, extraAvoid = 0): number {
    return size === 1 ? this.reg8(extraAvoid) : this.reg32(extraAvoid);
  }

  /**
   * A random data offset for an operand of `size` bytes (sometimes misaligned; one in 16 in the
   * window across the boundary between the two scratch pages, usually straddling it).
   */
  dataOff(size: number): number {
    if (size <= 16 && this.rng.chance(1 / 16)) {
      const cross = size > 1 && this.rng.chance(0.8);
      return cross ? 0x1000 - this.rng.range(1, size - 1) : 0xff0 + this.rng.below(32 - size + 1);
    }
    const off = this.rng.below(DATA_END - size);
    return this.rng.chance(0.8) ? off & ~(Math.min(size, 4) - 1) : off;
  }

  /** Patch a dword of the initial scratch contents (ignored once the patch slots are full). */
  patch(off: number, v: number): boolean {
    if (this.patches.length >= PATCHES || !patchable(off)) return false;
    this.patches.push([off, v | 0]);
    return true;
  }
  /** Give the operand at `off` an interesting initial value (half of the time). */
  patchValue(off: number, size: number): void {
    if (size <= 4 && this.rng.chance(0.5)) {
      const v = value32(this.rng);
      // keep the bytes beyond the operand as they were: patch only when the operand is a dword
      // or sits at the end of a dword we can overwrite freely (the fill is random anyway)
      this.patch(off, size === 4 ? v : v & (size === 2 ? 0xffff : 0xff));
    }
  }

  /**
   * Optional segment-override prefix for a memory operand (flat segments: same address). CS is
   * only used for reads here (a write through CS is its own fault form).
   */
  segPrefix(write: boolean): number[] {
    const k = this.rng.below(20);
    if (k >= 4 || (k === 1 && write)) return [];
    return [[0x26, 0x2e, 0x36, 0x3e][k]]; // ES CS SS DS
  }

  /**
   * Emit the preludes of a memory operand at scratch offset `off` and return its ModRM tail
   * (ModRM, SIB, displacement) for ModRM reg field `regField`.
   */
  memAt(off: number, regField: number): number[] {
    const target = (SCRATCH_ADDR + off) | 0;
    const rg = (regField & 7) << 3;
    const r = this.rng;
    for (;;) {
      const mode = r.below(8);
      switch (mode) {
        case 0:
        case 1: // [disp32]
          return [rg | 5, ...this.imm(target, 4)];
        case 2: { // [base]
          const b = this.reg32();
          if (b === R.EBP) continue;
          this.setReg(b, target);
          return [rg | b];
        }
        case 3: { // [base + disp8]
          const b = this.reg32();
          const d = r.range(-128, 127);
          this.setReg(b, target - d);
          return [0x40 | rg | b, d & 0xff];
        }
        case 4: { // [base + disp32]
          const b = this.reg32();
          const d = value32(r);
          this.setReg(b, target - d);
          return [0x80 | rg | b, ...this.imm(d, 4)];
        }
        case 5: { // [base + index*scale + disp]: any index value, 32-bit wrap-around
          const b = this.reg32();
          const i = this.reg32(1 << b);
          const s = r.below(4);
          const iv = value32(r);
          const dmode = b === R.EBP ? 1 + r.below(2) : r.below(3);
          const d = dmode === 0 ? 0 : dmode === 1 ? r.range(-128, 127) : value32(r);
          this.setReg(i, iv);
          this.setReg(b, target - (iv << s) - d);
          const sib = (s << 6) | (i << 3) | b;
          if (dmode === 0) return [rg | 4, sib];
          if (dmode === 1) return [0x40 | rg | 4, sib, d & 0xff];
          return [0x80 | rg | 4, sib, ...this.imm(d, 4)];
        }
        case 6: { // [index*scale + disp32], no base
          const i = this.reg32();
          const s = r.below(4);
          const iv = value32(r);
          this.setReg(i, iv);
          return [rg | 4, (s << 6) | (i << 3) | 5, ...this.imm(target - (iv << s), 4)];
        }
        default: { // [esp + disp] through a SIB with no index
          const d = off - this.espOff;
          if (d >= -128 && d <= 127) return [0x40 | rg | 4, 0x24, d & 0xff];
          return [0x80 | rg | 4, 0x24, ...this.imm(d, 4)];
        }
      }
    }
  }

  /** Keep ESP inside the stack area before a form that moves it by up to `need` bytes. */
  stackRoom(need: number): void {
    if (this.espOff - need < 0x120 || this.espOff + need > 0x1f0) {
      this.emit(0xbc, ...this.imm(SCRATCH_ADDR + STACK_OFF, 4)); // mov esp, imm32
      this.espOff = STACK_OFF;
    }
  }
}
