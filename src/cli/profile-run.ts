/**
 * Build a machine, load the guest and profile its run: the `x86jit profile` command's work (and
 * the benchmarks' way to boot the reference guest as it does). The profiler itself (src/profiler)
 * knows no Machine; this is where the two meet.
 *
 *   const r = await runProfile({ kernel: 'vmlinuz', initrd: 'initrd.gz', maxInstructions: 3e8, out: 'p.html' });
 *   process.stdout.write(r.report);
 *
 * Without --kernel: the reference guest, named from its rebuilt System.map. A bzImage is unpacked
 * on the host by default (`hostDecompress`), so the profile starts in the kernel proper rather than
 * in its decompressor (about 2.2e9 instructions of xz for the reference kernel, which has no
 * symbols), and its kallsyms name its functions unless --symbols says otherwise.
 */
import { DEFAULT_RESERVE, parseReserve } from '../hv/reserved.js';
import { prepareReferenceGuest } from '../guest/reference.js';
import { decompressKernel } from '../loader/decompress.js';
import { readInputFile } from '../loader/files.js';
import { loadLinux, planLinux } from '../loader/linux.js';
import type { ClockMode } from '../machine/clock.js';
import type { EngineMode } from '../machine/engine.js';
import { Machine, type MachineOptions, type RunResult } from '../machine/machine.js';
import type { Profiler } from '../profiler/profiler.js';
import { finishProfile, startProfile, type FinishedProfile, type ProfileOutputOptions } from '../profiler/session.js';
import { loadGuestSymbols, type GuestSymbols } from '../profiler/symbol-source.js';

export interface RunProfileOptions extends ProfileOutputOptions {
  kernel?: string;
  initrd?: string;
  append?: string;
  /** System.map, ELF, vmlinux or bzImage naming guest code (`--symbols`); default: the kernel's own. */
  symbols?: string;
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
  /** Unpack a bzImage on the host and load the kernel proper (default true), skipping the
   *  in-guest decompressor, which has no symbols. */
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

const isBzImage = (b: Uint8Array) => b.length > 0x206 && b[0x202] === 0x48 && b[0x203] === 0x64 && b[0x204] === 0x72 && b[0x205] === 0x53;

/** Build the machine and load the guest as runProfile does (also for unprofiled comparisons).
 *  `mayBeSlid`: the kernel runs its own decompressor without `nokaslr`, so it may move itself. */
export async function loadMachine(o: RunProfileOptions): Promise<{ machine: Machine; symbols: GuestSymbols; kernelPath: string; mayBeSlid: boolean }> {
  const mem = o.mem ?? 128 * 1024 * 1024;
  let kernelPath = o.kernel;
  let initrdPath = o.initrd;
  let cmdline = o.append;
  let systemMap: string | null = null;
  let vmlinux: Uint8Array | null = null;
  if (!kernelPath) {
    const g = prepareReferenceGuest(() => {});
    kernelPath = g.kernel;
    initrdPath ??= g.initrd;
    cmdline ??= o.powerOffAtShell === false ? g.cmdline : `${g.cmdline} x86jit.poweroff`;
    systemMap = g.systemMap;
    if (o.hostDecompress !== false && g.vmlinux !== null) vmlinux = readInputFile(g.vmlinux, 'vmlinux');
  }
  const kernel = readInputFile(kernelPath, 'kernel');
  const initrd = initrdPath ? readInputFile(initrdPath, 'initrd') : undefined;
  if (o.kernel && o.hostDecompress !== false && isBzImage(kernel)) {
    try {
      vmlinux = decompressKernel(kernel, kernelPath);
    } catch {
      // Not unpackable here (no xz, another compressor): the guest runs its own decompressor.
    }
  }
  cmdline ??= 'console=ttyS0';
  // The reference guest is named from its cached System.map unless --symbols says otherwise; then
  // it is a kernel like any other (e.g. for Debian's placeholder System.map, its kallsyms).
  const ownKernel = o.kernel ?? (o.symbols ? kernelPath : undefined);
  const symbols = loadGuestSymbols({ symbols: o.symbols, kernel: ownKernel, kernelImage: vmlinux ?? undefined, fallbackMap: systemMap });
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
  if (vmlinux !== null) {
    const plan = planLinux({
      kernel,
      kernelName: kernelPath,
      vmlinux,
      initrd,
      initrdName: initrdPath,
      cmdline,
      e820: machine.e820,
      acpiRsdp: machine.platform.acpiRsdp || undefined,
    });
    loadLinux(machine.phys, machine.cpu, plan);
  } else {
    // Here a bzImage runs its own decompressor (--no-host-decompress, or no vmlinux to be had).
    machine.load({ kernel, kernelName: kernelPath, initrd, initrdName: initrdPath, cmdline, hostDecompress: false });
  }
  const mayBeSlid = vmlinux === null && isBzImage(kernel) && !/(^|\s)nokaslr(\s|$)/.test(cmdline);
  return { machine, symbols, kernelPath, mayBeSlid };
}

/** Build a machine, profile its run, write the exports; the report is returned, not printed. */
export async function runProfile(o: RunProfileOptions): Promise<ProfileRun> {
  const { machine, symbols, kernelPath, mayBeSlid } = await loadMachine(o);
  const out: ProfileOutputOptions = { ...o, mayBeSlid };
  const profiler = startProfile(machine, out, symbols);
  const result = await machine.run();
  const fin = finishProfile(profiler, out, symbols, `x86jit ${o.mode ?? 'jit'} ${kernelPath.split('/').pop()}`);
  return { ...fin, result, machine, profiler };
}
