/**
 * Command-line surface of the profiler, ready for src/cli/main.ts to mount (wiring only there):
 *
 *   x86jit profile [--kernel F] [--initrd F] [--append S] [--mode jit|interp] [--max-instructions N]
 *                  [-o out.speedscope.json] [--cpuprofile out.cpuprofile] [--symbols System.map|ELF]
 *                  [--period N] [--depth N] [--top N] [--source-blocks N] [--console]
 *   x86jit profile --symbolize CPU.cpuprofile [--source-maps DIR] [-o out.cpuprofile] [--symbols F]   (node --cpu-prof output)
 *   x86jit boot ... --profile out.speedscope.json [--cpuprofile F] [--symbols F] [--profile-period N]
 *
 * `registerProfileCommand(program)` adds the `profile` command; `addBootProfileOptions(bootCmd)`
 * adds the profiling options to `boot`, whose action then calls `beginBootProfile(machine, opts)`
 * after `machine.init()` and `.finish()` after `machine.run()`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { prepareReferenceGuest } from '../guest/reference.js';
import { parseSize } from '../hv/reserved.js';
import { finishProfile, resolveSymbols, runProfile, startProfile, type ProfileOutputOptions } from './profile-command.js';
import { generatedUrls, loadGeneratedMaps, symbolizeHostProfile, type HostProfile, type SymbolizeOptions } from './host-profile.js';
import type { ProfiledMachine, Profiler } from './profiler.js';
import type { SymbolTable } from './symbols.js';

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
}

export function addBootProfileOptions(boot: Command): Command {
  return boot
    .option('--profile <file>', 'profile the run: write a speedscope profile (guest functions) and print the report')
    .option('--cpuprofile <file>', 'with --profile: also write a Chrome .cpuprofile')
    .option('--symbols <file>', 'with --profile or --jit-source-maps: System.map or ELF naming guest code (default: the reference kernel)')
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
 * For `boot --profile`: attach after `machine.init()`. Symbols: --symbols, else the reference
 * guest's System.map when booting the reference guest (no --kernel).
 */
export function beginBootProfile(machine: ProfiledMachine, o: BootProfileOptions): BootProfile | null {
  if (!o.profile && !o.cpuprofile) return null;
  const fallback = o.kernel ? null : prepareReferenceGuest(() => {}).systemMap;
  const symbols: SymbolTable = resolveSymbols(o.symbols, fallback);
  const out: ProfileOutputOptions = { out: o.profile, cpuprofile: o.cpuprofile, period: o.profilePeriod, depth: o.profileDepth, top: o.profileTop };
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
    .option('--kernel <file>', 'Linux bzImage (default: the reference guest)')
    .option('--initrd <file>', 'initial ramdisk file')
    .option('--append <cmdline>', 'kernel command line')
    .option('--mem <size>', 'guest RAM, e.g. 128M', sizeArg, 128 * 1024 * 1024)
    .addOption(new Option('--mode <mode>', 'execution engine').choices(['jit', 'interp']).default('jit'))
    .option('--max-instructions <n>', 'stop after this many guest instructions (default: run until the guest stops)', intArg)
    .option('-o, --out <file>', 'write a speedscope profile (https://www.speedscope.app)')
    .option('--cpuprofile <file>', 'write a Chrome DevTools .cpuprofile')
    .option('--symbols <file>', 'System.map or ELF naming guest code (default: the reference kernel)')
    .option('--period <n>', 'guest instructions per sample', positiveArg)
    .option('--depth <n>', 'frames per sample (frame-pointer walk; 1 = none)', positiveArg)
    .option('--top <n>', 'hot blocks in the report', positiveArg, 20)
    .option('--source-blocks <n>', 'hot blocks whose generated JS is printed', intArg, 3)
    .option('--console', 'show the guest console on stderr')
    .option('--no-exact', 'JIT: samples only, no exact per-block counts (less overhead)')
    .option('--no-host-decompress', 'reference guest: run the in-guest kernel decompressor too')
    .option('--no-power-off', 'reference guest: keep running after the shell is up (default: power off there)')
    .option('--jit-threshold <n>', 'executions before a block is translated', intArg, 300)
    .option('--symbolize <file>', "no guest run: rename generated blocks in a host profile (node --cpu-prof) to guest functions; writes -o or FILE.guest.cpuprofile")
    .option('--source-maps <dir>', 'with --symbolize: the .map files of `boot --jit-source-maps DIR`: frames resolved per guest instruction')
    .option('--phys-offset <addr>', 'with --symbolize: linear = physical + this for kernel code (default 0xc0000000)')
    .action(async (o: ProfileCommandOptions) => {
      if (o.symbolize) {
        const symbols = resolveSymbols(o.symbols, o.symbols ? null : prepareReferenceGuest(() => {}).systemMap);
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
    });
}
