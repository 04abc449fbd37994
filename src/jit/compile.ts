/**
 * The one place generated JavaScript becomes a function (`new Function`). Every generated source
 * (blocks, regions) goes through `compileGenerated`, so what is attached to the code for tools
 * (`//# sourceURL`, source maps) is decided here once.
 */

/**
 * Compile `source`, the body of a factory taking `params`, and return the factory. `source` must
 * already have passed verify mode when that is on (engine.ts).
 */
export function compileGenerated<F>(params: readonly string[], source: string): F {
  return new Function(...params, source) as F;
}
