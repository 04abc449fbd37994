/**
 * `x86jit boot`: build the machine, load the guest, connect the console, run, report.
 * Every failure the user can cause (bad files, bad sizes, a guest that triple-faults) ends in one
 * clear message and a non-zero exit status; emulator bugs add a crash report.
 */
import { writeFileSync } from 'node:fs';
import { MachineStop } from '../hv/exit.js';
import { DEFAULT_RESERVE, parseReserve } from '../hv/reserved.js';
import { LoaderError } from '../loader/errors.js';
import { readInputFile } from '../loader/files.js';
import { readModuleArg } from '../loader/boot-image.js';
import { initramfsFromDirectory } from '../loader/initrd-dir.js';
import { Machine, type MachineOptions } from '../machine/machine.js';
import { resolveSymbols } from '../profiler/profile-command.js';
import type { EngineMode } from '../machine/engine.js';
import type { ClockMode } from '../machine/clock.js';
import { attachConsole } from './console.js';
import { prepareReferenceGuest } from '../guest/reference.js';
import { beginBootProfile, type BootProfile, type BootProfileOptions } from '../profiler/cli.js';

export interface BootOptions extends BootProfileOptions {
  kernel?: string;
  initrd?: string;
  initrdDir?: string;
  append?: string;
  mem: number;
  mode: EngineMode;
  clock: ClockMode;
  reserve: string;
  testDevices?: boolean;
  stats?: boolean;
  trace?: boolean;
  jitThreshold: number;
  jitVerify?: boolean;
  /** `--jit-source-maps [dir]`: true, or the directory for the .map files. */
  jitSourceMaps?: boolean | string;
  maxInstructions?: number;
  flat?: string;
  rom?: boolean;
  module?: string[];
  dumpReserved?: string;
  /** `--no-host-decompress`: false runs a bzImage's own decompressor in the guest. */
  hostDecompress?: boolean;
}

/** `--jit-source-maps [dir]`: names from --symbols, else the reference guest's System.map. */
function sourceMapOptions(arg: boolean | string, symbolsPath: string | undefined, systemMap: string | null): MachineOptions['jitSourceMaps'] {
  const symbols = resolveSymbols(symbolsPath, systemMap);
  return {
    dir: typeof arg === 'string' ? arg : null,
    symbolize: symbols.size > 0 ? (lin) => symbols.formatKnown(lin) : null,
  };
}

export async function bootCommand(opts: BootOptions): Promise<number> {
  let machine: Machine;
  let profile: BootProfile | null = null;
  try {
    if (opts.initrd && opts.initrdDir) throw new LoaderError('use either --initrd or --initrd-dir, not both');
    let kernelPath = opts.kernel;
    let initrdPath = opts.initrd;
    let cmdline = opts.append;
    let systemMap: string | null = null;
    if (!kernelPath) {
      const g = prepareReferenceGuest((msg) => process.stderr.write(`x86jit: ${msg}\n`));
      systemMap = g.systemMap;
      kernelPath = g.kernel;
      if (!initrdPath && !opts.initrdDir) initrdPath = g.initrd;
      if (cmdline === undefined) cmdline = g.cmdline;
    }
    const reserve = parseReserve(opts.reserve ?? String(DEFAULT_RESERVE), opts.mem);
    machine = new Machine({
      memBytes: opts.mem,
      mode: opts.mode,
      clock: opts.clock,
      reserve,
      testDevices: !!opts.testDevices,
      console: (b) => process.stdout.write(b),
      jitThreshold: opts.jitThreshold,
      jitVerify: !!opts.jitVerify,
      jitCounting: !!opts.stats,
      jitSourceMaps: opts.jitSourceMaps ? sourceMapOptions(opts.jitSourceMaps, opts.symbols, systemMap) : null,
      maxInstructions: opts.maxInstructions,
      trace: !!opts.trace,
    });
    await machine.init();
    profile = beginBootProfile(machine, opts);
    const kernel = readInputFile(kernelPath!, 'kernel');
    const initrd = initrdPath ? readInputFile(initrdPath, 'initrd') : opts.initrdDir ? initramfsFromDirectory(opts.initrdDir) : undefined;
    let flatAddr: number | undefined;
    if (opts.flat !== undefined) {
      flatAddr = Number(opts.flat);
      if (!Number.isInteger(flatAddr) || flatAddr < 0 || flatAddr >= opts.mem) throw new LoaderError(`--flat: bad load address "${opts.flat}"`);
    }
    const what = machine.load({
      kernel,
      kernelName: kernelPath!,
      cmdline: cmdline ?? 'console=ttyS0',
      initrd,
      initrdName: initrdPath ?? opts.initrdDir,
      modules: (opts.module ?? []).map(readModuleArg),
      flatAddr,
      rom: !!opts.rom,
      hostDecompress: opts.hostDecompress !== false,
      notice: (line) => process.stderr.write(`x86jit: ${line}\n`),
    });
    if (opts.stats) process.stderr.write(`x86jit: loaded ${what}\n`);
  } catch (e) {
    return reportSetupError(e);
  }

  const detach = attachConsole(machine, process.stdin);
  const result = await machine.run();
  detach();
  profile?.finish((s) => process.stderr.write(s));
  if (opts.dumpReserved !== undefined && machine.opts.reserve) {
    const r = machine.opts.reserve;
    writeFileSync(opts.dumpReserved, machine.phys.hostView(r.addr, r.size));
  }
  if (result.exitCode !== 0) process.stderr.write(`\n${result.why}\n`);
  else if (opts.stats) process.stderr.write(`\nx86jit: ${result.why}\n`);
  if (opts.stats) {
    process.stderr.write(`x86jit: ${machine.cpu.icount} guest instructions\nVM exits by reason:\n${machine.hv.statsLines().join('\n')}\n`);
    const engine = machine.engine.statsLines?.() ?? [];
    if (engine.length > 0) process.stderr.write(`${engine.join('\n')}\n`);
  }
  return result.exitCode;
}

function reportSetupError(e: unknown): number {
  if (e instanceof LoaderError || e instanceof MachineStop) {
    process.stderr.write(`x86jit: ${e.message}\n`);
    return 1;
  }
  const err = e as Error;
  process.stderr.write(`x86jit: ${err?.message ?? String(e)}\n`);
  if (process.env.X86JIT_DEBUG) process.stderr.write(`${err?.stack}\n`);
  return 1;
}
