/**
 * Forms known to mismatch at the time of the last update (reported to the interpreter owners).
 * Only used to label the output "known" instead of "NEW": the test fails on them all the same.
 * The summary lists known forms that pass again, so that this list can shrink.
 */
export const KNOWN_FAILING: ReadonlySet<string> = new Set<string>([
  // empty: every form listed here on 2026-11-22 01:45 (LOOP/LOOPNE a16, #AC, FYL2XP1, EMMS) now
  // matches the hardware, as the campaign's summary reported.
]);
