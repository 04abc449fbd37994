/**
 * The profile as terminal text: top hot spots (address, symbol+offset, counts, share, disassembly,
 * generated JS), the table by guest function, JIT figures and VM exits by reason.
 *
 *   process.stderr.write(formatReport(collectProfile(prof, symbols), { sourceBlocks: 5 }));
 */
import type { HotSpot, ProfileData } from './profile-data.js';
import { hex32 } from './symbols.js';

export interface ReportOptions {
  /** Hot spots whose generated JS is printed (default 3; JIT only). */
  sourceBlocks?: number;
  /** Lines of generated JS per block, at most (default 80). */
  maxSourceLines?: number;
  /** Rows of the function table (default 25). */
  functions?: number;
  /** Lines printed under the headline (where the symbols came from, KASLR). */
  notes?: string[];
}

const pct = (x: number) => (100 * x).toFixed(2).padStart(6) + '%';
const num = (x: number) => Math.round(x).toLocaleString('en-US');

export function formatReport(d: ProfileData, o: ReportOptions = {}): string {
  const out: string[] = [];
  const sourceBlocks = o.sourceBlocks ?? 3;
  const maxSourceLines = o.maxSourceLines ?? 80;
  const mips = d.wallMs > 0 ? d.retired / d.wallMs / 1000 : 0;
  out.push(`x86jit profile (${d.engine}): ${num(d.retired)} guest instructions in ${(d.wallMs / 1000).toFixed(1)} s (${mips.toFixed(1)} M/s); ` +
    `${num(d.samples)} samples, one every ${num(d.period)} instructions`);
  out.push(...(o.notes ?? []));
  out.push('');

  if (d.jit !== null) {
    out.push(`Hot translated blocks (exact counts from the JIT's blocks; share of all ${num(d.retired)} instructions):`);
    out.push(`  #   share   instructions      entries  samples  address     symbol`);
    d.hot.forEach((h, i) => hotLines(out, h, i, i < sourceBlocks, maxSourceLines, true));
    const shown = d.hot.reduce((a, h) => a + h.share, 0);
    const blocksRest = 1 - shown - d.interpretedShare;
    out.push(`      ${pct(Math.max(0, blocksRest))}  the other ${num(Math.max(0, d.hotTotal - d.hot.length))} blocks`);
    out.push(`      ${pct(d.interpretedShare)}  interpreted (cold code, not yet translated)`);
    out.push(`      ${pct(shown + Math.max(0, blocksRest) + d.interpretedShare)}  total`);
  } else {
    out.push(`Hot code (${d.engine === 'jit' ? 'JIT without exact counts' : 'interpreter'}: sampled addresses merged into straight-line runs; share of all ${num(d.samples)} samples):`);
    out.push(`  #   share  samples  address     symbol`);
    d.hot.forEach((h, i) => hotLines(out, h, i, false, 0, false));
    const shown = d.hot.reduce((a, h) => a + h.share, 0);
    out.push(`      ${pct(Math.max(0, 1 - shown))}  the other ${num(Math.max(0, d.hotTotal - d.hot.length))} runs`);
  }
  out.push('');

  const nf = o.functions ?? 25;
  out.push(d.jit !== null
    ? 'Guest functions (share: exact instructions in translated blocks; self/total: samples with EIP in it / on its frame-pointer stack):'
    : 'Guest functions (share = self samples; total = samples with the function on the frame-pointer stack):');
  out.push(`    share    self%   total%  function`);
  const shown = d.functions.slice(0, nf);
  for (const f of shown) {
    const self = d.samples > 0 ? f.selfSamples / d.samples : 0;
    const total = d.samples > 0 ? f.totalSamples / d.samples : 0;
    out.push(`  ${pct(f.share)}  ${pct(self)}  ${pct(total)}  ${f.name}`);
  }
  const restShare = d.functions.slice(nf).reduce((a, f) => a + f.share, 0);
  out.push(`  ${pct(restShare)}  the other ${num(Math.max(0, d.functions.length - nf))} functions`);
  out.push('');

  if (d.jit !== null) {
    const j = d.jit;
    out.push('JIT:');
    out.push(`  blocks compiled ${num(j.blocksCompiled)}, in the cache now ${num(j.cachedBlocks)} (${(j.cachedSourceBytes / 1024).toFixed(0)} KiB of JS), ` +
      `compile time ${j.compileMs.toFixed(0)} ms, invalidations (self-modifying code) ${num(j.invalidations)}`);
    out.push(`  interpreted instructions ${num(j.interpreted)} (${pct(d.retired > 0 ? j.interpreted / d.retired : 0).trim()})` +
      Object.entries(j.other).map(([k, v]) => `, ${k} ${num(v)}`).join(''));
    out.push('');
  }
  if (d.exits.length > 0) {
    out.push('VM exits by reason:');
    out.push(...d.exits);
  }
  return out.join('\n') + '\n';
}

function hotLines(out: string[], h: HotSpot, i: number, withSource: boolean, maxSourceLines: number, jit: boolean): void {
  const where = `${hex32(h.lin)}  ${h.symbol}`;
  if (jit) {
    const extra = `(${h.insns} insns, phys ${hex32(h.phys)}${h.valid ? '' : ', invalidated'})`;
    out.push(`  ${String(i + 1).padStart(2)} ${pct(h.share)} ${num(h.retired).padStart(14)} ${num(h.entries).padStart(12)} ${num(h.samples).padStart(8)}  ${where} ${extra}`);
  } else {
    out.push(`  ${String(i + 1).padStart(2)} ${pct(h.share)} ${num(h.samples).padStart(8)}  ${where}`);
  }
  for (const l of h.disasm) out.push(`        ${hex32(l.addr).slice(2)}  ${l.hex.padEnd(24)} ${l.text}`);
  if (withSource && h.source !== '') {
    const lines = h.source.split('\n');
    out.push('        generated JS:');
    for (const l of lines.slice(0, maxSourceLines)) out.push(`        | ${l}`);
    if (lines.length > maxSourceLines) out.push(`        | ... (${lines.length - maxSourceLines} more lines)`);
  }
}
