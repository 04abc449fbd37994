/**
 * String instruction templates: MOVS STOS LODS CMPS SCAS, with and without REP/REPE/REPNE (SDM
 * Vol. 2, and Vol. 1 §7.3.9). INS/OUTS are I/O and stay hand-written (exec-string.ts).
 *
 * Element size = the operand size (Insn.osize, 1 for the byte forms); the source is DS (or the
 * override) : (E)SI, the destination ES : (E)DI (never overridden); the address size picks SI/DI/CX
 * or ESI/EDI/ECX; DF (which always lives in cpu.eflags, flags.ts) picks the direction. Each element
 * makes its accesses (which may fault) before it moves the index registers.
 *
 * REP commits ESI/EDI/ECX after every element, so a fault in the middle restarts the instruction
 * (EIP = the instruction) with the registers describing the remaining work, as on hardware. After
 * REP_CHUNK elements the instruction yields (retired, EIP back at itself), so the engine can take
 * interrupts between chunks (hardware takes them between iterations). F2 on MOVS/STOS/LODS acts as
 * REP. CMPS/SCAS stop when ZF != 1 (REPE) or ZF != 0 (REPNE). REP MOVS/STOS with 32-bit addressing
 * move whole runs inside a page at once where that is safe (exec-string-bulk.ts), the rest element
 * by element.
 */
import { Rep, Seg, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { LfOp } from '../flag-exprs.js';
import { EF } from '../state.js';
import { defSem, let_, sx, type SemGen, type Template } from './gen.js';

/** Elements a REP instruction moves per execution before it yields. */
export const REP_CHUNK = 4096;

const ECX = 1, ESI = 6, EDI = 7;

/** Offset in index register `r` (SI/DI at 16-bit address size). */
function index(g: SemGen, r: number, f: Insn): string {
  return g.reg(r, f.asize);
}

/** Move index register `r` by `d` (SI/DI/CX wrap at 16 bits, the upper half kept, at 16-bit
 *  address size). */
function advance(g: SemGen, r: number, f: Insn, d: string): void {
  g.setReg(r, f.asize, `(${g.reg(r, 4)} + ${d}) | 0`);
}

/** One element; returns the comparison result of CMPS/SCAS (sign-extended), else null. */
type Element = (g: SemGen, f: Insn, d: string) => string | null;

const movs: Element = (g, f, d) => {
  const v = g.load(-1, index(g, ESI, f), f.osize);
  g.store(Seg.ES, index(g, EDI, f), f.osize, v);
  advance(g, ESI, f, d);
  advance(g, EDI, f, d);
  return null;
};

const stos: Element = (g, f, d) => {
  g.store(Seg.ES, index(g, EDI, f), f.osize, g.reg(0, f.osize));
  advance(g, EDI, f, d);
  return null;
};

const lods: Element = (g, f, d) => {
  const v = g.load(-1, index(g, ESI, f), f.osize);
  g.setReg(0, f.osize, v);
  advance(g, ESI, f, d);
  return null;
};

/** CMP of `a` and `b` (sign-extended): flags of SUB, the result returned. */
function compare(g: SemGen, f: Insn, a: string, b: string): string {
  const r = let_(g, f.osize === 4 ? `(${a} - ${b}) | 0` : sx(`(${a} - ${b})`, f.osize));
  g.flags(LfOp.SUB, r, a, b, null);
  return r;
}

const cmps: Element = (g, f, d) => {
  const a = let_(g, sx(g.load(-1, index(g, ESI, f), f.osize), f.osize));
  const b = let_(g, sx(g.load(Seg.ES, index(g, EDI, f), f.osize), f.osize));
  advance(g, ESI, f, d);
  advance(g, EDI, f, d);
  return compare(g, f, a, b);
};

const scas: Element = (g, f, d) => {
  const a = let_(g, sx(g.reg(0, f.osize), f.osize));
  const b = let_(g, sx(g.load(Seg.ES, index(g, EDI, f), f.osize), f.osize));
  advance(g, EDI, f, d);
  return compare(g, f, a, b);
};

/**
 * The template of a string instruction from its element. `bulk`: MOVS (false) or STOS (true) take
 * the bulk path under REP with 32-bit addressing; null: never.
 */
function stringOp(element: Element, bulk: boolean | null): Template {
  return (g, f) => {
    const size = f.osize;
    const d = let_(g, `(cpu.eflags & ${EF.DF}) !== 0 ? ${-size} : ${size}`);
    if (f.rep === Rep.None) {
      element(g, f, d);
      return;
    }
    const n = let_(g, '0'); // elements done in this execution
    g.loopOpen();
    g.ifOpen(`${g.reg(ECX, f.asize)} === 0`);
    g.loopBreak();
    g.ifClose();
    g.ifOpen(`${n} >= ${REP_CHUNK}`);
    g.yieldInsn();
    g.ifClose();
    if (bulk !== null && f.asize === 4) {
      const ecx = g.reg(ECX, 4);
      const room = let_(g, `${REP_CHUNK} - ${n}`);
      const count = let_(g, `(${ecx} >>> 0) < ${room} ? ${ecx} : ${room}`);
      const k = let_(g, g.bulk(bulk, -1, g.reg(ESI, 4), g.reg(EDI, 4), count, bulk ? g.reg(0, size) : '0', `${d} < 0`));
      g.ifOpen(`${k} > 0`);
      const by = let_(g, `${k} * ${d}`);
      if (!bulk) advance(g, ESI, f, by);
      advance(g, EDI, f, by);
      g.setReg(ECX, 4, `(${ecx} - ${k}) | 0`);
      g.line(`${n} += ${k};`);
      g.loopContinue();
      g.ifClose();
    }
    const res = element(g, f, d);
    advance(g, ECX, f, '-1');
    g.line(`${n} += 1;`);
    if (res !== null) {
      g.ifOpen(f.rep === Rep.Rep ? `${res} !== 0` : `${res} === 0`);
      g.loopBreak();
      g.ifClose();
    }
    g.loopClose();
  };
}

defSem(Mn.MOVS, stringOp(movs, false));
defSem(Mn.STOS, stringOp(stos, true));
defSem(Mn.LODS, stringOp(lods, null));
defSem(Mn.CMPS, stringOp(cmps, null));
defSem(Mn.SCAS, stringOp(scas, null));
