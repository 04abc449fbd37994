/**
 * One entry point for the CLI/machine: recognise what `--kernel` is and load it.
 *
 *   const what = loadBootImage(phys, cpu, { e820, acpiRsdp }, { kernel, kernelName, initrd, cmdline, modules, flatAddr, rom });
 *
 *   rom: true       BIOS-style ROM below 1 MiB and 4 GiB (flat.ts); CPU left at its reset state
 *   flatAddr: N     raw binary at N, started there in real mode (CS = N >> 4)
 *   bzImage         Linux 32-bit boot protocol (linux.ts), with the initrd; the kernel is unpacked on
 *                   the host and entered as its decompressor would (hostDecompress, default on)
 *   multiboot       multiboot v1 (multiboot.ts), with the modules
 * Mixing options that do not fit the image (an initrd for a multiboot kernel...) is a LoaderError.
 */
import type { CpuState } from '../cpu/state.js';
import type { PhysMemory } from '../mem/phys.js';
import { HDRS_MAGIC } from './bzimage.js';
import type { E820Entry } from './e820.js';
import { hostUnpackKernel, type HostUnpack } from './decompress.js';
import { LoaderError, formatSize, hex } from './errors.js';
import { loadFlat, loadRom } from './flat.js';
import { readInputFile } from './files.js';
import { describeLinuxPlan, loadLinux, planLinux } from './linux.js';
import { isMultiboot, loadMultiboot, planMultiboot, type MultibootModule } from './multiboot.js';

export type KernelFormat = 'bzimage' | 'multiboot' | 'unknown';

export function detectKernelFormat(image: Uint8Array): KernelFormat {
  if (image.length >= 0x206 && new DataView(image.buffer, image.byteOffset, image.byteLength).getUint32(0x202, true) === HDRS_MAGIC) return 'bzimage';
  if (isMultiboot(image)) return 'multiboot';
  return 'unknown';
}

export interface MachineView {
  e820: readonly E820Entry[];
  acpiRsdp?: number;
}

export interface BootImageOptions {
  kernel: Uint8Array;
  kernelName: string;
  initrd?: Uint8Array;
  initrdName?: string;
  cmdline: string;
  modules?: MultibootModule[];
  /** Load as a raw binary at this address (real-mode start). */
  flatAddr?: number;
  /** Load as a BIOS-style ROM (reset-vector start). */
  rom?: boolean;
  /**
   * bzImage: unpack the payload on the host and enter vmlinux as the kernel's own decompressor would,
   * at its link address (so not randomized by KASLR); false runs the decompressor in the guest.
   * Default true.
   */
  hostDecompress?: boolean;
  /** One-line notices, e.g. that a payload is in no format x86jit unpacks (default: dropped). */
  notice?: (line: string) => void;
}

/** Load the image; returns one line saying what was loaded (for --stats / verbose output). */
export function loadBootImage(phys: PhysMemory, cpu: CpuState, machine: MachineView, o: BootImageOptions): string {
  const extras = (what: string) => {
    if (o.initrd) throw new LoaderError(`--initrd/--initrd-dir is for Linux kernels; ${o.kernelName} is ${what}`);
    if (o.modules?.length && what !== 'a multiboot kernel') throw new LoaderError(`--module is for multiboot kernels; ${o.kernelName} is ${what}`);
  };
  if (o.rom) {
    extras('loaded as a ROM');
    const r = loadRom(phys, o.kernel, o.kernelName);
    return `ROM ${o.kernelName} (${formatSize(o.kernel.length)}) at ${hex(r.low)} and ${hex(r.high)}`;
  }
  if (o.flatAddr !== undefined) {
    extras('loaded as a flat binary');
    loadFlat(phys, cpu, { data: o.kernel, name: o.kernelName, addr: o.flatAddr, start: 'real' });
    return `flat binary ${o.kernelName} (${formatSize(o.kernel.length)}) at ${hex(o.flatAddr)}`;
  }
  switch (detectKernelFormat(o.kernel)) {
    case 'bzimage': {
      if (o.modules?.length) throw new LoaderError(`--module is for multiboot kernels; ${o.kernelName} is a Linux bzImage (use --initrd)`);
      const unpacked = o.hostDecompress === false ? undefined : hostUnpackFor32BitEntry(o.kernel, o.kernelName);
      if (unpacked && 'skipped' in unpacked) o.notice?.(`${unpacked.skipped}; running the kernel's own decompressor`);
      const host = unpacked && 'vmlinux' in unpacked ? unpacked : undefined;
      const plan = planLinux({
        kernel: o.kernel,
        kernelName: o.kernelName,
        vmlinux: host?.vmlinux,
        unpackedFormat: host?.format,
        initrd: o.initrd,
        initrdName: o.initrdName,
        cmdline: o.cmdline,
        e820: machine.e820,
        acpiRsdp: machine.acpiRsdp,
      });
      loadLinux(phys, cpu, plan);
      return describeLinuxPlan(plan);
    }
    case 'multiboot': {
      extras('a multiboot kernel');
      // As GRUB and QEMU do, the kernel's file name is the first word of its command line
      // (kvm-unit-tests take it as argv[0]).
      const cmdline = `${o.kernelName} ${o.cmdline}`.trim();
      const plan = planMultiboot({ image: o.kernel, name: o.kernelName, cmdline, modules: o.modules, e820: machine.e820 });
      loadMultiboot(phys, cpu, plan);
      return `multiboot kernel ${o.kernelName}, entry ${hex(plan.entry)}, ${plan.modules.length} module(s)`;
    }
    default:
      // Let the bzImage parser name what is wrong ("not a Linux bzImage (...)").
      planLinux({ kernel: o.kernel, kernelName: o.kernelName, cmdline: o.cmdline, e820: machine.e820 });
      throw new LoaderError(`${o.kernelName}: neither a Linux bzImage nor a multiboot kernel`);
  }
}

/** hostUnpackKernel, but a 64-bit vmlinux (ELF64) is skipped: only its decompressor enters it from 32-bit mode. */
function hostUnpackFor32BitEntry(kernel: Uint8Array, name: string): HostUnpack {
  const r = hostUnpackKernel(kernel, name);
  if ('vmlinux' in r && r.vmlinux[4] !== 1) return { skipped: `${name} is a 64-bit kernel (ELF64 vmlinux)` };
  return r;
}

/**
 * A `--module` argument: "file" or "file args..." (the whole string becomes the module's command
 * line, as GRUB passes it).
 */
export function readModuleArg(spec: string): MultibootModule {
  const file = spec.trim().split(/\s+/)[0];
  return { data: readInputFile(file, 'module'), cmdline: spec.trim() };
}
