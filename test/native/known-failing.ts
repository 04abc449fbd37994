/**
 * Forms known to mismatch at the time of the last update (reported to the interpreter owners).
 * Only used to label the output "known" instead of "NEW": the test fails on them all the same.
 * The summary lists known forms that pass again, so that this list can shrink.
 */
export const KNOWN_FAILING: ReadonlySet<string> = new Set<string>([
  // integer (2026-11-22 00:30): a write through a CS override does not raise #GP(0);
  // LOOP/LOOPE/LOOPNE with the 67 prefix count with ECX instead of CX
  'write through cs (#GP)', 'loop rel8 a16', 'loopne rel8 a16',
  // no alignment check: EFLAGS.AC = 1 with CR0.AM = 1 at CPL 3 does not raise #AC on misaligned data
  'alignment check (#AC)',
  // x87: float80 denormal / pseudo-denormal operands and results below the double range
  'fyl2x', 'fpatan', 'fyl2xp1', 'fsqrt', 'fimul m32int', 'fimul m16int', 'fmul m64fp', 'fmul m32fp',
  'fadd st(i),st0 (DC c0+i)', 'fadd st0,st(i) (D8 c0+i)', 'fdiv m32fp', 'fdiv st0,st(i) (D8 f0+i)',
  'fdivr st(i),st0 (DC f0+i)', 'fdivr m32fp', 'fdivr st0,st(i) (D8 f8+i)', 'fdiv st(i),st0 (DC f8+i)',
  'fdivp st(i),st0 (DE f8+i)', 'fidiv m32int', 'f2xm1', 'fidivr m32int', 'fidivr m16int', 'fadd m32fp',
  'fsubr st(i),st0 (DC e0+i)',
]);
