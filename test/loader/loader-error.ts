import { LoaderError } from '../../src/loader/errors.js';

/** The LoaderError `fn` throws (anything else thrown, or nothing, fails the test). */
export function errorOf(fn: () => unknown): LoaderError {
  try {
    fn();
  } catch (e) {
    if (e instanceof LoaderError) return e;
    throw e;
  }
  throw new Error('expected a LoaderError');
}
