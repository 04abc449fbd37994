/**
 * The interpreter's side of the semantic templates (gen.ts): each form of a templated instruction
 * (its mnemonic with operand kinds, sizes, operand and address size fixed) becomes one handler,
 * compiled with `new Function` the first time an instruction of that form is decoded, and cached on
 * the decoded `Insn` (`Insn.x`) so the next execution calls it directly.
 *
 * The generated handler reads register numbers, immediates and the displacement from the `Insn`
 * at run time (`i.v0`, `cpu.ea(i)`), so one function serves every instruction of its form, and it
 * keeps the handler contract of handlers.ts exactly as a hand-written handler would.
 */
import { OpKind, type Insn } from '../../frontend/insn.js';
import { mnemonicName } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { raise, raiseCode } from '../fault.js';
import { getAF, getCF, getOF, getPF, getSF, getZF, testCC } from '../flags.js';
import { KEPT_BITS } from '../flag-exprs.js';
import { def, handlers, type Handler } from '../handlers.js';
import { bulkMovs, bulkStos } from '../exec-string-bulk.js';
import { accepts, templateFor, templates, type SemGen, type Template } from './gen.js';

const SLOT_K = ['k0', 'k1', 'k2'] as const;
const SLOT_S = ['s0', 's1', 's2'] as const;

class InterpGen implements SemGen {
  readonly out: string[] = [];
  private ntmp = 0;
  maxTmp = 0;
  /** `a` holds the memory operand's offset (after a get of a Mem/Moffs slot). */
  private addr = false;

  constructor(private readonly f: Insn) {}

  line(s: string): void {
    this.out.push(s);
  }

  tmp(): string {
    const n = `t${this.ntmp++}`;
    if (this.ntmp > this.maxTmp) this.maxTmp = this.ntmp;
    return n;
  }

  private memAddr(kind: number): void {
    if (this.addr) return;
    this.addr = true;
    if (kind === OpKind.Moffs) this.line(this.f.asize === 2 ? 'a = i.disp & 65535;' : 'a = i.disp;');
    else this.line('a = cpu.ea(i);');
  }

  get(slot: number): string {
    const k = this.f[SLOT_K[slot]];
    const s = this.f[SLOT_S[slot]];
    const v = `i.v${slot}`;
    switch (k) {
      case OpKind.Reg:
        return s === 4 ? `R[${v}]` : s === 2 ? `(R[${v}] & 65535)` : `cpu.getReg(${v}, 1)`;
      case OpKind.Imm:
        return v;
      case OpKind.Mem:
      case OpKind.Moffs: {
        this.memAddr(k);
        const t = this.tmp();
        this.line(`${t} = cpu.readMem(i.seg, a, ${s});`);
        return t;
      }
      default:
        throw new Error(`semantic template: operand kind ${k} in slot ${slot} of ${mnemonicName[this.f.mn]}`);
    }
  }

  put(slot: number, v: string): void {
    const k = this.f[SLOT_K[slot]];
    const s = this.f[SLOT_S[slot]];
    const n = `i.v${slot}`;
    if (k === OpKind.Reg) {
      if (s === 4) this.line(`R[${n}] = ${v};`);
      else if (s === 2) this.line(`R[${n}] = (R[${n}] & -65536) | ((${v}) & 65535);`);
      else this.line(`cpu.setReg(${n}, 1, ${v});`);
      return;
    }
    if (k !== OpKind.Mem && k !== OpKind.Moffs) throw new Error(`semantic template: cannot write operand kind ${k}`);
    this.memAddr(k);
    this.line(`cpu.writeMem(i.seg, a, ${s}, ${v});`);
  }

  regNum(slot: number): string {
    return `i.v${slot}`;
  }

  reg(r: number, size: number): string {
    if (size === 4) return `R[${r}]`;
    if (size === 2) return `(R[${r}] & 65535)`;
    return r < 4 ? `(R[${r}] & 255)` : `((R[${r - 4}] >> 8) & 255)`;
  }

  setReg(r: number, size: number, v: string): void {
    if (size === 4) this.line(`R[${r}] = ${v};`);
    else if (size === 2) this.line(`R[${r}] = (R[${r}] & -65536) | ((${v}) & 65535);`);
    else if (r < 4) this.line(`R[${r}] = (R[${r}] & -256) | ((${v}) & 255);`);
    else this.line(`R[${r - 4}] = (R[${r - 4}] & -65281) | (((${v}) & 255) << 8);`);
  }

  ea(): string {
    return 'cpu.ea(i)';
  }

  load(seg: number, off: string, size: number): string {
    const t = this.tmp();
    this.line(`${t} = cpu.readMem(${seg < 0 ? 'i.seg' : seg}, ${off}, ${size});`);
    return t;
  }

  store(seg: number, off: string, size: number, v: string): void {
    this.line(`cpu.writeMem(${seg < 0 ? 'i.seg' : seg}, ${off}, ${size}, ${v});`);
  }

  sp(delta: number): string {
    return `(cpu.stack32 ? (R[4] + ${delta}) | 0 : (R[4] + ${delta}) & 65535)`;
  }

  setSp(v: string): void {
    this.line(`if (cpu.stack32) R[4] = ${v}; else R[4] = (R[4] & -65536) | ((${v}) & 65535);`);
  }

  flags(op: number, res: string, a: string, b: string, kept: string | null): void {
    if (kept !== null) this.line(`cpu.eflags = (cpu.eflags & ${~KEPT_BITS[op]}) | ${kept};`);
    this.line(`LF.op = ${op}; LF.res = ${res}; LF.a = ${a}; LF.b = ${b};`);
  }

  cf(): string {
    return 'GF[0](cpu)';
  }

  flag(ix: number): string {
    return `GF[${ix}](cpu)`;
  }

  cond(): string {
    return 'TC(cpu, i.cc)';
  }

  raise(vec: number, code?: number): void {
    this.line(code === undefined ? `RAISE(cpu, ${vec});` : `RAISEC(cpu, ${vec}, ${code});`);
  }

  ifOpen(cond: string): void {
    this.line(`if (${cond}) {`);
  }

  ifElse(): void {
    this.line('} else {');
  }

  ifClose(): void {
    this.line('}');
  }

  loopOpen(): void {
    this.line('for (;;) {');
  }

  loopBreak(): void {
    this.line('break;');
  }

  loopContinue(): void {
    this.line('continue;');
  }

  loopClose(): void {
    this.line('}');
  }

  yieldInsn(): void {
    this.line('cpu.eip = cpu.insnEip; return;');
  }

  bulk(stos: boolean, seg: number, si: string, di: string, count: string, value: string, back: string): string {
    const size = this.f.osize;
    return stos ? `BS(cpu, ${size}, ${di}, ${value}, ${count}, ${back})` : `BM(cpu, ${size}, ${seg < 0 ? 'i.seg' : seg}, ${si}, ${di}, ${count}, ${back})`;
  }
}

/** Flag getters by flag-exprs.ts FlagIx. */
const GF = [getCF, getPF, getAF, getZF, getSF, getOF];

/** The static shape a template may depend on, as one number (gen.ts: what a form is). */
export function formKey(i: Insn): number {
  return i.k0 | (i.k1 << 4) | (i.k2 << 8) | (i.s0 << 12) | (i.s1 << 16) | (i.s2 << 20) | (i.osize << 24) | ((i.asize >> 1) << 27) | (i.rep << 29);
}

const forms: Map<number, Handler>[] = [];

/** Compile the handler of `t` for the form of `f`. */
export function compileForm(t: Template, f: Insn): Handler {
  const g = new InterpGen(f);
  t(g, f);
  const tmps = Array.from({ length: g.maxTmp }, (_, n) => `t${n} = 0`);
  const name = `${mnemonicName[f.mn]}_${formKey(f).toString(16)}`;
  const src = [
    '"use strict";',
    `return function ${name.replace(/[^A-Za-z0-9_]/g, '_')}(cpu, i) {`,
    'const R = cpu.regs, LF = cpu.lf;',
    `let a = 0${tmps.length > 0 ? ', ' + tmps.join(', ') : ''};`,
    ...g.out,
    '};',
    `//# sourceURL=x86jit/interp/${name}.js`,
  ].join('\n');
  return new Function('GF', 'TC', 'RAISE', 'RAISEC', 'BM', 'BS', src)(GF, testCC, raise, raiseCode, bulkMovs, bulkStos) as Handler;
}

/** The handler for decoded instruction `i` (cached in `i.x`): its form's compiled template, or the
 *  hand-written handler of its mnemonic. */
export function bindHandler(i: Insn): Handler {
  const t = templateFor(i);
  let h: Handler;
  if (t === undefined) h = handlers[i.mn];
  else {
    let m = forms[i.mn];
    if (m === undefined) forms[i.mn] = m = new Map();
    const key = formKey(i);
    const got = m.get(key);
    if (got !== undefined) h = got;
    else {
      h = compileForm(t, i);
      m.set(key, h);
    }
  }
  i.x = h;
  return h;
}

/** Register every mnemonic templated in all its forms in the handler table (callers that index it
 *  by mnemonic get the form's handler through bindHandler); a mnemonic templated in some forms keeps
 *  its hand-written handler there for the others. Called once all template modules are loaded. */
export function installTemplates(): void {
  for (let mn = 0; mn < templates.length; mn++) {
    if (templates[mn] === undefined || accepts[mn] !== undefined) continue;
    def(mn, (cpu: Cpu, i: Insn) => bindHandler(i)(cpu, i));
  }
}
