/**
 * Forms known to mismatch at the time of the last update (reported to the interpreter owners).
 * Only used to label the output "known" instead of "NEW": the test fails on them all the same.
 * The summary lists known forms that pass again, so that this list can shrink.
 */
export const KNOWN_FAILING: ReadonlySet<string> = new Set<string>([
  // integer (2026-11-22 01:45): LOOP/LOOPE/LOOPNE with the 67 prefix count with ECX instead of CX
  'loop rel8 a16', 'loopne rel8 a16',
  // no alignment check: EFLAGS.AC = 1 with CR0.AM = 1 at CPL 3 does not raise #AC on misaligned data
  'alignment check (#AC)',
  // x87: FYL2XP1 results below the double range lose precision (computed in doubles); EMMS leaves
  // TOP unchanged (every MMX instruction sets it to 0, SDM Vol. 3 §12.2)
  'fyl2xp1', 'emms',
]);
