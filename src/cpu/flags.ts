/**
 * Lazy arithmetic flags (DESIGN.md "CPU state and flags").
 *
 * A flag-setting instruction stores its result and operands plus an operation kind in `cpu.lf`
 * (four int32 field writes, no allocation); CF/PF/AF/ZF/SF/OF are computed only when something
 * reads them (Jcc, ADC, PUSHF, ...).
 *
 * Size independence: handlers store `res`, `a` and `b` SIGN-EXTENDED from the operand size to
 * int32 (`(x << sh) >> sh` with sh = 24/16/0). Then ZF = (res == 0), SF = (res < 0), PF from the low
 * byte, AF from bit 4 of a^b^res, OF from the sign bits, and CF from an unsigned compare (sign
 * extension is monotonic as an unsigned map, so `a <u b` on the extended values equals `a <u b` on
 * the n-bit values) - the operand size is never needed.
 *
 * Kinds (`LfOp`):
 *   NONE   all six flags are materialised in cpu.eflags.
 *   ADD    res = a + b.          SUB  res = a - b (also CMP, NEG with a = 0, CMPXCHG, CMPS, SCAS).
 *   ADC    res = a + b + cin.    SBB  res = a - b - cin.    cin is kept in cpu.eflags bit 0 (CF).
 *   INC    as ADD with b = 1;    DEC  as SUB with b = 1;    CF is unchanged, kept in eflags bit 0.
 *   LOGIC  CF = OF = AF = 0; SF/ZF/PF from res.
 *   RES    CF, OF and AF are in cpu.eflags (computed eagerly by shifts, MUL, BCD...); SF/ZF/PF
 *          from res.
 * While a kind other than NONE is pending, the six arithmetic bits of cpu.eflags are stale except
 * the ones a kind keeps there (listed above); every other EFLAGS bit is always live in cpu.eflags.
 * So never write arithmetic bits of cpu.eflags directly: read with getEflags/testCC/getXF, change
 * with setEflags, setArithFlags, setCF, setCfOf, foldCF or setResultFlags.
 */
import type { CpuState } from './state.js';

import { ARITH, bindFlagExpr, CF, condExpr, FLAG_EXPR, FlagIx, KEPT_BITS, LfOp, LF_KINDS, OF, AF, PF, ZF, SF } from './flag-exprs.js';

export { ARITH, CF, LfOp, OF, AF, PF, ZF, SF };
/** EFLAGS bits that exist on an i686 (SDM Vol. 1 §3.4.3); bit 1 reads as 1, bits 3/5/15/22+ as 0. */
export const EFLAGS_DEFINED = 0x3f7fd5;

export class LazyFlags {
  /** Operation kind (LfOp) of the last flag-setting instruction. */
  op = 0;
  /** Result, sign-extended from the operand size to int32. */
  res = 0;
  /** First operand, sign-extended. */
  a = 0;
  /** Second operand, sign-extended. */
  b = 0;
}

/** PF value (0 or 4) for each low byte: set when the byte has an even number of one bits. */
export const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let n = 0;
  for (let v = i; v !== 0; v >>= 1) n += v & 1;
  PARITY[i] = (n & 1) === 0 ? PF : 0;
}

/** Shift that sign-extends an operand of `size` bytes from bit 8*size-1: `(x << sh) >> sh`. */
export function signShift(size: number): number {
  return (4 - size) << 3;
}

// ------------------------------------------------------------------ single flags (0 or 1)
// Compiled at load from flag-exprs.ts, the one definition both engines use.

type Getter = (cpu: CpuState) => number;

/** `case <kind>: return <flag ix>;` for every lazy-flag kind, A B R E bound to the given names. */
function flagCases(ix: number, a: string, b: string, r: string, e: string): string {
  let cases = '';
  for (let op = 0; op < LF_KINDS; op++) cases += `case ${op}: return ${bindFlagExpr(FLAG_EXPR[op][ix], a, b, r, e)};\n`;
  return cases;
}

/** Per kind, `case <kind>: switch (cc) { case <cc>: return <condition>; ... } break;`, bound likewise. */
function conditionCases(a: string, b: string, r: string, e: string): string {
  let kinds = '';
  for (let op = 0; op < LF_KINDS; op++) {
    let ccs = '';
    for (let cc = 0; cc < 16; cc++) ccs += `case ${cc}: return ${bindFlagExpr(condExpr(op, cc), a, b, r, e)};\n`;
    kinds += `case ${op}: switch (cc) {\n${ccs}} break;\n`;
  }
  return kinds;
}

function compileGetter(ix: number): Getter {
  const src = `"use strict"; return function getFlag(cpu) { const lf = cpu.lf; switch (lf.op) {\n${flagCases(ix, 'lf.a', 'lf.b', 'lf.res', 'cpu.eflags')}} return 0; };`;
  return new Function('PARITY', src)(PARITY) as Getter;
}

export const getCF: Getter = compileGetter(FlagIx.CF);
export const getOF: Getter = compileGetter(FlagIx.OF);
export const getAF: Getter = compileGetter(FlagIx.AF);
export const getZF: Getter = compileGetter(FlagIx.ZF);
export const getSF: Getter = compileGetter(FlagIx.SF);
export const getPF: Getter = compileGetter(FlagIx.PF);

/**
 * The same getters over translated code's flag locals (src/jit: `fo fa fb fr fx`, the kind,
 * operands, result and kept bits of flags still pending in locals; `op < 0`: they are in
 * `cpu.lf`/`cpu.eflags`, read by the getter above). A block entered from another block of its
 * region finds the flags there in an unknown kind: reading one through these costs no store.
 */
type LocalGetter = (cpu: CpuState, op: number, a: number, b: number, r: number, x: number) => number;

function compileLocalGetter(ix: number, inCpu: Getter): LocalGetter {
  const src = `"use strict"; return function localFlag(cpu, op, a, b, r, x) { switch (op) {\n${flagCases(ix, 'a', 'b', 'r', 'x')}} return inCpu(cpu); };`;
  return new Function('PARITY', 'inCpu', src)(PARITY, inCpu) as LocalGetter;
}

/** By FlagIx: CF PF AF ZF SF OF. */
export const LOCAL_FLAG_GETTERS: readonly LocalGetter[] = [getCF, getPF, getAF, getZF, getSF, getOF].map((g, ix) => compileLocalGetter(ix, g));

// ------------------------------------------------------------------ whole EFLAGS

/**
 * Fold the pending lazy result into cpu.eflags (kind becomes NONE). Architecturally invisible;
 * used before instructions that change only some arithmetic flags (CLC, BT, rotates, ...).
 */
export function materialize(cpu: CpuState): void {
  const lf = cpu.lf;
  if (lf.op === LfOp.NONE) return;
  const f =
    getCF(cpu) |
    (PARITY[lf.res & 0xff]) |
    (getAF(cpu) << 4) |
    (lf.res === 0 ? ZF : 0) |
    ((lf.res >>> 31) << 7) |
    (getOF(cpu) << 11);
  cpu.eflags = (cpu.eflags & ~ARITH) | f;
  lf.op = LfOp.NONE;
}

/** The architectural EFLAGS value (bit 1 set). */
export function getEflags(cpu: CpuState): number {
  materialize(cpu);
  return cpu.eflags | 2;
}

/** Replace EFLAGS with `v` (the caller has already applied the writable-bit rules). */
export function setEflags(cpu: CpuState, v: number): void {
  cpu.lf.op = LfOp.NONE;
  cpu.eflags = (v & EFLAGS_DEFINED) | 2;
}

/**
 * Set the arithmetic flags in `mask` to the bits of `v` (same positions), leaving the others
 * as they are (materialises first).
 */
export function setArithFlags(cpu: CpuState, mask: number, v: number): void {
  materialize(cpu);
  cpu.eflags = (cpu.eflags & ~mask) | (v & mask);
}

/**
 * Set CF and OF (0/1 each), keeping the other four arithmetic flags, without materialising them:
 * a pending result becomes kind RES (SF/ZF/PF still from `res`, AF folded into eflags). Rotates.
 */
export function setCfOf(cpu: CpuState, cf: number, of: number): void {
  const op = cpu.lf.op;
  if (op === LfOp.NONE || op === LfOp.RES) {
    cpu.eflags = (cpu.eflags & ~(CF | OF)) | cf | (of << 11);
    return;
  }
  cpu.eflags = (cpu.eflags & ~(CF | OF | AF)) | cf | (of << 11) | (getAF(cpu) << 4);
  cpu.lf.op = LfOp.RES;
}

/** Set CF (0/1), keeping the other five arithmetic flags (BT family, CLC/STC/CMC). */
export function setCF(cpu: CpuState, cf: number): void {
  const op = cpu.lf.op;
  if (op === LfOp.NONE || op === LfOp.RES || op === LfOp.INC || op === LfOp.DEC) {
    cpu.eflags = (cpu.eflags & ~CF) | cf;
    return;
  }
  setCfOf(cpu, cf, getOF(cpu));
}

/**
 * Make eflags bit 0 hold the architectural CF, every flag keeping its value: the pending kind is
 * adjusted where bit 0 means something else (ADC/SBB keep their carry-in there). Safe to call before
 * an instruction that may still fault (INC/DEC park CF this way).
 */
export function foldCF(cpu: CpuState): void {
  setCF(cpu, getCF(cpu));
}

/**
 * Store flags that translated code kept in locals (src/jit emit-inline.ts) as kind `op` with
 * operands `a`, `b`, result `r` and kept EFLAGS bits `x` (flag-exprs.ts KEPT_BITS).
 */
export function flushLocalFlags(cpu: CpuState, op: number, a: number, b: number, r: number, x: number): void {
  const lf = cpu.lf;
  lf.op = op;
  lf.res = r;
  lf.a = a;
  lf.b = b;
  const kept = KEPT_BITS[op];
  cpu.eflags = (cpu.eflags & ~kept) | (x & kept);
}

/**
 * Record a result whose CF/OF/AF are given now (bits in `cfofaf`, EFLAGS positions) and whose
 * SF/ZF/PF follow from `res` (sign-extended to int32): shifts, multiplies, BCD adjusts.
 */
export function setResultFlags(cpu: CpuState, res: number, cfofaf: number): void {
  cpu.eflags = (cpu.eflags & ~(CF | OF | AF)) | cfofaf;
  const lf = cpu.lf;
  lf.op = LfOp.RES;
  lf.res = res;
}

/** Condition code cc (0-15: O NO B AE E NE BE A S NS P NP L GE LE G), SDM Vol. 1 Appendix B;
 *  compiled from flag-exprs.ts condExpr. */
export const testCC: (cpu: CpuState, cc: number) => boolean = (() => {
  const src = `"use strict"; return function testCC(cpu, cc) { const lf = cpu.lf; switch (lf.op) {\n${conditionCases('lf.a', 'lf.b', 'lf.res', 'cpu.eflags')}} return false; };`;
  return new Function('PARITY', src)(PARITY) as (cpu: CpuState, cc: number) => boolean;
})();

/** testCC over translated code's flag locals (LOCAL_FLAG_GETTERS; `op < 0`: testCC on cpu). */
export const testLocalCC: (cpu: CpuState, cc: number, op: number, a: number, b: number, r: number, x: number) => boolean = (() => {
  const src = `"use strict"; return function testLocalCC(cpu, cc, op, a, b, r, x) { switch (op) {\n${conditionCases('a', 'b', 'r', 'x')}} return testCC(cpu, cc); };`;
  return new Function('PARITY', 'testCC', src)(PARITY, testCC) as (cpu: CpuState, cc: number, op: number, a: number, b: number, r: number, x: number) => boolean;
})();
