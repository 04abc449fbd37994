/**
 * Inline translation: the JIT's implementation of the semantic-template generator (src/cpu/sem
 * gen.ts), plus the control transfers that end a block (JMP/Jcc/JCXZ/LOOPcc/CALL rel, RET near),
 * which are the translator's own business (exits, chaining, in-region transfers).
 *
 * Every instruction whose form has a template (src/cpu/sem `templateFor`) is emitted inline from
 * that template, with:
 * - registers as the JS locals `r0`..`r7` of emit.ts, every register number and immediate a literal;
 * - memory: the effective address computed in JS; when ES/SS/DS are flat (mode.ts) an access takes
 *   the MMU's software TLB fast path (one lookup, one check, one typed-array access; stores also
 *   check PhysMemory.codePages), else cpu.readMem/writeMem (segment checks, MMIO, page crossing, TLB
 *   misses, writes into code pages: exactly the interpreter's path);
 * - flags in locals (issue 17 "Flags in locals"): a flag writer assigns `fa fb fr` (operands and
 *   result), `fx` (the EFLAGS bits its kind keeps) and `fo` (its kind, for the fault path) instead
 *   of storing into cpu.lf; readers inline flag-exprs.ts' formulas over those locals when the kind is
 *   known at translation time. cpu.lf and cpu.eflags are written only when control leaves the
 *   translated code (an exit, a handler call, a fault: `flushText`). A writer whose flags a later
 *   inline writer redefines before anything can observe them emits nothing at all.
 */
import { OpKind, Seg, type Insn } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import { bindFlagExpr, condExpr, FLAG_EXPR, FlagIx, KEPT_BITS } from '../cpu/flag-exprs.js';
import { templateFor, type SemGen } from '../cpu/sem/gen.js';
import type { BlockEmitter } from './emit.js';
import { flagsDeadAfter, relTarget } from './emit.js';
import { Exit } from './block.js';
import { ModeBit } from './mode.js';

/** Static flag state of the emitter (BlockEmitter.flagOp). */
export const FLAGS_IN_CPU = -1;
/** Pending flags in the locals, of the kind in the run-time local `fo` (fo < 0: none pending). */
export const FLAGS_DYN = -2;

function codeFlat(em: BlockEmitter): boolean {
  return (em.blk.mode & ModeBit.FLAT) !== 0 && em.code32;
}

/** Is `i` a control transfer the translator emits itself? */
function isControl(em: BlockEmitter, i: Insn): boolean {
  switch (i.mn) {
    case Mn.JMP:
      // JMP rel32, and JMP r/m32 (FF /4: an indirect transfer, no CS limit to check in flat code)
      return codeFlat(em) && i.osize === 4 && (i.k0 === OpKind.Rel || i.k0 === OpKind.Reg || i.k0 === OpKind.Mem);
    case Mn.Jcc:
    case Mn.JCXZ:
    case Mn.LOOP:
    case Mn.LOOPE:
    case Mn.LOOPNE:
      return codeFlat(em) && i.k0 === OpKind.Rel && i.osize === 4;
    case Mn.CALL:
      return codeFlat(em) && em.stack32 && i.osize === 4 && (i.k0 === OpKind.Rel || i.k0 === OpKind.Reg || i.k0 === OpKind.Mem);
    case Mn.RET:
      return codeFlat(em) && em.stack32 && i.osize === 4 && (i.k0 === OpKind.None || i.k0 === OpKind.Imm);
    default:
      return false;
  }
}

/** True when `i` is emitted inline: the table marks its entry inline (`jitInline`), and its template
 *  covers the form, or it is a transfer the translator emits in this mode. */
export function canInline(em: BlockEmitter, i: Insn): boolean {
  const e = i.entry;
  if (e === null || !e.jitInline) return false;
  return isControl(em, i) || templateFor(i) !== undefined;
}

/**
 * Does `i` set all six arithmetic flags without reading any (so earlier flags are dead)? Asked of
 * its template itself (a dry run through FlagProbe): an unconditional flags() call and no flag
 * read. (The table's flagsWritten includes flags an instruction leaves undefined, which the
 * templates keep unchanged, so it cannot answer this.)
 */
export function fullyDefinesFlags(i: Insn): boolean {
  let r = probed.get(i);
  if (r === undefined) {
    const t = templateFor(i);
    r = false;
    if (t !== undefined) {
      const p = new FlagProbe(i);
      t(p, i);
      r = p.defines && !p.reads;
    }
    probed.set(i, r);
  }
  return r;
}

const probed = new WeakMap<Insn, boolean>();

/** A SemGen that emits nothing and records how a template uses the flags. */
class FlagProbe implements SemGen {
  reads = false;
  defines = false;
  private depth = 0;
  private n = 0;
  private readonly consts = new ScratchConsts();
  constructor(private readonly i: Insn) {}
  line(s: string): void {
    this.consts.note(s, this.depth);
  }
  tmp(): string {
    return `q${this.n++}`;
  }
  get(): string {
    return 'q';
  }
  put(): void {}
  regNum(slot: number): string {
    return String(this.i[SLOT_V[slot]]);
  }
  reg(): string {
    return 'q';
  }
  setReg(): void {}
  ea(): string {
    return 'q';
  }
  load(): string {
    return 'q';
  }
  store(): void {}
  sp(): string {
    return 'q';
  }
  setSp(): void {}
  flags(): void {
    if (this.depth === 0) this.defines = true;
  }
  cf(): string {
    this.reads = true;
    return 'q';
  }
  flag(): string {
    this.reads = true;
    return 'q';
  }
  cond(): string {
    this.reads = true;
    return 'q';
  }
  raise(): void {}
  ifOpen(cond: string): void {
    if (this.consts.value(cond)) {
      this.opened.push(true);
      return;
    }
    this.opened.push(false);
    this.depth++;
  }
  ifElse(): void {
    if (this.opened[this.opened.length - 1]) {
      this.opened[this.opened.length - 1] = false;
      this.depth++;
    }
  }
  ifClose(): void {
    if (!this.opened.pop()) this.depth--;
  }
  loopOpen(): void {
    this.consts.clear();
    this.opened.push(false);
    this.depth++;
  }
  loopBreak(): void {}
  loopContinue(): void {}
  loopClose(): void {
    this.ifClose();
  }
  yieldInsn(): void {}
  bulk(): string {
    return 'q';
  }
  private readonly opened: boolean[] = [];
}

// ---------------------------------------------------------------------------------- memory

/** Emit `<dst> = <effective address>` (offset in the segment). */
function emitEa(em: BlockEmitter, i: Insn, dst: string): void {
  if (i.k0 === OpKind.Moffs || i.k1 === OpKind.Moffs) {
    em.line(`${dst} = ${i.asize === 2 ? i.disp & 0xffff : i.disp | 0};`);
    return;
  }
  let e = `${i.disp | 0}`;
  if (i.base >= 0) e = `${em.r(i.base)} + ${e}`;
  if (i.index >= 0) e = `${e} + (${em.r(i.index)} << ${i.scale})`;
  em.line(i.asize === 2 ? `${dst} = (${e}) & 65535;` : `${dst} = (${e}) | 0;`);
}

/** Linear-address expression for an offset in `off` through segment `seg`, or null when the access
 *  must take cpu.readMem/writeMem (segment limit checks). */
function fastLinear(em: BlockEmitter, seg: number, off: string): string | null {
  if (em.flat && (seg === Seg.DS || seg === Seg.SS || seg === Seg.ES)) return off;
  if (seg === Seg.FS && (em.blk.mode & ModeBit.FS_FLAT_LIMIT) !== 0) return `(SB[4] + ${off}) | 0`;
  if (seg === Seg.GS && (em.blk.mode & ModeBit.GS_FLAT_LIMIT) !== 0) return `(SB[5] + ${off}) | 0`;
  return null;
}

/**
 * Emit `dst = <load of size bytes at seg:off>` (zero-extended for 1/2, int32 for 4). The fast path
 * needs a TLB hit and an aligned access; with a segment base, the offset must be aligned too (an
 * aligned offset never reaches past the 4 GiB limit).
 */
function emitLoad(em: BlockEmitter, seg: number, off: string, size: number, dst: string): void {
  em.faultPoint();
  const slow = `cpu.readMem(${seg}, ${off}, ${size})`;
  const lin = fastLinear(em, seg, off);
  if (lin === null) {
    em.line(`${dst} = ${slow};`);
    return;
  }
  em.line(`l = ${lin}; h = TR[l >>> 12];`);
  const aligned = lin === off ? 'l' : `(${off} | l)`;
  if (size === 4) em.line(`${dst} = h >= 0 && (${aligned} & 3) === 0 ? M32[(h | (l & 4095)) >> 2] : ${slow};`);
  else if (size === 2) em.line(`${dst} = h >= 0 && (${aligned} & 1) === 0 ? M16[(h | (l & 4095)) >> 1] : ${slow};`);
  else em.line(`${dst} = h >= 0 ? M8[h | (l & 4095)] : ${slow};`);
}

/** Emit a store of expression `v` (size bytes) at seg:off. */
function emitStore(em: BlockEmitter, seg: number, off: string, size: number, v: string): void {
  em.faultPoint();
  em.stored = true;
  // `sw`: a store took the slow path (stopCheck tests it first)
  const slow = `{ cpu.writeMem(${seg}, ${off}, ${size}, ${v}); sw = 1; }`;
  const lin = fastLinear(em, seg, off);
  if (lin === null) {
    em.line(slow);
    return;
  }
  em.line(`l = ${lin}; h = TW[l >>> 12];`);
  const aligned = lin === off ? 'l' : `(${off} | l)`;
  if (size === 4) em.line(`if (h >= 0 && (${aligned} & 3) === 0 && CP[h >>> 12] === 0) M32[(h | (l & 4095)) >> 2] = ${v}; else ${slow}`);
  else if (size === 2) em.line(`if (h >= 0 && (${aligned} & 1) === 0 && CP[h >>> 12] === 0) M16[(h | (l & 4095)) >> 1] = ${v}; else ${slow}`);
  else em.line(`if (h >= 0 && CP[h >>> 12] === 0) M8[h | (l & 4095)] = ${v}; else ${slow}`);
}

// ---------------------------------------------------------------------------------- flags

/** A flag-expression text (flag-exprs.ts) bound to the flag locals. */
function localFlag(text: string): string {
  return bindFlagExpr(text, 'fa', 'fb', 'fr', 'fx');
}

/**
 * Statements that move pending flags from the locals to cpu.lf/cpu.eflags for the emitter's current
 * static state ('' when nothing is pending). Does not change the state (the caller decides).
 */
export function flushText(em: BlockEmitter): string {
  const op = em.flagOp;
  if (op === FLAGS_IN_CPU) return '';
  if (op === FLAGS_DYN) return 'if (fo >= 0) FL(cpu, fo, fa, fb, fr, fx); ';
  let s = `LF.op = ${op}; LF.res = fr; LF.a = fa; LF.b = fb; `;
  const kept = KEPT_BITS[op];
  if (kept !== 0) s += `cpu.eflags = (cpu.eflags & ${~kept}) | (fx & ${kept}); `;
  return s;
}

/** Flush pending flags now (before code that reads cpu.lf): the state becomes "in cpu". */
export function flushFlags(em: BlockEmitter): void {
  const s = flushText(em);
  if (s === '') return;
  em.line(`${s}fo = -1;`);
  em.flagOp = FLAGS_IN_CPU;
}

// ---------------------------------------------------------------------------------- generator

const SLOT_K = ['k0', 'k1', 'k2'] as const;
const SLOT_V = ['v0', 'v1', 'v2'] as const;
const SLOT_S = ['s0', 's1', 's2'] as const;
/** Only numbers and operators: a condition the translator can decide. */
const CONSTANT = /^[0-9\s()&|^~!=<>+\-*]+$/;

/** What a template's scratch locals hold when it is known at translation time (an immediate
 *  count, say), so that conditions on them are decided then (JitGen, FlagProbe). */
class ScratchConsts {
  private readonly known = new Map<string, number>();

  clear(): void {
    this.known.clear();
  }

  /** Track `qN = <constant>;` at depth 0; any other assignment to a scratch forgets it. */
  note(s: string, depth: number): void {
    const m = /^(q\d+) = ([^;]*);$/.exec(s);
    if (m !== null && depth === 0) {
      const v = this.value(m[2]);
      if (v !== null) {
        this.known.set(m[1], v);
        return;
      }
    }
    for (const a of s.matchAll(/\b(q\d+)\s*(?:[-+*/%&|^]|<<|>>>?)?=(?!=)/g)) this.known.delete(a[1]);
  }

  /** The value of `expr` when only numbers, operators and known scratches make it up, else null. */
  value(expr: string): number | null {
    const e = expr.replace(/\bq\d+\b/g, (n) => {
      const v = this.known.get(n);
      return v === undefined ? n : `(${v})`;
    });
    if (!CONSTANT.test(e)) return null;
    return Number(new Function(`return (${e});`)());
  }
}

/** SemGen over the block emitter: one instance per block, reset per instruction. */
class JitGen implements SemGen {
  private i!: Insn;
  private ntmp = 0;
  /** Depth of template conditionals not decided at translation time. */
  private depth = 0;
  /** Open conditionals: true = decided (no `if` emitted). */
  private readonly opened: boolean[] = [];
  private addr = false;
  private readonly consts = new ScratchConsts();

  constructor(private readonly em: BlockEmitter) {}

  start(i: Insn): void {
    this.i = i;
    this.ntmp = 0;
    this.consts.clear();
    this.depth = 0;
    this.opened.length = 0;
    this.addr = false;
  }

  line(s: string): void {
    this.em.line(s);
    this.consts.note(s, this.depth);
  }

  tmp(): string {
    const n = this.ntmp++;
    if (n >= this.em.tmps) this.em.tmps = n + 1;
    return `q${n}`;
  }

  get(slot: number): string {
    const i = this.i;
    const k = i[SLOT_K[slot]];
    const v = i[SLOT_V[slot]];
    const s = i[SLOT_S[slot]];
    const em = this.em;
    switch (k) {
      case OpKind.Reg:
        return s === 4 ? em.r(v) : s === 1 ? em.r8(v) : `(${em.r(v)} & 65535)`;
      case OpKind.Imm:
        return (v | 0) < 0 ? `(${v | 0})` : String(v | 0);
      case OpKind.Mem:
      case OpKind.Moffs: {
        if (!this.addr) emitEa(em, i, 'a');
        this.addr = true;
        const t = this.tmp();
        emitLoad(em, i.seg, 'a', s, t);
        return t;
      }
      default:
        throw new Error(`JIT template: operand kind ${k} in slot ${slot}`);
    }
  }

  put(slot: number, v: string): void {
    const i = this.i;
    const k = i[SLOT_K[slot]];
    const s = i[SLOT_S[slot]];
    if (k === OpKind.Reg) {
      this.setReg(i[SLOT_V[slot]], s, v);
      return;
    }
    if (!this.addr) emitEa(this.em, i, 'a');
    this.addr = true;
    emitStore(this.em, i.seg, 'a', s, v);
  }

  regNum(slot: number): string {
    return String(this.i[SLOT_V[slot]]);
  }

  reg(r: number, size: number): string {
    const em = this.em;
    return size === 4 ? em.r(r) : size === 1 ? em.r8(r) : `(${em.r(r)} & 65535)`;
  }

  setReg(r: number, size: number, v: string): void {
    const em = this.em;
    if (size === 4) em.line(`${em.w(r)} = ${v};`);
    else if (size === 1) em.line(em.w8(r, v));
    else {
      const n = em.w(r);
      em.line(`${n} = (${n} & -65536) | ((${v}) & 65535);`);
    }
  }

  ea(): string {
    const t = this.tmp();
    emitEa(this.em, this.i, t);
    return t;
  }

  load(seg: number, off: string, size: number): string {
    const t = this.tmp();
    this.em.line(`o = ${off};`);
    emitLoad(this.em, seg < 0 ? this.i.seg : seg, 'o', size, t);
    return t;
  }

  store(seg: number, off: string, size: number, v: string): void {
    this.em.line(`o = ${off};`);
    emitStore(this.em, seg < 0 ? this.i.seg : seg, 'o', size, v);
  }

  sp(delta: number): string {
    const r4 = this.em.r(4);
    return this.em.stack32 ? `((${r4} + ${delta}) | 0)` : `((${r4} + ${delta}) & 65535)`;
  }

  setSp(v: string): void {
    const em = this.em;
    if (em.stack32) em.line(`${em.w(4)} = ${v};`);
    else em.line(`${em.w(4)} = (${em.r(4)} & -65536) | ((${v}) & 65535);`);
  }

  flags(op: number, res: string, a: string, b: string, kept: string | null): void {
    const em = this.em;
    if (this.depth === 0 && flagsDeadAfter(em, em.k)) {
      em.flagOp = op;
      return;
    }
    // The kept bits are computed from the previous flags, so they are assigned first.
    let s = kept !== null && KEPT_BITS[op] !== 0 ? `fx = ${kept}; ` : '';
    s += `fa = ${a}; fb = ${b}; fr = ${res}; fo = ${op};`;
    em.line(s);
    em.flagOp = this.depth === 0 ? op : FLAGS_DYN;
  }

  private flagText(ix: number): string {
    const em = this.em;
    // Unknown kind (a block entered from another block of its region): read it from the locals.
    if (em.flagOp === FLAGS_DYN) return `LG[${ix}](cpu, fo, fa, fb, fr, fx)`;
    const op = em.flagOp;
    if (op === FLAGS_IN_CPU) return `GF[${ix}](cpu)`;
    return localFlag(FLAG_EXPR[op][ix]);
  }

  cf(): string {
    return this.flagText(FlagIx.CF);
  }

  flag(ix: number): string {
    return this.flagText(ix);
  }

  cond(): string {
    return condition(this.em, this.i.cc);
  }

  raise(vec: number, code?: number): void {
    this.em.faultPoint();
    this.em.line(code === undefined ? `RAISE(cpu, ${vec});` : `rt.raiseCode(cpu, ${vec}, ${code});`);
  }

  ifOpen(cond: string): void {
    // Decided now (an immediate count, say): only a true condition needs no `if`.
    if (this.consts.value(cond)) {
      this.opened.push(true);
      return;
    }
    this.opened.push(false);
    this.depth++;
    this.em.line(`if (${cond}) {`);
  }

  ifElse(): void {
    const decided = this.opened[this.opened.length - 1];
    // The else of a condition decided true is dead code: emit it under `if (false)`.
    this.em.line(decided ? 'if (false) {' : '} else {');
    if (decided) {
      this.opened[this.opened.length - 1] = false;
      this.depth++;
    }
  }

  ifClose(): void {
    const decided = this.opened.pop();
    if (decided) return;
    this.depth--;
    this.em.line('}');
  }

  /** Scratch flags of the open loops: set to 1 by yieldInsn (the exit follows the loop). */
  private readonly yields: string[] = [];

  loopOpen(): void {
    const em = this.em;
    const y = this.tmp();
    em.line(`${y} = 0;`);
    this.yields.push(y);
    // Flags pending in the locals of a known kind: from the second iteration on they may be the
    // loop's own (the fo local always says which).
    if (em.flagOp >= 0) em.flagOp = FLAGS_DYN;
    this.consts.clear();
    this.opened.push(false);
    this.depth++;
    em.line('for (;;) {');
  }

  loopBreak(): void {
    this.em.line('break;');
  }

  loopContinue(): void {
    this.em.line('continue;');
  }

  loopClose(): void {
    const em = this.em;
    this.opened.pop();
    this.depth--;
    em.line('}');
    // A yield leaves after the loop, where every register the loop writes is known to be dirty.
    const y = this.yields.pop()!;
    em.line(`if (${y} !== 0) {`);
    em.exit(String(em.eipAt(em.k)), em.k + 1, Exit.OTHER);
    em.line('}');
  }

  yieldInsn(): void {
    this.em.line(`${this.yields[this.yields.length - 1]} = 1; break;`);
  }

  bulk(stos: boolean, seg: number, si: string, di: string, count: string, value: string, back: string): string {
    this.em.faultPoint();
    const size = this.i.osize;
    // Inline elements cost a few ns each, a bulk call some 50-80 ns (segment and page checks, the
    // typed-array builtin): short runs go element by element (the same result either way).
    const call = stos
      ? `rt.stos(cpu, ${size}, ${di}, ${value}, ${count}, ${back})`
      : `rt.movs(cpu, ${size}, ${seg < 0 ? this.i.seg : seg}, ${si}, ${di}, ${count}, ${back})`;
    return `${count} < ${BULK_MIN_BYTES / size} ? 0 : ${call}`;
  }
}

/** A JS condition for cc from the current flag state. */
function condition(em: BlockEmitter, cc: number): string {
  if (em.flagOp === FLAGS_DYN) return `LT(cpu, ${cc}, fo, fa, fb, fr, fx)`;
  const op = em.flagOp;
  if (op === FLAGS_IN_CPU) return `TC(cpu, ${cc})`;
  return localFlag(condExpr(op, cc));
}

const gens = new WeakMap<BlockEmitter, JitGen>();

/** REP MOVS/STOS runs shorter than this (in bytes) skip the bulk call in translated code. */
const BULK_MIN_BYTES = 16;

/**
 * Emit `i` inline. Returns true when it emitted the block's exit. After an instruction that
 * stored to memory, the block stops if the store hit the block itself (rt.stop): the check comes
 * after the whole instruction (destination, flags, registers), as the interpreter would have
 * completed it before fetching the next one.
 */
export function emitInline(em: BlockEmitter, i: Insn, last: boolean): boolean {
  em.stored = false;
  let ended = false;
  if (isControl(em, i)) ended = emitControl(em, i);
  else {
    let g = gens.get(em);
    if (g === undefined) gens.set(em, (g = new JitGen(em)));
    g.start(i);
    const from = em.mark();
    templateFor(i)!(g, i);
    em.dropDeadScratch(from);
  }
  if (em.stored && !ended && !last) em.stopCheck();
  return ended;
}

/** Condition code E/Z (SDM Vol. 2 Table B-1; NE = CC_E + 1). */
const CC_E = 4;

/** `t = ` the 32-bit target of JMP/CALL r/m32 (a register, or a load that may fault). */
function indirectTarget(em: BlockEmitter, i: Insn): void {
  if (i.k0 === OpKind.Reg) {
    em.line(`t = ${em.r(i.v0)};`);
    return;
  }
  emitEa(em, i, 'a');
  emitLoad(em, i.seg, 'a', 4, 't');
}

/** JMP/Jcc/JCXZ/LOOPcc/CALL rel, JMP/CALL r/m32 and RET near in flat 32-bit code: the block's exit. */
function emitControl(em: BlockEmitter, i: Insn): boolean {
  const k = em.k;
  const next = em.eipAt(k + 1);
  switch (i.mn) {
    case Mn.JMP:
      if (i.k0 !== OpKind.Rel) {
        indirectTarget(em, i);
        em.transferIndirect('t', k + 1, false);
        return true;
      }
      em.transfer(relTarget(i, next), k + 1, Exit.TAKEN, true, false);
      return true;
    case Mn.Jcc: {
      const target = relTarget(i, next);
      const c = condition(em, i.cc);
      em.line(`if (${c}) {`);
      em.transfer(target, k + 1, Exit.TAKEN, false, false);
      em.line(`}`);
      em.transfer(next, k + 1, Exit.FALLTHROUGH, true, false);
      return true;
    }
    case Mn.JCXZ:
    case Mn.LOOP:
    case Mn.LOOPE:
    case Mn.LOOPNE: {
      // JCXZ/JECXZ and LOOP/LOOPE/LOOPNE count with CX or ECX by the address size; LOOP decrements
      // the count (no flags) and branches while it is non-zero, and ZF = 1 / 0 (SDM Vol. 2 LOOPcc).
      const target = relTarget(i, next);
      const a16 = i.asize === 2;
      let c: string;
      if (i.mn === Mn.JCXZ) c = a16 ? `(${em.r(1)} & 65535) === 0` : `${em.r(1)} === 0`;
      else {
        const zf = i.mn === Mn.LOOPE ? condition(em, CC_E) : i.mn === Mn.LOOPNE ? condition(em, CC_E + 1) : null;
        const r1 = em.w(1);
        em.line(a16 ? `${r1} = (${r1} & -65536) | ((${r1} - 1) & 65535);` : `${r1} = (${r1} - 1) | 0;`);
        c = a16 ? `(${r1} & 65535) !== 0` : `${r1} !== 0`;
        if (zf !== null) c = `${c} && (${zf})`;
      }
      em.line(`if (${c}) {`);
      em.transfer(target, k + 1, Exit.TAKEN, false, false);
      em.line(`}`);
      em.transfer(next, k + 1, Exit.FALLTHROUGH, true, false);
      return true;
    }
    case Mn.CALL: {
      if (i.k0 !== OpKind.Rel) {
        // SDM Vol. 2 CALL: the target is read first (a fault there leaves ESP alone), then the
        // return address is pushed; `call esp` jumps to ESP's value before the push.
        indirectTarget(em, i);
        em.line(`a = (${em.r(4)} - 4) | 0;`);
        emitStore(em, Seg.SS, 'a', 4, String(next));
        em.line(`${em.w(4)} = a;`);
        em.transferIndirect('t', k + 1, true);
        return true;
      }
      const target = relTarget(i, next);
      em.line(`a = (${em.r(4)} - 4) | 0;`);
      emitStore(em, Seg.SS, 'a', 4, String(next));
      em.line(`${em.w(4)} = a;`);
      // The return address may have landed in the region's own code: the transfer checks rt.stop.
      em.transfer(target, k + 1, Exit.TAKEN, true, true);
      return true;
    }
    case Mn.RET: {
      const extra = i.k0 === OpKind.Imm ? i.v0 & 0xffff : 0;
      em.line(`a = ${em.r(4)};`);
      emitLoad(em, Seg.SS, 'a', 4, 't');
      em.line(`${em.w(4)} = (a + ${4 + extra}) | 0;`);
      em.transferIndirect('t', k + 1, false);
      return true;
    }
    default:
      throw new Error(`emitControl: mnemonic ${i.mn}`);
  }
}
