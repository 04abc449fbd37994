/**
 * One profiled run, from attaching to the written files: what `x86jit profile` and `x86jit boot
 * --profile FILE` (src/cli/profile.ts) do around a machine they built.
 *
 *   const prof = startProfile(machine, opts, symbols);      // after `await machine.init()`
 *   await machine.run();
 *   const { report } = finishProfile(prof, opts, symbols);  // writes opts.out / opts.cpuprofile
 *
 * `symbols` come from symbol-source.ts. When they were read from a kernel image, finishProfile
 * finds where that kernel runs in guest memory (kaslr.ts) and moves the names by its KASLR slide.
 */
import { writeFileSync } from 'node:fs';
import { flameGraphHtml } from './flamegraph.js';
import { findKernelSlide } from './kaslr.js';
import { collectProfile, type ProfileData } from './profile-data.js';
import { Profiler, type ProfiledMachine } from './profiler.js';
import { formatReport } from './report.js';
import { toCpuProfile, toSpeedscope } from './speedscope.js';
import type { GuestSymbols } from './symbol-source.js';
import type { SymbolTable } from './symbols.js';

export interface ProfileOutputOptions {
  /** Profile file to write (`--profile FILE` / `-o`): a flame graph when it ends in .html or .htm,
   *  else speedscope JSON. */
  out?: string;
  /** Chrome .cpuprofile to write. */
  cpuprofile?: string;
  /** Hot spots in the report (default 20) and how many of them show their generated JS (3). */
  top?: number;
  sourceBlocks?: number;
  /** Guest instructions per sample and frames per sample. */
  period?: number;
  depth?: number;
  /** JIT: exact per-block counts (default true). */
  exactBlocks?: boolean;
  /** The kernel may have moved itself (its own decompressor ran, and `nokaslr` was not given): the
   *  stack walker then accepts return addresses up to a RAM size above the symbols' text range. */
  mayBeSlid?: boolean;
}

/** Attach a profiler to a machine built by the CLI (after `await machine.init()`). */
export function startProfile(machine: ProfiledMachine, o: ProfileOutputOptions, symbols: GuestSymbols): Profiler {
  const text = textRange(symbols.table);
  return Profiler.attach(machine, {
    period: o.period,
    maxDepth: o.depth,
    textLow: text?.[0],
    // A slid kernel lies at most the guest's RAM size higher (kaslr.ts).
    textHigh: text === null ? undefined : o.mayBeSlid ? Math.min(0x100000000, text[1] + machine.phys.u8.length) : text[1],
    exactBlocks: o.exactBlocks,
  });
}

export interface FinishedProfile {
  data: ProfileData;
  report: string;
  /** Files written. */
  files: string[];
  /** The names the profile used (slid when the kernel was found moved). */
  symbols: SymbolTable;
  /** The kernel's KASLR slide found in guest memory, or null when not looked for or not found. */
  slide: number | null;
}

/** Stop profiling, write the exports, return the report text. */
export function finishProfile(prof: Profiler, o: ProfileOutputOptions, gs: GuestSymbols, name = 'x86jit'): FinishedProfile {
  prof.detach();
  const { table: symbols, slide, line } = placeSymbols(prof, gs, !!o.mayBeSlid);
  const data = collectProfile(prof, symbols, { top: o.top });
  const files: string[] = [];
  if (o.out) {
    writeFileSync(o.out, isHtml(o.out) ? flameGraphHtml(prof, symbols, name) : JSON.stringify(toSpeedscope(prof, symbols, name)));
    files.push(o.out);
  }
  if (o.cpuprofile) {
    writeFileSync(o.cpuprofile, JSON.stringify(toCpuProfile(prof, symbols)));
    files.push(o.cpuprofile);
  }
  const notes = [...gs.lines, ...(line === null ? [] : [line])];
  let report = formatReport(data, { sourceBlocks: o.sourceBlocks, notes });
  if (files.length > 0) {
    const hints: string[] = [];
    if (files.some(isHtml)) hints.push('a flame graph: open the .html in any browser, offline');
    if (!files.every(isHtml)) hints.push('open the profiles at https://www.speedscope.app or in Chrome DevTools');
    report += `\nwrote ${files.join(', ')} (${hints.join('; ')})\n`;
  }
  return { data, report, files, symbols, slide };
}

/** The names moved to where the kernel runs, and a line about it (null: nothing to say). */
function placeSymbols(prof: Profiler, gs: GuestSymbols, mayBeSlid: boolean): { table: SymbolTable; slide: number | null; line: string | null } {
  if (gs.kernelImage === null || gs.table.size === 0) {
    const line = mayBeSlid && gs.table.size > 0
      ? 'addresses unslid: the kernel may have moved itself (KASLR; no nokaslr on its command line), and a System.map cannot tell where to; pass the kernel with --symbols, or boot with nokaslr'
      : null;
    return { table: gs.table, slide: null, line };
  }
  const ram = prof.machine.phys;
  const slide = findKernelSlide(gs.kernelImage, ram, ram.u8.length);
  if (slide === null) {
    return { table: gs.table, slide, line: "addresses unslid: the kernel's text was not found in guest memory (not loaded yet, or symbols of another kernel), so names assume its link address" };
  }
  if (slide === 0) return { table: gs.table, slide, line: 'kernel found in guest memory at its link address (no KASLR slide)' };
  return { table: gs.table.slid(slide), slide, line: `KASLR: the kernel runs 0x${slide.toString(16)} bytes above its link address (found in guest memory); names moved by as much` };
}

const isHtml = (file: string) => /\.html?$/i.test(file);

function textRange(symbols: SymbolTable): [number, number] | null {
  if (symbols.size === 0) return null;
  return [symbols.starts[0], symbols.ends[symbols.size - 1]];
}
