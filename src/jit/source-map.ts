/**
 * Source maps from generated JavaScript back to guest instructions (issues 6 and 8), so that
 * `node --cpu-prof`, stack traces and DevTools can show guest code.
 *
 * The only thing read from a generated source is its marker lines, `// 0x<eip hex> <MNEMONIC>`,
 * which the emitter writes before each guest instruction's code (blocks and regions alike), and
 * its `//# sourceURL=x86jit/<name>.js` line. Every line from one marker up to the next belongs to
 * that instruction; lines before the first marker (the function's prologue) belong to the first.
 *
 * The "original source" is a guest listing, `x86jit/guest/<name>.asm`, embedded as
 * `sourcesContent` (in `sources` as `guest/<name>.asm`, relative to the script `x86jit/<name>.js`
 * as the source-map format wants, so DevTools and `node --enable-source-maps` show
 * `x86jit/guest/<name>.asm`): one line per distinct guest instruction in address order,
 *
 *   c1063e6e  mov eax, dword [ebp+0x8]          ; native_flush_tlb_one_user+0x8e
 *
 * (address = EIP as in the marker; the text comes from `disassemble`, else the marker's mnemonic;
 * the comment from `symbolize`, whose function name also goes to the map's `names`).
 *
 * Lines: `new Function(p1, .., body)` compiles `function anonymous(p1,..\n) {\n` + body, so body
 * line L is line L + `bodyLineOffset()` of the script V8 sees (2 on Node 20, measured at first use
 * rather than assumed). Every generated line gets one mapping at column 0, which is what line-level
 * consumers need: V8 cpu profiles (positionTicks are per line) and stack traces (line:column,
 * looked up with the default greatest-lower-bound bias).
 */
import { SourceMapGenerator } from 'source-map';

/** Guest information a map can carry beyond the markers (callbacks given by the machine). */
export interface GuestMapInfo {
  /** EIP of an instruction being compiled -> `function+0xoff`, or null when unknown. */
  symbolize?: ((eip: number) => string | null) | null;
  /** EIP of an instruction being compiled -> its disassembly, or null (the marker's mnemonic is used). */
  disassemble?: ((eip: number) => string | null) | null;
}

export interface GuestSourceMap {
  /** The generated script's sourceURL (`x86jit/block_..js`), or null when it has none. */
  url: string | null;
  /** Name of the guest listing, `x86jit/guest/<name>.asm`. */
  source: string;
  /** The same as the map's only `sources` entry, relative to the script: `guest/<name>.asm`. */
  mapSource: string;
  /** The listing itself (also in the map's sourcesContent). */
  listing: string;
  /** The source map, JSON. */
  json: string;
}

const MARKER = /^\s*\/\/ 0x([0-9a-f]{1,8}) (\S+)/;
const SOURCE_URL = /^\/\/# sourceURL=(\S+)\s*$/;

let lineOffset = -1;

/** Lines `new Function` puts before the body (V8: `function anonymous(..\n) {\n`). */
export function bodyLineOffset(): number {
  if (lineOffset < 0) {
    const text = new Function('a', 'b', '/*body*/').toString();
    const at = text.indexOf('/*body*/');
    lineOffset = at < 0 ? 2 : text.slice(0, at).split('\n').length - 1;
  }
  return lineOffset;
}

/** Name of the guest listing for a generated script URL. */
export function guestSourceName(url: string | null): string {
  const base = url === null ? 'anonymous' : (url.split('/').pop() ?? url).replace(/\.js$/, '');
  return `x86jit/guest/${base}.asm`;
}

/** Function name of a `function+0xoff` symbol (null for a bare address). */
function functionOf(sym: string | null): string | null {
  if (sym === null || sym.startsWith('0x')) return null;
  const plus = sym.lastIndexOf('+0x');
  return plus > 0 ? sym.slice(0, plus) : sym;
}

/**
 * Build the map of a generated function body (the string given to `new Function`). Returns null
 * when the body has no instruction markers.
 */
export function buildGuestSourceMap(body: string, info: GuestMapInfo = {}): GuestSourceMap | null {
  const lines = body.split('\n');
  const n = lines.length;
  const eipOfLine = new Float64Array(n).fill(-1);
  const mnemonic = new Map<number, string>();
  let url: string | null = null;
  let cur = -1;
  let first = -1;
  for (let i = 0; i < n; i++) {
    const s = lines[i];
    const m = MARKER.exec(s);
    if (m !== null) {
      cur = parseInt(m[1], 16);
      if (first < 0) first = cur;
      if (!mnemonic.has(cur)) mnemonic.set(cur, m[2]);
    } else if (s.startsWith('//# sourceURL=')) {
      const u = SOURCE_URL.exec(s);
      if (u !== null) url = u[1];
    }
    eipOfLine[i] = cur;
  }
  if (first < 0) return null;

  const eips = [...mnemonic.keys()].sort((a, b) => a - b);
  const listingLine = new Map<number, number>();
  const names = new Map<number, string | null>();
  const text: string[] = [];
  for (let j = 0; j < eips.length; j++) {
    const eip = eips[j];
    listingLine.set(eip, j + 1);
    const dis = info.disassemble?.(eip) ?? mnemonic.get(eip)!.toLowerCase();
    const sym = info.symbolize?.(eip) ?? null;
    names.set(eip, functionOf(sym));
    const addr = eip.toString(16).padStart(8, '0');
    text.push(sym === null ? `${addr}  ${dis}` : `${addr}  ${dis.padEnd(34)} ; ${sym}`);
  }
  const listing = text.join('\n') + '\n';
  const source = guestSourceName(url);
  const mapSource = source.slice('x86jit/'.length);
  const gen = new SourceMapGenerator({ file: url === null ? undefined : url.split('/').pop() });
  gen.setSourceContent(mapSource, listing);
  const off = bodyLineOffset();
  for (let i = 0; i < n; i++) {
    const eip = eipOfLine[i] < 0 ? first : eipOfLine[i];
    const name = names.get(eip);
    gen.addMapping({
      generated: { line: i + 1 + off, column: 0 },
      original: { line: listingLine.get(eip)!, column: 0 },
      source: mapSource,
      name: name ?? undefined,
    });
  }
  return { url, source, mapSource, listing, json: gen.toString() };
}

/** The inline form: a `//# sourceMappingURL=data:` comment line. */
export function inlineSourceMapComment(json: string): string {
  return `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(json, 'utf8').toString('base64')}`;
}

/** The address of a guest listing line (`c1063e6e  mov ...`), or -1. */
export function listingAddress(line: string): number {
  const m = /^([0-9a-f]{8}) /.exec(line);
  return m === null ? -1 : parseInt(m[1], 16);
}
