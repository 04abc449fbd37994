/**
 * Oracles the suite needs from outside the project (a host tool, a test suite beside the
 * repository, a peer emulator). On a user's machine a missing one is skipped with one line saying
 * what is missing and how to get it; under `CI=true` it fails the test file instead, loudly, so a
 * green CI run never hides an oracle that did not run (.ci/run installs what they need).
 */
/** True under CI (any non-empty CI other than "false"/"0"). */
export function underCi(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/**
 * `present` as given; when false, warns (skip) or, under CI, throws at collection, which vitest
 * reports as a failed file with this message.
 */
export function oracle(name: string, present: boolean, howToGet: string): boolean {
  if (present) return true;
  const what = `${name} cannot run: ${howToGet}`;
  if (underCi()) throw new Error(`CI=true and an oracle is missing (a skipped oracle must not pass CI): ${what}`);
  console.warn(`SKIP ${what}`);
  return false;
}
