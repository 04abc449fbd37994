/**
 * `x86jit profile` and `x86jit boot --profile FILE`: profile a guest run and write the report and
 * the flame-graph exports.
 *
 * Two entry points:
 * - `runProfile(opts)`: builds the machine itself (by default the reference guest, its kernel
 *   decompressed on the host so the profile starts in the kernel proper), runs, reports;
 * - `startProfile(machine, opts)` / `finishProfile(prof, opts)`: for a machine the CLI already built
 *   (`boot --profile`): attach after `machine.init()`, finish after `machine.run()`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareReferenceGuest } from '../guest/reference.js';
import { DEFAULT_RESERVE, parseReserve } from '../hv/reserved.js';
import { loadLinux, planLinux } from '../loader/linux.js';
import type { ClockMode } from '../machine/clock.js';
import type { EngineMode } from '../machine/engine.js';
import { Machine, type MachineOptions, type RunResult } from '../machine/machine.js';
import { collectProfile, type ProfileData } from './profile-data.js';
import { Profiler, type ProfiledMachine } from './profiler.js';
import { formatReport } from './report.js';
import { toCpuProfile, toSpeedscope } from './speedscope.js';
import { loadSymbolFile, noSymbols, type SymbolTable } from './symbols.js';

export interface ProfileOutputOptions {
  /** System.map or ELF file naming guest code (`--symbols`); default: the reference guest's map. */
  symbols?: string;
  /** speedscope JSON to write (`--profile FILE` / `-o`). */
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
}

/** Attach a profiler to a machine built by the CLI (after `await machine.init()`). */
export function startProfile(machine: ProfiledMachine, o: ProfileOutputOptions, symbols: SymbolTable): Profiler {
  const text = textRange(symbols);
  return Profiler.attach(machine, { period: o.period, maxDepth: o.depth, textLow: text?.[0], textHigh: text?.[1], exactBlocks: o.exactBlocks });
}

export interface FinishedProfile {
  data: ProfileData;
  report: string;
  /** Files written. */
  files: string[];
}

/** Stop profiling, write the exports, return the report text. */
export function finishProfile(prof: Profiler, o: ProfileOutputOptions, symbols: SymbolTable, name = 'x86jit'): FinishedProfile {
  prof.detach();
  const data = collectProfile(prof, symbols, { top: o.top });
  const files: string[] = [];
  if (o.out) {
    writeFileSync(o.out, JSON.stringify(toSpeedscope(prof, symbols, name)));
    files.push(o.out);
  }
  if (o.cpuprofile) {
    writeFileSync(o.cpuprofile, JSON.stringify(toCpuProfile(prof, symbols)));
    files.push(o.cpuprofile);
  }
  let report = formatReport(data, { sourceBlocks: o.sourceBlocks });
  if (files.length > 0) report += `\nwrote ${files.join(', ')} (open at https://www.speedscope.app or in Chrome DevTools)\n`;
  return { data, report, files };
}

/** Symbols from `--symbols FILE`, else `fallback` (a System.map path), else none. */
export function resolveSymbols(path: string | undefined, fallback: string | null | undefined): SymbolTable {
  if (path) return loadSymbolFile(path);
  if (fallback) {
    try {
      return loadSymbolFile(fallback);
    } catch {
      return noSymbols();
    }
  }
  return noSymbols();
}

function textRange(symbols: SymbolTable): [number, number] | null {
  if (symbols.size === 0) return null;
  return [symbols.starts[0], symbols.ends[symbols.size - 1]];
}

export interface RunProfileOptions extends ProfileOutputOptions {
  kernel?: string;
  initrd?: string;
  append?: string;
  mem?: number;
  mode?: EngineMode;
  clock?: ClockMode;
  reserve?: string;
  jitThreshold?: number;
  jitVerify?: boolean;
  /** Source maps for generated code (MachineOptions.jitSourceMaps; default off). */
  jitSourceMaps?: MachineOptions['jitSourceMaps'];
  maxInstructions?: number;
  /** Guest console output (default: discarded). */
  console?: (bytes: Uint8Array) => void;
  /** Reference guest: load the host-decompressed kernel (default true), skipping ~2.2e9
   *  instructions of the in-guest xz decompressor, which has no symbols. */
  hostDecompress?: boolean;
  /** Reference guest without --append: power off once the shell is up (`x86jit.poweroff`, default
   *  true), so the profile covers exactly the boot. */
  powerOffAtShell?: boolean;
}

export interface ProfileRun extends FinishedProfile {
  result: RunResult;
  machine: Machine;
  profiler: Profiler;
}

/** Build the machine and load the guest as runProfile does (also for unprofiled comparisons). */
export async function loadMachine(o: RunProfileOptions): Promise<{ machine: Machine; symbols: SymbolTable; kernelPath: string }> {
  const mem = o.mem ?? 128 * 1024 * 1024;
  let kernelPath = o.kernel;
  let initrdPath = o.initrd;
  let cmdline = o.append;
  let systemMap: string | null = null;
  let vmlinux: string | null = null;
  if (!kernelPath) {
    const g = prepareReferenceGuest(() => {});
    kernelPath = g.kernel;
    initrdPath ??= g.initrd;
    cmdline ??= o.powerOffAtShell === false ? g.cmdline : `${g.cmdline} x86jit.poweroff`;
    systemMap = g.systemMap;
    if (o.hostDecompress !== false) vmlinux = g.vmlinux;
  }
  const symbols = resolveSymbols(o.symbols, systemMap);
  const machine = new Machine({
    memBytes: mem,
    mode: o.mode ?? 'jit',
    clock: o.clock ?? 'deterministic',
    reserve: parseReserve(o.reserve ?? String(DEFAULT_RESERVE), mem),
    testDevices: false,
    console: o.console ?? (() => {}),
    jitThreshold: o.jitThreshold ?? 300,
    jitVerify: !!o.jitVerify,
    jitSourceMaps: o.jitSourceMaps,
    maxInstructions: o.maxInstructions,
  });
  await machine.init();
  const kernel = new Uint8Array(readFileSync(kernelPath));
  const initrd = initrdPath ? new Uint8Array(readFileSync(initrdPath)) : undefined;
  if (vmlinux !== null) {
    const plan = planLinux({
      kernel,
      kernelName: kernelPath,
      vmlinux: new Uint8Array(readFileSync(vmlinux)),
      initrd,
      initrdName: initrdPath,
      cmdline: cmdline ?? 'console=ttyS0',
      e820: machine.e820,
      acpiRsdp: machine.platform.acpiRsdp || undefined,
    });
    loadLinux(machine.phys, machine.cpu, plan);
  } else {
    machine.load({ kernel, kernelName: kernelPath, initrd, initrdName: initrdPath, cmdline: cmdline ?? 'console=ttyS0', hostDecompress: o.hostDecompress !== false });
  }
  return { machine, symbols, kernelPath };
}

/** Build a machine, profile its run, write the exports; the report is returned, not printed. */
export async function runProfile(o: RunProfileOptions): Promise<ProfileRun> {
  const { machine, symbols, kernelPath } = await loadMachine(o);
  const profiler = startProfile(machine, o, symbols);
  const result = await machine.run();
  const fin = finishProfile(profiler, o, symbols, `x86jit ${o.mode ?? 'jit'} ${kernelPath.split('/').pop()}`);
  return { ...fin, result, machine, profiler };
}
