/**
 * Sequence generator: sequence `id` of a run with seed `seed` is a pure function of (seed, id), so a
 * failing sequence is regenerated from its id alone. Every form of the tables gets the same share:
 * sequence `id` tests form `id % forms.length` at a random position among 0-3 other random forms
 * (so lazy-flag producers and consumers meet in every order).
 */
import { CODE_MAX, type Sequence } from '../format.js';
import { F, SeqBuilder } from './builder.js';
import type { Form } from './form-kit.js';
import { flowForms } from './forms-flow.js';
import { intForms } from './forms-int.js';
import { moveForms } from './forms-move.js';
import { fpuImage, x87Forms } from './forms-x87.js';
import { Rng } from './rng.js';

export const INTEGER_FORMS: readonly Form[] = [...intForms, ...moveForms, ...flowForms];
export const X87_FORMS: readonly Form[] = x87Forms;
export const ALL_FORMS: readonly Form[] = [...INTEGER_FORMS, ...X87_FORMS];

function seqRng(seed: number, id: number): Rng {
  return new Rng((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(id, 0x85ebca77)) | 0);
}

/** Generate sequence `id` testing `forms[id % forms.length]`. */
export function generateOne(seed: number, id: number, forms: readonly Form[] = ALL_FORMS): Sequence {
  const main = forms[id % forms.length];
  for (let attempt = 0; ; attempt++) {
    const rng = seqRng(seed, id * 16 + attempt);
    const mode = main.x87 === undefined ? 'none' : main.x87 === 'tol' || rng.chance(0.3) ? 'tol' : 'exact';
    const extra = attempt > 4 ? 0 : rng.below(4);
    // Tolerance mode: one precision-dependent form at most, and last, so that no later x87
    // operation amplifies the interpreter's 53-bit rounding (README "x87 tolerance").
    const pos = mode === 'tol' && main.rounds ? extra : rng.below(extra + 1);
    const picked: Form[] = [];
    for (let k = 0; k <= extra; k++) picked.push(k === pos ? main : pickCompanion(rng, main, mode));
    const b = new SeqBuilder(rng);
    b.paging = (id & 1) === 1;
    const fsave = fpuImage(b, mode);
    for (const f of picked) {
      b.avoid = 0;
      f.gen(b);
    }
    if (b.code.length > CODE_MAX) continue;
    return {
      id,
      forms: [main.name, ...picked.filter((f) => f !== main).map((f) => f.name)],
      code: Uint8Array.from(b.code),
      regs: b.regs,
      eflags: b.eflags,
      memSeed: rng.u32(),
      patches: b.patches,
      fsave,
      undefFlags: b.undef & F.ARITH,
      undefRegs: b.undefRegs,
      fpu: mode,
      undefFsw: b.fswUndef,
      fpuAfterFault: b.fpuAfterFault,
      fpStores: b.fpStores,
      memMask: b.memMask,
    };
  }
}

/** Companion forms: mostly integer; x87 ones next to x87 forms, of the sequence's x87 mode. */
function pickCompanion(rng: Rng, main: Form, mode: string): Form {
  if (main.x87 !== undefined && rng.chance(0.7)) return rng.pick(mode === 'tol' ? X87_TOL_COMPANIONS : X87_EXACT_COMPANIONS);
  return rng.pick(INTEGER_FORMS);
}
const X87_EXACT_COMPANIONS = x87Forms.filter((f) => f.x87 === 'exact');
const X87_TOL_COMPANIONS = x87Forms.filter((f) => !f.rounds);

export function generate(seed: number, first: number, count: number, forms: readonly Form[] = ALL_FORMS): Sequence[] {
  const out: Sequence[] = [];
  for (let id = first; id < first + count; id++) out.push(generateOne(seed, id, forms));
  return out;
}
