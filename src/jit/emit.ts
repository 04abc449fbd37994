/**
 * Block translator: one Block (decoded instructions) -> JavaScript source -> function.
 *
 * Semantics are written once (STYLE.md §2): every instruction is a call to its interpreter handler
 * `H<k>(cpu, I<k>)` with the interpreter's bookkeeping (cpu.insnEip, cpu.eip, cpu.icount), except
 * the hot ones that emit-inline.ts writes out (MOV, LEA, ALU, PUSH/POP, branches...). Guest
 * registers the inline code uses live in JS locals `r0`..`r7`, loaded at entry, written back before
 * each handler call (and reloaded after it), at every exit and in the fault path.
 *
 * Precise faults: before an instruction that can fault, the local `k` holds its index; the catch
 * clause writes the registers back, sets `cpu.icount` to the instructions retired before it and
 * `cpu.insnEip` to its EIP, and rethrows; the dispatcher then does what Cpu.run does (rewind EIP to
 * insnEip and deliver). Inline code performs every access that can fault before it changes a
 * register, like the handlers (handlers.ts contract).
 *
 * Generated shape (see README.md for the runtime API and test/jit for snapshots):
 *   "use strict"; const H0 = H[0], I0 = I[0], ...;
 *   return function blk(cpu, rt, maxIter) { const R = cpu.regs, ...; let r0 = R[0] ...;
 *     try { ...instructions...; exits: write back, cpu.eip = ..., cpu.icount = ic0 + n, return code }
 *     catch (e) { write back; cpu.icount = ic0 + k; cpu.insnEip = X[k]; throw e; } }
 *   //# sourceURL=x86jit/block_<physaddr hex>.js
 */
import { OpKind, type Insn } from '../frontend/insn.js';
import { handlers } from '../cpu/handlers.js';
import { getCF, testCC } from '../cpu/flags.js';
import type { Cpu } from '../cpu/cpu.js';
import { Block, Exit, type BlockFn } from './block.js';
import { ModeBit } from './mode.js';
import { emitInline, canInline, fullyDefinesFlags } from './emit-inline.js';
import { Flag } from '../frontend/table-types.js';
import { Mn, mnemonicName } from '../frontend/mnemonics.js';
import { compileGenerated } from './compile.js';

/** Parameters of a block factory (README.md: the runtime API). */
const BLOCK_FACTORY_PARAMS = ['H', 'I', 'X', 'TC', 'FCF'] as const;

const PLACE_RELOAD = '\u0001RELOAD';

/** Fold a pending CF into eflags bit 0 (before INC/DEC, which keep CF): flags.ts semantics. */
function foldCF(cpu: Cpu): void {
  cpu.eflags = (cpu.eflags & ~1) | getCF(cpu);
}

export class BlockEmitter {
  private readonly out: string[] = [];
  /** Registers the block keeps in locals / has ever written / written since the last sync. */
  used = 0;
  written = 0;
  dirty = 0;
  /** Lazy-flag kind produced by the last inline flag writer, with its operands in fa/fb/fr. */
  flagOp = -1;
  /** Index of the instruction being emitted. */
  k = 0;
  /** Set by a template that emitted a store (emit-inline.ts). */
  stored = false;
  /** Instructions emitted as handler calls. */
  readonly calls = new Set<number>();
  readonly code32: boolean;
  readonly flat: boolean;
  readonly stack32: boolean;
  readonly paging: boolean;

  constructor(readonly blk: Block) {
    this.code32 = (blk.mode & ModeBit.CODE32) !== 0;
    this.flat = (blk.mode & ModeBit.FLAT) !== 0;
    this.stack32 = (blk.mode & ModeBit.STACK32) !== 0;
    this.paging = (blk.mode & ModeBit.PG) !== 0;
  }

  line(s: string): void {
    this.out.push(s);
  }

  /** Local holding register `r` (read). */
  r(reg: number): string {
    this.used |= 1 << reg;
    return `r${reg}`;
  }

  /** Local holding register `r`, about to be written. */
  w(reg: number): string {
    this.used |= 1 << reg;
    this.written |= 1 << reg;
    this.dirty |= 1 << reg;
    return `r${reg}`;
  }

  /** Expression for 8-bit register `r` (AL..BH), zero-extended. */
  r8(reg: number): string {
    return reg < 4 ? `(${this.r(reg)} & 255)` : `((${this.r(reg - 4)} >> 8) & 255)`;
  }

  /** Statement writing expression `v` to 8-bit register `reg`. */
  w8(reg: number, v: string): string {
    if (reg < 4) {
      const n = this.w(reg);
      return `${n} = (${n} & -256) | (${v} & 255);`;
    }
    const n = this.w(reg - 4);
    return `${n} = (${n} & -65281) | ((${v} & 255) << 8);`;
  }

  /** EIP of instruction `k` (k = length: the EIP after the block). */
  eipAt(k: number): number {
    return this.blk.eips[k];
  }

  /** Write back the registers changed since the last sync. */
  private writeBack(): string {
    let s = '';
    for (let r = 0; r < 8; r++) if ((this.dirty >> r) & 1) s += `R[${r}] = r${r}; `;
    return s;
  }

  /**
   * Leave the block after `retired` instructions of this pass. `eip` is an expression for the next
   * EIP, or null when a handler has already set cpu.eip. `code` is an Exit code or an expression.
   */
  exit(eip: string | null, retired: number, code: string | number): void {
    let s = this.writeBack();
    if (eip !== null) s += `cpu.eip = ${eip}; `;
    s += `cpu.insnEip = ${this.eipAt(retired - 1)}; cpu.icount = ic0 + ${retired}; return ${code};`;
    this.line(s);
  }

  /** The SMC check after an instruction that may have stored into a page holding code. */
  stopCheck(): void {
    const k = this.k;
    this.line(`if (rt.stop !== 0) { ${this.exitText(String(this.eipAt(k + 1)), k + 1, Exit.OTHER)} }`);
  }

  private exitText(eip: string | null, retired: number, code: string | number): string {
    const n = this.out.length;
    this.exit(eip, retired, code);
    return this.out.splice(n, 1)[0];
  }

  /** Mark the current instruction as one that can fault (for the catch clause). */
  faultPoint(): void {
    this.line(`k = ${this.k};`);
  }

  /** Emit the instruction as a call to its interpreter handler. */
  emitHandlerCall(i: Insn, last: boolean): void {
    const k = this.k;
    this.calls.add(k);
    this.line(`k = ${k}; ${this.writeBack()}cpu.icount = ic0 + ${k}; cpu.insnEip = ${this.eipAt(k)}; cpu.eip = ${this.eipAt(k + 1)};`);
    this.dirty = 0;
    // c = 1 while the handler runs: if it throws, cpu.regs hold the truth (REP string ops commit
    // their progress before a fault) and the catch must not overwrite them with the locals.
    this.line(`c = 1; H${k}(cpu, I${k}); c = 0;`);
    this.line(PLACE_RELOAD);
    this.flagOp = -1;
    if (last) this.exit(null, k + 1, branchExitCode(this, i));
    else {
      // A handler may leave EIP elsewhere than the next instruction (a REP string instruction
      // yielding after a chunk rewinds it to itself): leave the block then, as after a store into
      // the running block.
      const next = this.eipAt(k + 1);
      this.line(`if (rt.stop !== 0 || cpu.eip !== ${next}) { ${this.exitText(null, k + 1, Exit.OTHER)} }`);
    }
  }

  /** Assemble the function source. */
  finish(selfLoop: boolean): string {
    const n = this.blk.length;
    const names: string[] = [];
    for (let k = 0; k < n; k++) if (this.calls.has(k)) names.push(`H${k} = H[${k}], I${k} = I[${k}]`);
    const loads: string[] = [];
    const reload: string[] = [];
    const catchWb: string[] = [];
    for (let r = 0; r < 8; r++) {
      if ((this.used >> r) & 1) {
        loads.push(`r${r} = R[${r}]`);
        reload.push(`r${r} = R[${r}];`);
      }
      if ((this.written >> r) & 1) catchWb.push(`R[${r}] = r${r};`);
    }
    const tlbSuffix = ((this.blk.mode >> ModeBit.CPL_SHIFT) & 3) === 3 ? 'U' : 'S';
    const body = this.out.map((l) => (l === PLACE_RELOAD ? reload.join(' ') : l));
    // Declare only the runtime views and scratch locals the body uses (smaller source: faster to
    // compile, less work per entry).
    const text = body.join('\n');
    const uses = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(text);
    const views: string[] = [];
    if (loads.length > 0 || catchWb.length > 0 || uses('R')) views.push('R = cpu.regs');
    if (uses('LF')) views.push('LF = cpu.lf');
    const tr = uses('TR'), tw = uses('TW');
    if (tr || tw) views.push('M = cpu.mmu');
    if (tr) views.push(`TR = M.tlbRead${tlbSuffix}`);
    if (tw) views.push(`TW = M.tlbWrite${tlbSuffix}`);
    if (uses('CP')) views.push('CP = rt.codePages');
    if (uses('SB')) views.push('SB = cpu.segBase');
    if (uses('M8')) views.push('M8 = rt.u8');
    if (uses('M16')) views.push('M16 = rt.u16');
    if (uses('M32')) views.push('M32 = rt.i32');
    const scratch = ['ic0 = cpu.icount', 'k = 0', 'c = 0'];
    for (const v of ['a', 'l', 'h', 't', 'u', 'fa', 'fb', 'fr']) if (uses(v)) scratch.push(`${v} = 0`);
    const head = [
      `"use strict";`,
      `// guest block at physical 0x${(this.blk.phys >>> 0).toString(16)}, EIP 0x${(this.blk.eip >>> 0).toString(16)}, mode ${this.blk.mode}`,
      names.length > 0 ? `const ${names.join(', ')};` : '',
      `return (function block(cpu, rt, maxIter) {`,
      views.length > 0 ? `const ${views.join(', ')};` : '',
      `let ${scratch.join(', ')};`,
      loads.length > 0 ? `let ${loads.join(', ')};` : '',
      `try {`,
      selfLoop ? `for (;;) {` : '',
    ];
    const tail = [
      selfLoop ? `}` : '',
      `} catch (e) { if (c === 0) { ${catchWb.join(' ')} } cpu.icount = ic0 + k; cpu.insnEip = X[k]; throw e; }`,
      `});`,
      `//# sourceURL=x86jit/block_${(this.blk.phys >>> 0).toString(16).padStart(8, '0')}_${this.blk.mode}.js`,
    ];
    return [...head, ...body, ...tail].filter((l) => l !== '').join('\n');
  }
}

/**
 * Exit code after a block-ending handler call. Only a relative branch (which cannot change the
 * mode) may report TAKEN/FALLTHROUGH, the codes the dispatcher chains on; anything else is OTHER.
 */
function branchExitCode(em: BlockEmitter, i: Insn): string | number {
  if (i.k0 !== OpKind.Rel) return Exit.OTHER;
  const fall = em.eipAt(em.k + 1);
  const t = relTarget(i, fall);
  return `cpu.eip === ${t} ? ${Exit.TAKEN} : cpu.eip === ${fall} ? ${Exit.FALLTHROUGH} : ${Exit.OTHER}`;
}

/** Target EIP of a relative branch ending at `next` (SDM Vol. 2 JMP/Jcc: 16-bit operand size
 *  truncates EIP to 16 bits). */
export function relTarget(i: Insn, next: number): number {
  return i.osize === 2 ? (next + i.v0) & 0xffff : (next + i.v0) | 0;
}

/**
 * Dead-flag analysis: true when the arithmetic flags written by instruction `k` are overwritten by
 * a later inline instruction of this block before anything can read or observe them (a read, a
 * handler call, a possible fault, a block exit, including the SMC exit after `k`'s own store).
 */
export function flagsDeadAfter(em: BlockEmitter, k: number): boolean {
  const insns = em.blk.insns;
  // A memory destination may end the block right after this instruction (a store into the
  // running block stops it): the flags are then live at that exit.
  if (mayFault(em, insns[k])) return false;
  for (let j = k + 1; j < insns.length - 1; j++) {
    const i = insns[j];
    if (!canInline(em, i)) return false;
    const e = i.entry;
    if (e === null || (e.flagsRead & Flag.ARITH) !== 0) return false;
    if (mayFault(em, i)) return false;
    if (fullyDefinesFlags(i)) return true;
    if ((e.flagsWritten & Flag.ARITH) !== 0) return false;
  }
  return false;
}

/**
 * Can inline code for `i` raise a guest fault? Any memory access can: even with flat segments and
 * paging off, an access that wraps past 4 GiB fails the limit check (#GP, SDM Vol. 3 §5.3).
 */
export function mayFault(em: BlockEmitter, i: Insn): boolean {
  void em;
  return i.k0 === OpKind.Mem || i.k1 === OpKind.Mem || i.k2 === OpKind.Mem || i.mn === Mn.PUSH || i.mn === Mn.POP;
}

/** Emit every instruction of `blk`; `initialDirty` = registers to treat as changed at entry. */
function emitBlock(blk: Block, initialDirty: number): BlockEmitter {
  const em = new BlockEmitter(blk);
  em.dirty = initialDirty;
  em.written = initialDirty;
  em.used = initialDirty;
  const insns = blk.insns;
  const n = insns.length;
  let ended = false;
  for (let k = 0; k < n; k++) {
    em.k = k;
    const i = insns[k];
    const last = k === n - 1;
    em.line(`// 0x${(blk.eips[k] >>> 0).toString(16)} ${mnemonicName[i.mn]}`);
    if (canInline(em, i)) ended = emitInline(em, i, last);
    else {
      em.emitHandlerCall(i, last);
      ended = last;
    }
  }
  if (!ended) em.exit(String(blk.eips[n]), n, Exit.FALLTHROUGH);
  return em;
}

/** Translate `blk` into a block function and its source. */
export function translateBlock(blk: Block): { fn: BlockFn; source: string } {
  const insns = blk.insns;
  const lastInsn = insns[insns.length - 1];
  let em = emitBlock(blk, 0);
  blk.selfLoop =
    (lastInsn.mn === Mn.JMP || lastInsn.mn === Mn.Jcc) &&
    lastInsn.k0 === OpKind.Rel &&
    canInline(em, lastInsn) &&
    relTarget(lastInsn, blk.eips[insns.length]) === blk.eip;
  // A loop keeps registers in locals across iterations: every register the body writes may be
  // dirty at any exit, so emit again with those marked dirty from the start.
  if (blk.selfLoop) em = emitBlock(blk, emitBlock(blk, 0).written);
  const source = em.finish(blk.selfLoop);
  const factory = compileGenerated<
    (h: unknown[], i: Insn[], x: Int32Array, tc: typeof testCC, fcf: typeof foldCF) => BlockFn
  >(BLOCK_FACTORY_PARAMS, source);
  const hs = insns.map((i) => handlers[i.mn]);
  return { fn: factory(hs, insns, blk.eips, testCC, foldCF), source };
}
