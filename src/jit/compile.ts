/**
 * The one place generated JavaScript becomes a function (`new Function`). Every generated source
 * (blocks, regions) goes through `compileGenerated`, so what is attached to the code for tools
 * (`//# sourceURL`, source maps) is decided here once.
 *
 * Source maps (source-map.ts) are off by default and switched on for the process with
 * `setSourceMaps({...})` (the machine does it for `--jit-source-maps`): each generated function
 * then carries an inline `//# sourceMappingURL=data:...` mapping its lines to a guest listing
 * `x86jit/guest/<name>.asm`, its sourceURL is made unique (`block_<phys>_<mode>~2.js` for the
 * second function compiled under one name, after an invalidation), and with `dir` set each map is
 * also written to `<dir>/<name>.js.map` for `x86jit profile --symbolize` (a .cpuprofile carries no
 * script sources).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGuestSourceMap, inlineSourceMapComment, type GuestMapInfo } from './source-map.js';

export interface SourceMapOptions extends GuestMapInfo {
  /** Also write each map to `<dir>/<script name>.js.map`. */
  dir?: string | null;
}

let current: SourceMapOptions | null = null;
/** Functions compiled so far under each sourceURL (while maps are on). */
const urlUses = new Map<string, number>();
let madeDirs = '';

/** Switch source maps on (options) or off (null) for every function compiled from now on. */
export function setSourceMaps(o: SourceMapOptions | null): void {
  current = o;
  if (o?.dir) ensureDir(o.dir);
}

/** Create the .map directory once per directory name. */
function ensureDir(dir: string): void {
  if (madeDirs === dir) return;
  mkdirSync(dir, { recursive: true });
  madeDirs = dir;
}

/** The options in force (null: off). */
export function sourceMapOptions(): SourceMapOptions | null {
  return current;
}

const URL_LINE = /\n\/\/# sourceURL=x86jit\/([^\s/]+)\.js[ \t]*(?=\n|$)/;

/**
 * Compile `source`, the body of a factory taking `params`, and return the factory. `source` must
 * already have passed verify mode when that is on (engine.ts). `maps`: source-map options for this
 * function (default: those of `setSourceMaps`; null: none).
 */
export function compileGenerated<F>(params: readonly string[], source: string, maps: SourceMapOptions | null = current): F {
  if (maps === null) return new Function(...params, source) as F;
  return new Function(...params, withSourceMap(source, maps)) as F;
}

/** `source` with a unique sourceURL and an inline source map (unchanged if it has no markers). */
export function withSourceMap(source: string, maps: SourceMapOptions): string {
  let body = source;
  const u = URL_LINE.exec(body);
  if (u !== null) {
    const uses = (urlUses.get(u[1]) ?? 0) + 1;
    urlUses.set(u[1], uses);
    if (uses > 1) body = body.slice(0, u.index) + `\n//# sourceURL=x86jit/${u[1]}~${uses}.js` + body.slice(u.index + u[0].length);
  }
  const m = buildGuestSourceMap(body, maps);
  if (m === null) return source;
  if (maps.dir && m.url !== null) {
    const name = m.url.split('/').pop()!;
    ensureDir(maps.dir);
    writeFileSync(join(maps.dir, `${name}.map`), m.json);
  }
  return `${body}\n${inlineSourceMapComment(m.json)}`;
}
