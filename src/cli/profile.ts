/**
 * Command-line surface of the profiler (src/profiler), mounted by main.ts:
 *
 *   x86jit profile [--kernel F] [--initrd F] [--append S] [--mode jit|interp] [--max-instructions N]
 *                  [-o out.speedscope.json|out.html] [--cpuprofile out.cpuprofile] [--symbols F]
 *                  [--period N] [--depth N] [--top N] [--source-blocks N] [--console]
 *   x86jit profile --symbolize CPU.cpuprofile [--source-maps DIR] [-o out.cpuprofile] [--symbols F]   (node --cpu-prof output)
 *   x86jit boot ... --profile out.speedscope.json|out.html [--cpuprofile F] [--symbols F] [--profile-period N]
 *
 * --symbols F: a System.map, an ELF with symbols, or a kernel (bzImage or vmlinux) whose kallsyms
 * are read; without it a --kernel names itself, the reference guest uses its rebuilt System.map
 * (src/profiler/symbol-source.ts). A profile file ending in .html is a flame graph that opens
 * offline (src/profiler/flamegraph.ts); any other is speedscope JSON.
 *
 * `registerProfileCommand(program)` adds the `profile` command; `addBootProfileOptions(bootCmd)`
 * adds the profiling options to `boot`, whose action then calls `beginBootProfile(machine, opts)`
 * after `machine.init()` and `.finish()` after `machine.run()`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { prepareReferenceGuest } from '../guest/reference.js';
import { parseSize } from '../hv/reserved.js';
import { LoaderError } from '../loader/errors.js';
import { generatedUrls, loadGeneratedMaps, symbolizeHostProfile, type HostProfile, type SymbolizeOptions } from '../profiler/host-profile.js';
import type { ProfiledMachine, Profiler } from '../profiler/profiler.js';
import { finishProfile, startProfile, type ProfileOutputOptions } from '../profiler/session.js';
import { loadGuestSymbols, SymbolFileError } from '../profiler/symbol-source.js';
import type { SymbolTable } from '../profiler/symbols.js';
import { runProfile } from './profile-run.js';

/** Names for `--symbols FILE` (any kind symbol-source.ts reads), else the System.map `fallback`. */
export function resolveSymbols(path: string | undefined, fallback: string | null | undefined): SymbolTable {
  return loadGuestSymbols({ symbols: path, fallbackMap: fallback }).table;
}

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
}

function positiveArg(v: string): number {
  const n = intArg(v);
  if (n === 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function sizeArg(v: string): number {
  try {
    return parseSize(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** Options `boot` gains (commander camel-cases them). */
export interface BootProfileOptions {
  profile?: string;
  cpuprofile?: string;
  symbols?: string;
  profilePeriod?: number;
  profileDepth?: number;
  profileTop?: number;
  kernel?: string;
  append?: string;
}

export function addBootProfileOptions(boot: Command): Command {
  return boot
    .option('--profile <file>', 'profile the run: write a speedscope profile (guest functions), or a flame graph if FILE ends in .html, and print the report')
    .option('--cpuprofile <file>', 'with --profile: also write a Chrome .cpuprofile')
    .option('--symbols <file>', 'with --profile or --jit-source-maps: System.map, ELF, or the kernel (bzImage/vmlinux: its kallsyms) naming guest code (default: the kernel\'s own)')
    .option('--profile-period <n>', 'with --profile: guest instructions per sample', positiveArg)
    .option('--profile-depth <n>', 'with --profile: frames per sample (frame-pointer walk)', positiveArg)
    .option('--profile-top <n>', 'with --profile: hot blocks in the report', positiveArg);
}

/** A profile of a `boot` run, or null when --profile was not given. */
export interface BootProfile {
  /** Stop, write the files, and hand the report to `write` (e.g. process.stderr.write). */
  finish(write: (text: string) => void): void;
  readonly profiler: Profiler;
}

/**
 * For `boot --profile`: attach after `machine.init()`. Symbols: --symbols, else the --kernel's own
 * (kallsyms), else the reference guest's System.map. `boot` runs the kernel's own decompressor, so
 * a --kernel without `nokaslr` in --append may move itself (the reference guest's command line has
 * nokaslr).
 */
export function beginBootProfile(machine: ProfiledMachine, o: BootProfileOptions): BootProfile | null {
  if (!o.profile && !o.cpuprofile) return null;
  const fallbackMap = o.kernel ? null : prepareReferenceGuest(() => {}).systemMap;
  const symbols = loadGuestSymbols({ symbols: o.symbols, kernel: o.kernel, fallbackMap });
  const mayBeSlid = !!o.kernel && !/(^|\s)nokaslr(\s|$)/.test(o.append ?? '');
  const out: ProfileOutputOptions = { out: o.profile, cpuprofile: o.cpuprofile, period: o.profilePeriod, depth: o.profileDepth, top: o.profileTop, mayBeSlid };
  const profiler = startProfile(machine, out, symbols);
  return {
    profiler,
    finish(write) {
      write(finishProfile(profiler, out, symbols, 'x86jit boot').report);
    },
  };
}

interface ProfileCommandOptions {
  kernel?: string;
  initrd?: string;
  append?: string;
  mem: number;
  mode: 'jit' | 'interp';
  maxInstructions?: number;
  out?: string;
  cpuprofile?: string;
  symbols?: string;
  period?: number;
  depth?: number;
  top?: number;
  sourceBlocks?: number;
  console?: boolean;
  hostDecompress: boolean;
  powerOff: boolean;
  exact: boolean;
  jitThreshold: number;
  symbolize?: string;
  sourceMaps?: string;
  physOffset?: string;
}

/** Adds `x86jit profile`. `write` receives the report (default: stdout). */
export function registerProfileCommand(program: Command, write: (s: string) => void = (s) => process.stdout.write(s)): Command {
  return program
    .command('profile')
    .description('run a guest (default: the reference boot, up to its shell) under the profiler: hot blocks, guest functions, flame-graph export')
    .option('--kernel <file>', 'Linux bzImage (default: the reference guest); unpacked on the host, and its kallsyms name its code')
    .option('--initrd <file>', 'initial ramdisk file')
    .option('--append <cmdline>', 'kernel command line')
    .option('--mem <size>', 'guest RAM, e.g. 128M', sizeArg, 128 * 1024 * 1024)
    .addOption(new Option('--mode <mode>', 'execution engine').choices(['jit', 'interp']).default('jit'))
    .option('--max-instructions <n>', 'stop after this many guest instructions (default: run until the guest stops)', intArg)
    .option('-o, --out <file>', 'write a speedscope profile (https://www.speedscope.app), or a flame graph if FILE ends in .html')
    .option('--cpuprofile <file>', 'write a Chrome DevTools .cpuprofile')
    .option('--symbols <file>', "System.map, ELF, or a kernel (bzImage/vmlinux: its kallsyms) naming guest code (default: the kernel's own)")
    .option('--period <n>', 'guest instructions per sample', positiveArg)
    .option('--depth <n>', 'frames per sample (frame-pointer walk; 1 = none)', positiveArg)
    .option('--top <n>', 'hot blocks in the report', positiveArg, 20)
    .option('--source-blocks <n>', 'hot blocks whose generated JS is printed', intArg, 3)
    .option('--console', 'show the guest console on stderr')
    .option('--no-exact', 'JIT: samples only, no exact per-block counts (less overhead)')
    .option('--no-host-decompress', 'run the in-guest kernel decompressor too (default: unpack the bzImage on the host)')
    .option('--no-power-off', 'reference guest: keep running after the shell is up (default: power off there)')
    .option('--jit-threshold <n>', 'executions before a block is translated', intArg, 300)
    .option('--symbolize <file>', "no guest run: rename generated blocks in a host profile (node --cpu-prof) to guest functions; writes -o or FILE.guest.cpuprofile")
    .option('--source-maps <dir>', 'with --symbolize: the .map files of `boot --jit-source-maps DIR`: frames resolved per guest instruction')
    .option('--phys-offset <addr>', 'with --symbolize: linear = physical + this for kernel code (default 0xc0000000)')
    .action(async (o: ProfileCommandOptions) => {
      try {
        await profileAction(o, write);
      } catch (e) {
        // The user's mistake (a missing file, a bad symbol file): one line, no stack trace.
        if (!(e instanceof LoaderError || e instanceof SymbolFileError)) throw e;
        process.stderr.write(`x86jit: ${e.message}\n`);
        process.exitCode = 1;
      }
    });
}

async function profileAction(o: ProfileCommandOptions, write: (s: string) => void): Promise<void> {
  if (o.symbolize) {
    const symbols = loadGuestSymbols({ symbols: o.symbols, fallbackMap: o.symbols ? null : prepareReferenceGuest(() => {}).systemMap }).table;
    const p = JSON.parse(readFileSync(o.symbolize, 'utf8')) as HostProfile;
    const so: SymbolizeOptions = { instructions: new Map() };
    if (o.sourceMaps) so.maps = await loadGeneratedMaps(o.sourceMaps, generatedUrls(p));
    const n = symbolizeHostProfile(p, symbols, o.physOffset === undefined ? undefined : Number(o.physOffset), so);
    const dest = o.out ?? o.symbolize.replace(/(\.cpuprofile)?$/, '.guest.cpuprofile');
    writeFileSync(dest, JSON.stringify(p));
    write(`renamed ${n} generated-block frames to guest functions (${so.mapped} per guest instruction through source maps); wrote ${dest}\n`);
    const hot = [...so.instructions!].sort((a, b) => b[1] - a[1]).slice(0, o.top);
    if (hot.length > 0) {
      const total = [...so.instructions!.values()].reduce((a, b) => a + b, 0);
      write(`hottest guest instructions by host samples (of ${total} samples in mapped generated code):\n`);
      for (const [text, ticks] of hot) write(`${String(ticks).padStart(8)} ${((100 * ticks) / total).toFixed(1).padStart(5)}%  ${text}\n`);
    }
    return;
  }
  const r = await runProfile({
    kernel: o.kernel,
    initrd: o.initrd,
    append: o.append,
    mem: o.mem,
    mode: o.mode,
    maxInstructions: o.maxInstructions,
    out: o.out,
    cpuprofile: o.cpuprofile,
    symbols: o.symbols,
    period: o.period,
    depth: o.depth,
    top: o.top,
    sourceBlocks: o.sourceBlocks,
    hostDecompress: o.hostDecompress,
    powerOffAtShell: o.powerOff,
    exactBlocks: o.exact,
    jitThreshold: o.jitThreshold,
    console: o.console ? (b) => process.stderr.write(b) : undefined,
  });
  write(r.report);
  write(`guest stopped: ${r.result.why.split('\n')[0]}\n`);
  // A run cut short by --max-instructions (124) is what the user asked for.
  process.exitCode = r.result.exitCode === 124 ? 0 : r.result.exitCode;
}
