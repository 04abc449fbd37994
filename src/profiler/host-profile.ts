/**
 * Guest names in host profiles: `node --cpu-prof dist/cli/main.js boot ...` writes a .cpuprofile in
 * which every generated function is a frame of the script `x86jit/block_<phys hex>_<mode>.js` or
 * `x86jit/region_<page hex>_<mode>.js` (the generated code's `//# sourceURL`; `~N` is appended to
 * the N-th function compiled under one name when source maps are on). This rewrites those frames
 * to guest code, so DevTools and speedscope show guest functions next to the emulator's own.
 *
 *   const p = JSON.parse(readFileSync('CPU.cpuprofile', 'utf8'));
 *   const maps = await loadGeneratedMaps('maps', generatedUrls(p));  // optional: boot --jit-source-maps maps
 *   symbolizeHostProfile(p, symbols, undefined, { maps });          // in place; returns the frames renamed
 *
 * With the source maps (src/jit/source-map.ts) a frame is resolved at guest-instruction precision:
 * V8 records ticks per script line (`positionTicks`), each line maps to the guest instruction it
 * was generated for, and the instruction to its function. The frame becomes `[guest] function`
 * with `url` = the guest listing `x86jit/guest/<name>.asm` and `positionTicks` on listing lines
 * (one per guest instruction). A function whose lines belong to several guest functions (a region,
 * a block running into the next function) is split into one sibling frame per guest function, with
 * exact tick totals; which of its samples go to which sibling is not recorded by V8, so they are
 * dealt out in proportion (the timeline order inside such a frame is approximate).
 *
 * Without a map for a frame (no `--source-maps`, or a profile without positionTicks) the whole
 * frame is renamed after its first byte: blocks are keyed by guest-physical address and the symbol
 * table is linear, so kernel code (CPL 0 in the mode key) is mapped through Linux i386's direct
 * map, linear = physical + PAGE_OFFSET (0xc0000000 by default, `physOffset`); user code (CPL 3) is
 * named `[guest user]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SourceMapConsumer, type RawSourceMap } from 'source-map';
import { listingAddress } from '../jit/source-map.js';
import type { SymbolTable } from './symbols.js';
import { hex32 } from './symbols.js';

export interface HostCallFrame {
  functionName: string;
  url: string;
  lineNumber?: number;
  columnNumber?: number;
  [k: string]: unknown;
}

export interface HostNode {
  id?: number;
  callFrame: HostCallFrame;
  hitCount?: number;
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
  [k: string]: unknown;
}

export interface HostProfile {
  nodes: HostNode[];
  samples?: number[];
  [k: string]: unknown;
}

/** A generated line, as its source map resolves it. */
export interface GuestPosition {
  /** The guest listing, `x86jit/guest/<name>.asm`. */
  source: string;
  /** 1-based line of the listing (one guest instruction). */
  line: number;
  /** That line's text: address, disassembly, `; function+0xoff`. */
  text: string;
  /** The instruction's address (EIP), or -1. */
  eip: number;
  /** The guest function (the map's `names`), or null. */
  name: string | null;
}

/** Source maps of generated scripts, by script URL. */
export interface GeneratedMaps {
  /** Where 1-based line `line` of the generated script `url` comes from, or null. */
  lookup(url: string, line: number): GuestPosition | null;
  /** Scripts with a map. */
  readonly size: number;
}

const GEN_URL = /x86jit\/((block|region)_([0-9a-f]{1,8})(?:_(\d+))?(?:~\d+)?)\.js$/;
/** CPL in bits 2-3 of the mode key (src/jit/mode.ts ModeBit.CPL_SHIFT). */
const CPL_SHIFT = 2;

/** URLs of the generated scripts a profile has frames of. */
export function generatedUrls(p: HostProfile): Set<string> {
  const out = new Set<string>();
  for (const n of p.nodes ?? []) if (GEN_URL.test(n.callFrame?.url ?? '')) out.add(n.callFrame.url);
  return out;
}

/**
 * Read the maps of `urls` from `dir`, where `boot --jit-source-maps DIR` wrote one
 * `<script name>.js.map` per generated function. Scripts without a file there are skipped.
 */
export async function loadGeneratedMaps(dir: string, urls: Iterable<string>): Promise<GeneratedMaps> {
  const byUrl = new Map<string, { lines: (GuestPosition | null)[] }>();
  for (const url of urls) {
    const file = join(dir, `${url.split('/').pop()}.map`);
    if (!existsSync(file)) continue;
    const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSourceMap;
    const lines: (GuestPosition | null)[] = [];
    const dirOf = url.slice(0, url.lastIndexOf('/') + 1);
    await SourceMapConsumer.with(raw, null, (c) => {
      const listings = new Map<string, string[]>();
      c.eachMapping((m) => {
        if (m.source === null || lines[m.generatedLine] !== undefined) return;
        let listing = listings.get(m.source);
        if (listing === undefined) listings.set(m.source, (listing = (c.sourceContentFor(m.source, true) ?? '').split('\n')));
        const text = listing[m.originalLine - 1] ?? '';
        // `sources` are relative to the script (x86jit/<name>.js): guest/<name>.asm -> x86jit/guest/<name>.asm.
        const source = m.source.startsWith('x86jit/') ? m.source : `${dirOf}${m.source}`;
        lines[m.generatedLine] = { source, line: m.originalLine, text, eip: listingAddress(text), name: m.name ?? null };
      });
    });
    byUrl.set(url, { lines });
  }
  return {
    size: byUrl.size,
    lookup: (url, line) => byUrl.get(url)?.lines[line] ?? null,
  };
}

export interface SymbolizeOptions {
  /** Source maps of the generated scripts (loadGeneratedMaps). */
  maps?: GeneratedMaps | null;
  /** Filled with host ticks per guest instruction (listing line text), when given. */
  instructions?: Map<string, number>;
  /** Set to the number of frames resolved through source maps. */
  mapped?: number;
}

interface Group {
  name: string;
  source: string;
  ticks: number;
  firstLine: number;
  lines: Map<number, number>;
}

/** Rename the frames of generated code to guest functions; returns how many were renamed. */
export function symbolizeHostProfile(p: HostProfile, symbols: SymbolTable, physOffset = 0xc0000000, o: SymbolizeOptions = {}): number {
  if (!Array.isArray(p.nodes)) throw new Error('not a .cpuprofile (no "nodes" array)');
  let renamed = 0;
  o.mapped = 0;
  const original = p.nodes.slice();
  let parents: Map<number, HostNode> | null = null;
  let nextId = 1;
  for (const n of original) nextId = Math.max(nextId, (n.id ?? 0) + 1);
  for (const n of original) {
    const m = GEN_URL.exec(n.callFrame?.url ?? '');
    if (m === null) continue;
    const mode = m[4] === undefined ? 0 : Number(m[4]);
    const user = ((mode >> CPL_SHIFT) & 3) === 3;
    const groups = o.maps ? groupTicks(n, o.maps, symbols, user, o.instructions) : null;
    if (groups !== null) {
      if (groups.length > 1) parents ??= parentMap(p.nodes);
      applyGroups(p, n, groups, parents, () => nextId++);
      o.mapped++;
    } else if (m[2] === 'block') {
      const phys = parseInt(m[3], 16);
      if (user) n.callFrame.functionName = `[guest user] phys ${hex32(phys)}`;
      else n.callFrame.functionName = `[guest] ${symbols.format((phys + physOffset) >>> 0)}`;
    } else {
      const page = parseInt(m[3], 16) * 4096;
      n.callFrame.functionName = user ? `[guest user] region phys ${hex32(page)}` : `[guest] region ${symbols.format((page + physOffset) >>> 0)}`;
    }
    renamed++;
  }
  return renamed;
}

/** A frame's ticks by guest function, largest first; null when nothing maps. */
function groupTicks(n: HostNode, maps: GeneratedMaps, symbols: SymbolTable, user: boolean, tally: Map<string, number> | undefined): Group[] | null {
  const pt = n.positionTicks;
  if (!Array.isArray(pt) || pt.length === 0) return null;
  const byName = new Map<string, Group>();
  let unmapped = 0;
  let fallbackName: string | null = null;
  for (const { line, ticks } of pt) {
    const pos = maps.lookup(n.callFrame.url, line);
    if (pos === null) {
      unmapped += ticks;
      continue;
    }
    let name = pos.name ?? (pos.eip >= 0 ? symbols.nameOf(pos.eip) : null);
    if (name === null) {
      // No symbol: one group per generated function, named after its first guest instruction.
      fallbackName ??= `${hex32(firstAddress(maps, n.callFrame.url, pt) >>> 0)}`;
      name = fallbackName;
    }
    const label = `${user ? '[guest user]' : '[guest]'} ${name}`;
    let g = byName.get(label);
    if (g === undefined) byName.set(label, (g = { name: label, source: pos.source, ticks: 0, firstLine: pos.line, lines: new Map() }));
    g.ticks += ticks;
    g.firstLine = Math.min(g.firstLine, pos.line);
    g.lines.set(pos.line, (g.lines.get(pos.line) ?? 0) + ticks);
    if (tally) {
      const key = `${pos.text.replace(/\s+;/, '  ;')}`;
      tally.set(key, (tally.get(key) ?? 0) + ticks);
    }
  }
  if (byName.size === 0) return null;
  const groups = [...byName.values()].sort((a, b) => b.ticks - a.ticks || a.firstLine - b.firstLine);
  groups[0].ticks += unmapped;
  return groups;
}

function firstAddress(maps: GeneratedMaps, url: string, pt: { line: number }[]): number {
  let best = -1;
  for (const { line } of pt) {
    const pos = maps.lookup(url, line);
    if (pos !== null && pos.eip >= 0 && (best < 0 || pos.eip < best)) best = pos.eip;
  }
  return best;
}

function parentMap(nodes: HostNode[]): Map<number, HostNode> {
  const out = new Map<number, HostNode>();
  for (const n of nodes) for (const c of n.children ?? []) out.set(c, n);
  return out;
}

function frameOf(base: HostCallFrame, g: Group): HostCallFrame {
  return { ...base, functionName: g.name, url: g.source, lineNumber: g.firstLine - 1, columnNumber: 0 };
}

function lineTicks(g: Group): { line: number; ticks: number }[] {
  return [...g.lines].sort((a, b) => a[0] - b[0]).map(([line, ticks]) => ({ line, ticks }));
}

/** Node `n` becomes the first group; the others become sibling nodes sharing its samples. */
function applyGroups(p: HostProfile, n: HostNode, groups: Group[], parents: Map<number, HostNode> | null, newId: () => number): void {
  const base = n.callFrame;
  n.callFrame = frameOf(base, groups[0]);
  n.positionTicks = lineTicks(groups[0]);
  const parent = n.id === undefined ? undefined : parents?.get(n.id);
  if (groups.length === 1 || parent === undefined) return;
  const ids = [n.id!];
  for (let i = 1; i < groups.length; i++) {
    const id = newId();
    ids.push(id);
    p.nodes.push({ id, callFrame: frameOf(base, groups[i]), hitCount: 0, children: [], positionTicks: lineTicks(groups[i]) });
    parent.children!.push(id);
  }
  // Deal n's samples out in proportion to the groups' ticks (the most behind its share next).
  const total = groups.reduce((s, g) => s + g.ticks, 0);
  const given = new Array<number>(groups.length).fill(0);
  const samples = p.samples ?? [];
  let dealt = 0;
  for (let i = 0; i < samples.length; i++) {
    if (samples[i] !== n.id) continue;
    dealt++;
    let pick = 0;
    let behind = -Infinity;
    for (let j = 0; j < groups.length; j++) {
      const d = (dealt * groups[j].ticks) / total - given[j];
      if (d > behind) {
        behind = d;
        pick = j;
      }
    }
    given[pick]++;
    samples[i] = ids[pick];
  }
  const hits = dealt > 0 ? given : groups.map((g) => g.ticks);
  n.hitCount = hits[0];
  for (let j = 1; j < groups.length; j++) p.nodes[p.nodes.length - groups.length + j].hitCount = hits[j];
}
