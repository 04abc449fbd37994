/**
 * `x86jit boot`: build the machine, load the guest, connect the console, run, report.
 * Every failure the user can cause (bad files, bad sizes, a guest that triple-faults) ends in one
 * clear message and a non-zero exit status (hv/exit-status.ts); emulator bugs add a crash report.
 */
import { writeFileSync } from 'node:fs';
import { MachineStop } from '../hv/exit.js';
import { DEFAULT_RESERVE, parseReserve, type ReservedRegion } from '../hv/reserved.js';
import { LoaderError } from '../loader/errors.js';
import { readInputFile } from '../loader/files.js';
import { readModuleArg, type BootImageOptions } from '../loader/boot-image.js';
import { initramfsFromDirectory } from '../loader/initrd-dir.js';
import { Machine, type MachineOptions, type RunResult } from '../machine/machine.js';
import { resolveSymbols } from './profile.js';
import type { EngineMode } from '../machine/engine.js';
import type { ClockMode } from '../machine/clock.js';
import { GuestConsole } from './console.js';
import { prepareReferenceGuest } from '../guest/reference.js';
import { beginBootProfile, type BootProfile, type BootProfileOptions } from './profile.js';

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
  /** `--no-reboot` sets this false: a guest reset ends the run (exit status 6). */
  reboot?: boolean;
  /** --reserve was not given (the error for a RAM too small for it then names -m/--mem). */
  reserveIsDefault?: boolean;
  nographic?: boolean;
  serial?: string;
  smp?: number;
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

/** The guest as read from disk once: every boot after a reset loads the same bytes. */
interface GuestFiles {
  load: BootImageOptions;
  systemMap: string | null;
}

function readGuest(opts: BootOptions): GuestFiles {
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
  const kernel = readInputFile(kernelPath, 'kernel');
  const initrd = initrdPath ? readInputFile(initrdPath, 'initrd') : opts.initrdDir ? initramfsFromDirectory(opts.initrdDir) : undefined;
  let flatAddr: number | undefined;
  if (opts.flat !== undefined) {
    flatAddr = Number(opts.flat);
    if (!Number.isInteger(flatAddr) || flatAddr < 0 || flatAddr >= opts.mem) throw new LoaderError(`--flat: bad load address "${opts.flat}"`);
  }
  const load: BootImageOptions = {
    kernel,
    kernelName: kernelPath,
    cmdline: cmdline ?? 'console=ttyS0',
    initrd,
    initrdName: initrdPath ?? opts.initrdDir,
    modules: (opts.module ?? []).map(readModuleArg),
    flatAddr,
    rom: !!opts.rom,
    hostDecompress: opts.hostDecompress !== false,
    notice: (line) => process.stderr.write(`x86jit: ${line}\n`),
  };
  return { load, systemMap };
}

function reserveFor(opts: BootOptions): ReservedRegion | null {
  try {
    return parseReserve(opts.reserve ?? String(DEFAULT_RESERVE), opts.mem);
  } catch (e) {
    if (!opts.reserveIsDefault) throw e;
    throw new LoaderError(`-m/--mem ${opts.mem / 2 ** 20}M leaves no room for the hypervisor's reserved region (--reserve, default ${opts.reserve} at the top of RAM): give more RAM or --reserve 0`);
  }
}

/** A fresh machine with the guest loaded, as after power-on. */
async function buildMachine(opts: BootOptions, guest: GuestFiles, maxInstructions: number | undefined): Promise<{ machine: Machine; what: string }> {
  const machine = new Machine({
    memBytes: opts.mem,
    mode: opts.mode,
    clock: opts.clock,
    reserve: reserveFor(opts),
    testDevices: !!opts.testDevices,
    console: (b) => process.stdout.write(b),
    jitThreshold: opts.jitThreshold,
    jitVerify: !!opts.jitVerify,
    jitCounting: !!opts.stats,
    jitSourceMaps: opts.jitSourceMaps ? sourceMapOptions(opts.jitSourceMaps, opts.symbols, guest.systemMap) : null,
    maxInstructions,
    trace: !!opts.trace,
  });
  await machine.init();
  return { machine, what: machine.load(guest.load) };
}

/**
 * Boot, run, report. A guest reset boots the guest again in a fresh machine, as a PC does (the
 * simplest exact reset: every device, the CPU and RAM start from power-on), unless --no-reboot.
 * --max-instructions counts over all boots.
 */
export async function bootCommand(opts: BootOptions): Promise<number> {
  let guest: GuestFiles;
  try {
    guest = readGuest(opts);
  } catch (e) {
    return reportSetupError(e);
  }
  const con = new GuestConsole(process.stdin, (s) => process.stderr.write(s));
  try {
    let retired = 0;
    let carried: number[] = [];
    for (;;) {
      let machine: Machine;
      let profile: BootProfile | null = null;
      try {
        const left = opts.maxInstructions === undefined ? undefined : Math.max(0, opts.maxInstructions - retired);
        const built = await buildMachine(opts, guest, left);
        machine = built.machine;
        profile = beginBootProfile(machine, opts);
        if (opts.stats) process.stderr.write(`x86jit: loaded ${built.what}; ${opts.mem / 2 ** 20} MiB of guest RAM\n`);
      } catch (e) {
        return reportSetupError(e);
      }
      machine.input(carried);
      con.attach(machine);
      const result = await machine.run();
      con.detach();
      retired += machine.cpu.icount;
      profile?.finish((s) => process.stderr.write(s));
      if (result.kind === 'reset' && opts.reboot !== false) {
        carried = machine.takeUnreadInput();
        process.stderr.write('\nx86jit: the guest reset the machine: booting it again\n');
        continue;
      }
      report(opts, machine, result, retired);
      return result.exitCode;
    }
  } finally {
    con.close();
  }
}

function report(opts: BootOptions, machine: Machine, result: RunResult, retired: number): void {
  if (opts.dumpReserved !== undefined && machine.opts.reserve) {
    const r = machine.opts.reserve;
    writeFileSync(opts.dumpReserved, machine.phys.hostView(r.addr, r.size));
  }
  // The limit counts over all boots, the machine's message only its own.
  const text = result.kind === 'limit' ? `stopped after ${retired} guest instructions (--max-instructions)` : result.why;
  const why = text.startsWith('x86jit:') ? text : `x86jit: ${text}`;
  // Ctrl-A X already said so as the key was pressed.
  if (result.kind !== 'quit' && (result.exitCode !== 0 || opts.stats)) process.stderr.write(`\n${why}\n`);
  if (opts.stats) {
    const total = retired !== machine.cpu.icount ? ` (${retired} over all boots)` : '';
    process.stderr.write(`x86jit: ${machine.cpu.icount} guest instructions${total}\nVM exits by reason:\n${machine.hv.statsLines().join('\n')}\n`);
    const engine = machine.engine.statsLines?.() ?? [];
    if (engine.length > 0) process.stderr.write(`${engine.join('\n')}\n`);
  }
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
