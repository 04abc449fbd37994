/**
 * Semantics written once (DESIGN.md "Semantics once, both engines from it").
 *
 * An instruction's behaviour is a *template*: a function that writes JavaScript statements through
 * a `SemGen`, the abstract code generator of one engine. Two generators implement it:
 * - the interpreter's (interp-gen.ts) binds operands to `cpu.regs`, `cpu.readMem`/`writeMem` and
 *   `cpu.lf`, reading register numbers and immediates from the `Insn` at run time; the handlers are
 *   compiled at load, one function per form (sizes and operand kinds fixed), the first time a form
 *   is decoded;
 * - the JIT's (src/jit/emit-inline.ts) binds them to JS locals, TLB fast paths and flag locals, with
 *   every register number and immediate a literal.
 *
 * A template may read only the *static* shape of its instruction from the form `f`: k0..k2, s0..s2,
 * osize, asize, rep, lock (never register numbers, immediates, displacements or cc: those come
 * through the generator). Contract (handlers.ts): every access that can fault happens before any
 * register or flag is written.
 */
import type { Insn } from '../../frontend/insn.js';

export interface SemGen {
  /** Emit a statement. */
  line(s: string): void;
  /** A fresh scratch local (int32) for this instruction. */
  tmp(): string;
  /**
   * Operand `slot`: register, memory or moffs zero-extended from its size (int32 at 4 bytes), or an
   * immediate as decoded (insn.ts: already sign- or zero-extended to the operand size, as int32).
   * A memory operand is loaded now (it can fault) into a scratch; its address is kept for `put` on
   * the same slot.
   */
  get(slot: number): string;
  /** Write `v` (only its low `size` bytes count) to operand `slot` (memory: the address `get` used,
   *  or computed now). */
  put(slot: number, v: string): void;
  /** Number literal (JIT) or run-time expression (interpreter) of operand `slot`'s register number. */
  regNum(slot: number): string;
  /** General register `r` (0-7, 8-bit AL..BH for size 1) zero-extended from `size`. */
  reg(r: number, size: number): string;
  /** Write register `r` at `size` bytes. */
  setReg(r: number, size: number, v: string): void;
  /** Effective address (offset in the segment) of the memory operand. */
  ea(): string;
  /** Load / store `size` bytes at segment `seg` (Seg.*, or the instruction's own with -1), offset `off`. */
  load(seg: number, off: string, size: number): string;
  store(seg: number, off: string, size: number, v: string): void;
  /** The stack pointer as an offset in SS and the next ESP after adding `delta` (SS.B decides). */
  sp(delta: number): string;
  setSp(v: string): void;
  /**
   * Record lazy flags of kind `op` (flags.ts) from result and operands (sign-extended int32), with
   * `kept` = the EFLAGS bits the kind keeps (flag-exprs.ts KEPT_BITS) as an expression, or null when
   * the kind keeps none.
   */
  flags(op: number, res: string, a: string, b: string, kept: string | null): void;
  /** The current CF as 0 or 1. */
  cf(): string;
  /** One arithmetic flag (flag-exprs.ts FlagIx) as 0 or 1. */
  flag(ix: number): string;
  /** The instruction's own condition (Insn.cc) as a boolean expression. */
  cond(): string;
  /** Raise exception `vec` (fault.ts Vec), with error code `code` when given. */
  raise(vec: number, code?: number): void;
  /**
   * Structured conditionals: `if (cond) {` ... `} else {` ... `}`. A template uses these (not raw
   * `if` lines) around anything that calls put/store/flags/raise, so the JIT knows that flags set
   * inside are set on one path only. Plain expressions and scratch assignments may use raw JS.
   */
  ifOpen(cond: string): void;
  ifElse(): void;
  ifClose(): void;
  /**
   * A loop (REP): `for (;;) {` ... `}`, left by loopBreak() and restarted by loopContinue() (both
   * inside ifOpen/ifClose). Nothing assigned before the loop is known inside it, and flags set in
   * it count as set on one path only (the loop may run zero times).
   */
  loopOpen(): void;
  loopBreak(): void;
  loopContinue(): void;
  loopClose(): void;
  /**
   * End the instruction now, retired, with EIP at the instruction itself (a REP instruction after
   * a chunk of elements: the engine may take interrupts, then runs it again). Only inside a loop,
   * and nothing may follow the loop.
   */
  yieldInsn(): void;
  /**
   * The bulk path of REP MOVS (`stos` false; source segment `seg`, -1 = the instruction's) or REP
   * STOS (`stos` true, `value` the element) of the instruction's element size (exec-string-bulk.ts):
   * an expression for the elements moved at once from offsets `si`/`di` (up to `count` > 0,
   * downwards when `back` is true), 0 when the caller must take one element itself. It faults
   * only before anything is moved.
   */
  bulk(stos: boolean, seg: number, si: string, di: string, count: string, value: string, back: string): string;
}

export type Template = (g: SemGen, f: Insn) => void;

/** Templates by mnemonic id; undefined = the instruction stays a hand-written handler. */
export const templates: (Template | undefined)[] = [];
/** Forms a template covers (by static shape); undefined = all. The other forms of the mnemonic
 *  run its hand-written handler (e.g. PUSH of a segment register, which is system code). */
export const accepts: (((f: Insn) => boolean) | undefined)[] = [];

export function defSem(mn: number, t: Template, covers?: (f: Insn) => boolean): void {
  templates[mn] = t;
  accepts[mn] = covers;
}

/** The template that runs `f`, or undefined when `f` runs a hand-written handler. */
export function templateFor(f: Insn): Template | undefined {
  const t = templates[f.mn];
  if (t === undefined) return undefined;
  const c = accepts[f.mn];
  return c === undefined || c(f) ? t : undefined;
}

/** A scratch holding `expr`. */
export function let_(g: SemGen, expr: string): string {
  const t = g.tmp();
  g.line(`${t} = ${expr};`);
  return t;
}

/** `x` (zero- or sign-extended from `size` bytes) sign-extended to int32. */
export function sx(x: string, size: number): string {
  return size === 4 ? x : `((${x} << ${32 - size * 8}) >> ${32 - size * 8})`;
}

/** `x` cut to `size` bytes, zero-extended (int32 at 4). */
export function zx(x: string, size: number): string {
  return size === 4 ? `(${x} | 0)` : size === 2 ? `(${x} & 65535)` : `(${x} & 255)`;
}
