/**
 * Turns a profiling session's raw counters into the figures a person reads: hot spots (JIT blocks
 * with exact counts, or, for the interpreter, sampled addresses), the aggregation by guest function,
 * JIT figures and VM exits. report.ts prints it; speedscope.ts exports the samples.
 *
 * Shares are of all guest instructions the run retired, and each table's shares sum to 100%:
 * - with the JIT, every counted block's exact instruction count, plus one row for the instructions
 *   the JIT interpreted (cold code, and code not in RAM), whose count is the remainder;
 * - with the interpreter, samples (each worth `period` instructions) per address / function.
 */
import { decode } from '../frontend/decoder.js';
import { formatInsn } from '../frontend/disasm.js';
import { Insn } from '../frontend/insn.js';
import { endsBlock } from '../jit/block-end.js';
import type { ProfiledBlock } from './block-counter.js';
import { GuestPeek } from '../cpu/guest-peek.js';
import type { Profiler } from './profiler.js';
import { hex32, type SymbolTable } from './symbols.js';

export interface DisasmLine {
  addr: number;
  hex: string;
  text: string;
}

export interface HotSpot {
  /** Linear address of the block (or sampled instruction). */
  lin: number;
  /** Guest-physical address (JIT blocks), or -1. */
  phys: number;
  symbol: string;
  /** Function name (symbol without offset) or the hex address. */
  func: string;
  /** Exact dispatcher entries and instructions retired (JIT blocks), or -1 when only sampled. */
  entries: number;
  retired: number;
  /** Samples whose EIP lies in the block. */
  samples: number;
  /** Share of all guest instructions (0..1). */
  share: number;
  /** Guest instructions per pass of the block (JIT) or instructions shown. */
  insns: number;
  disasm: DisasmLine[];
  /** Generated JavaScript of the block, or '' (interpreter). */
  source: string;
  valid: boolean;
}

export interface FunctionRow {
  name: string;
  /** Samples with the EIP in the function. */
  selfSamples: number;
  /** Samples with the function anywhere on the reconstructed stack (counted once per sample). */
  totalSamples: number;
  /** Exact instructions retired in JIT blocks starting in the function, or -1 (interpreter). */
  jitRetired: number;
  /** Share of all guest instructions (0..1): exact with the JIT, sampled otherwise. */
  share: number;
}

export interface JitFigures {
  blocksCompiled: number;
  /** Blocks valid in the cache now, and their generated source size (bytes). */
  cachedBlocks: number;
  cachedSourceBytes: number;
  compileMs: number;
  invalidations: number;
  /** Instructions the JIT interpreted (not in counted blocks). */
  interpreted: number;
  /** Every other counter of the JIT's stats object. */
  other: Record<string, number>;
}

export interface ProfileData {
  engine: 'jit' | 'interp';
  /** Guest instructions retired while profiling. */
  retired: number;
  period: number;
  samples: number;
  /** Host wall time of the profiled run (ms). */
  wallMs: number;
  hot: HotSpot[];
  /** Hot-spot candidates in total (blocks or sampled addresses). */
  hotTotal: number;
  /** Row for code outside every hot spot with exact counts (JIT: interpreted instructions). */
  interpretedShare: number;
  functions: FunctionRow[];
  jit: JitFigures | null;
  exits: string[];
}

export interface CollectOptions {
  /** Hot spots to keep (default 20). */
  top?: number;
}

/** Label of an address outside every symbol, in user mode, or in no known function. */
export const USER_FRAME = '[user]';

/** Linux i386's PAGE_OFFSET: the kernel's text runs at physical = linear - this before paging. */
const KERNEL_PAGE_OFFSET = 0xc0000000;

export function functionName(symbols: SymbolTable, addr: number, user: boolean): string {
  if (user) return USER_FRAME;
  const name = symbols.nameOf(addr);
  if (name !== null) return name;
  // Kernel code running at its physical address (head_32.S before paging is on).
  if ((addr >>> 0) < 0x40000000) {
    const early = symbols.nameOf((addr + KERNEL_PAGE_OFFSET) >>> 0);
    if (early !== null) return `${early} (physical)`;
  }
  return symbols.regionOf(addr) ?? hex32(addr & ~0xfff) + '-page';
}

/** `symbol+0xoff` of a kernel address, also for kernel code running at its physical address. */
export function formatAddress(symbols: SymbolTable, addr: number): string {
  if (symbols.indexOf(addr) >= 0 || (addr >>> 0) >= 0x40000000) return symbols.format(addr);
  const early = (addr + KERNEL_PAGE_OFFSET) >>> 0;
  if (symbols.indexOf(early) >= 0) return `${symbols.format(early)} (physical)`;
  return symbols.regionOf(addr) ?? symbols.format(addr);
}

export function collectProfile(p: Profiler, symbols: SymbolTable, opts: CollectOptions = {}): ProfileData {
  const top = opts.top ?? 20;
  const s = p.sampler;
  const retired = p.retired();
  const hist = s.histogram();
  const peek = new GuestPeek(p.machine.cpu, p.machine.phys);

  // ---- functions from samples (self and total)
  const rows = new Map<string, FunctionRow>();
  const row = (name: string): FunctionRow => {
    let r = rows.get(name);
    if (r === undefined) {
      r = { name, selfSamples: 0, totalSamples: 0, jitRetired: -1, share: 0 };
      rows.set(name, r);
    }
    return r;
  };
  const seen = new Set<string>();
  s.forEachSample((frames, user) => {
    seen.clear();
    for (let k = 0; k < frames.length; k++) {
      const name = functionName(symbols, frames[k], user && k === 0);
      const r = row(name);
      if (k === 0) r.selfSamples++;
      if (!seen.has(name)) {
        seen.add(name);
        r.totalSamples++;
      }
    }
  });

  let hot: HotSpot[];
  let hotTotal: number;
  let interpretedShare = 0;
  let jit: JitFigures | null = null;
  const bc = p.blocks;
  if (bc !== null) {
    const blocksRetired = bc.totalRetired(); // also syncs counters the JIT keeps itself
    const interpreted = retired - blocksRetired;
    interpretedShare = retired > 0 ? interpreted / retired : 0;
    const ids: number[] = [];
    for (let i = 0; i < bc.blocks.length; i++) if (bc.entries[i] > 0) ids.push(i);
    ids.sort((a, b) => bc.retired[b] - bc.retired[a]);
    hotTotal = ids.length;
    hot = ids.slice(0, top).map((i) => blockSpot(bc.blocks[i], bc.code[i], bc.entries[i], bc.retired[i], retired, hist, symbols));
    for (const r of rows.values()) r.jitRetired = 0;
    for (let i = 0; i < bc.blocks.length; i++) {
      if (bc.retired[i] === 0) continue;
      const b = bc.blocks[i];
      row(functionName(symbols, b.lin, (b.mode & 0xc) === 0xc)).jitRetired += bc.retired[i];
    }
    // Exact shares by function cover the JIT-counted instructions; the interpreted ones cannot be
    // attributed exactly, so they get a row of their own.
    for (const r of rows.values()) r.share = retired > 0 ? Math.max(0, r.jitRetired) / retired : 0;
    row(INTERPRETED).share = interpretedShare;
    row(INTERPRETED).jitRetired = interpreted;
    const stats = bc.jit.stats;
    let cachedBlocks = 0;
    let cachedSourceBytes = 0;
    for (const b of bc.jit.blocks()) {
      if (!b.valid || b.fn === null) continue;
      cachedBlocks++;
      cachedSourceBytes += b.source.length;
    }
    const other: Record<string, number> = {};
    for (const [k, v] of Object.entries(stats)) if (typeof v === 'number' && !['blocksCompiled', 'invalidations', 'compileMs'].includes(k)) other[k] = v;
    jit = { blocksCompiled: stats.blocksCompiled, cachedBlocks, cachedSourceBytes, compileMs: bc.compileTimeMs(), invalidations: stats.invalidations, interpreted, other };
  } else {
    const groups = groupSamples(hist, peek, p.machine.cpu.code32);
    groups.sort((a, b) => b.samples - a.samples || a.lin - b.lin);
    hotTotal = groups.length;
    hot = groups.slice(0, top).map((g) => sampledSpot(g, s.samples, symbols));
    for (const r of rows.values()) r.share = s.samples > 0 ? r.selfSamples / s.samples : 0;
  }
  const functions = [...rows.values()].sort((a, b) => b.share - a.share || b.selfSamples - a.selfSamples || b.totalSamples - a.totalSamples);
  return {
    engine: p.engineName,
    retired,
    period: s.period,
    samples: s.samples,
    wallMs: (p.endTime || performance.now()) - p.startTime,
    hot,
    hotTotal,
    interpretedShare,
    functions,
    jit,
    exits: p.machine.hv.statsLines(),
  };
}

/** Function row of the JIT's interpreted instructions. */
export const INTERPRETED = '(interpreted by the JIT: cold code)';

/** A translated block's row; `code` holds its bytes as translated (the decoded `insns` are of those
 *  bytes too, so the listing stays true after the guest rewrote the memory). */
function blockSpot(b: ProfiledBlock, code: Uint8Array, entries: number, retired: number, total: number, hist: Map<number, number>, symbols: SymbolTable): HotSpot {
  let samples = 0;
  const lo = b.lin >>> 0;
  for (let k = 0; k < b.length; k++) samples += hist.get((lo + (b.eips[k] - b.eip)) >>> 0) ?? 0;
  const code32 = (b.mode & 1) !== 0;
  const disasm: DisasmLine[] = [];
  for (let k = 0; k < b.length; k++) {
    const addr = (b.lin + (b.eips[k] - b.eip)) >>> 0;
    const insn = b.insns[k];
    const off = b.eips[k] - b.eip;
    const bytes: string[] = [];
    for (let j = 0; j < insn.len && off + j < code.length; j++) bytes.push(code[off + j].toString(16).padStart(2, '0'));
    disasm.push({ addr, hex: bytes.join(' '), text: formatInsn(insn, addr, code32) });
  }
  const user = (b.mode & 0xc) === 0xc;
  return {
    lin: lo,
    phys: b.phys >>> 0,
    symbol: user ? `${USER_FRAME} ${hex32(lo)}` : formatAddress(symbols, lo),
    func: functionName(symbols, lo, user),
    entries,
    retired,
    samples,
    share: total > 0 ? retired / total : 0,
    insns: b.length,
    disasm,
    source: b.source,
    valid: b.valid,
  };
}

/** Longest straight-line run decoded for one interpreter hot spot. */
const MAX_RUN = 64;

interface SampleGroup {
  lin: number;
  samples: number;
  disasm: DisasmLine[];
}

/**
 * Interpreter hot spots: sampled addresses merged into straight-line runs. Going up the sorted
 * addresses, a run is decoded from the first sampled address to the next block end (endsBlock);
 * later sampled addresses that are instruction starts of that run join it. Approximates the
 * guest's basic blocks (from their first sampled instruction) without per-instruction hooks.
 * Addresses are decoded through the current page tables (kernel mappings do not move).
 */
function groupSamples(hist: Map<number, number>, peek: GuestPeek, code32: boolean): SampleGroup[] {
  const addrs = [...hist.keys()].sort((a, b) => a - b);
  const insn = new Insn();
  const groups: SampleGroup[] = [];
  let cur: SampleGroup | null = null;
  let starts = new Set<number>();
  for (const a of addrs) {
    const n = hist.get(a)!;
    if (cur !== null && starts.has(a)) {
      cur.samples += n;
      continue;
    }
    cur = { lin: a, samples: n, disasm: [] };
    groups.push(cur);
    starts = new Set<number>();
    let x = a;
    for (let k = 0; k < MAX_RUN; k++) {
      peek.ok = true;
      decode(insn, peek, x | 0, code32);
      if (!peek.ok || insn.len < 1 || insn.len > 15) break;
      const bytes: string[] = [];
      for (let j = 0; j < insn.len; j++) bytes.push(peek.read8((x + j) | 0).toString(16).padStart(2, '0'));
      cur.disasm.push({ addr: x >>> 0, hex: bytes.join(' '), text: formatInsn(insn, x | 0, code32) });
      starts.add(x >>> 0);
      x = (x + insn.len) >>> 0;
      if (endsBlock(insn)) break;
    }
  }
  return groups;
}

function sampledSpot(g: SampleGroup, samples: number, symbols: SymbolTable): HotSpot {
  const user = g.lin < 0xc0000000 && symbols.indexOf(g.lin) < 0;
  return {
    lin: g.lin,
    phys: -1,
    symbol: formatAddress(symbols, g.lin),
    func: functionName(symbols, g.lin, user),
    entries: -1,
    retired: -1,
    samples: g.samples,
    share: samples > 0 ? g.samples / samples : 0,
    insns: g.disasm.length,
    disasm: g.disasm,
    source: '',
    valid: true,
  };
}
