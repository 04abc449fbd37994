/**
 * Linux 32-bit boot protocol loader (Documentation/arch/x86/boot.rst, "32-bit Boot Protocol").
 *
 *   const plan = planLinux({ kernel, kernelName, initrd, cmdline, e820 });  // validates, places
 *   loadLinux(phys, cpu, plan);                                             // writes memory + CPU
 *
 * Planning is pure (no guest memory needed), so every bad input (not a kernel, truncated image,
 * command line too long, RAM too small for kernel + initrd) is a LoaderError before the machine
 * allocates anything. Placement: protected-mode kernel at 1 MiB; boot_params, command line and GDT
 * at their Layout addresses; the initrd page-aligned as high as possible in usable RAM below
 * initrd_addr_max and above the kernel's decompression footprint, as boot.rst recommends.
 */
import type { CpuState } from '../cpu/state.js';
import type { PhysMemory } from '../mem/phys.js';
import { buildBootParams } from './boot-params.js';
import { kernelFootprint, parseBzImage, protocolString, type BzImage } from './bzimage.js';
import { enterFlatProtectedMode, writeBootGdt } from './cpu-entry.js';
import { E820Type, usableEndFrom, type E820Entry } from './e820.js';
import { LoaderError, formatSize, hex } from './errors.js';
import { checkInitramfs } from './cpio.js';
import { parseElf32, type LoadSegment } from './elf.js';
import { copyToGuest, zeroGuest } from './files.js';
import { Layout, PAGE, alignDown } from './layout.js';

export interface LinuxConfig {
  kernel: Uint8Array;
  /** File name for messages. */
  kernelName: string;
  initrd?: Uint8Array;
  initrdName?: string;
  cmdline: string;
  /** The guest's memory map (e820.ts buildE820). */
  e820: readonly E820Entry[];
  acpiRsdp?: number;
  /** Check that the initrd is a well-formed initramfs (default true): a corrupt one is a LoaderError. */
  checkInitrd?: boolean;
  /**
   * The kernel already decompressed (decompress.ts), to skip the guest-side decompressor: its ELF
   * segments are loaded where the decompressor would put them (p_paddr, i.e. LOAD_PHYSICAL_ADDR)
   * and the CPU enters the kernel's own startup_32 (e_entry) with ESI = boot_params, exactly the
   * state the decompressor hands over (arch/x86/boot/compressed/head_32.S, its final jump). Only
   * without KASLR: the decompressor is what randomizes. The setup header still comes from the
   * bzImage.
   */
  vmlinux?: Uint8Array;
  /** The payload format `vmlinux` was unpacked from on the host (decompress.ts), for describeLinuxPlan. */
  unpackedFormat?: string;
}

export interface LinuxPlan {
  readonly image: BzImage;
  readonly e820: readonly E820Entry[];
  readonly cmdline: Uint8Array;
  readonly cmdlineAddr: number;
  readonly bootParamsAddr: number;
  readonly kernelAddr: number;
  /** [start, end) the kernel uses until it has its own memory management. */
  readonly footprint: { start: number; end: number; runAddr: number };
  readonly initrd?: { addr: number; size: number; data: Uint8Array };
  /** Segments of a pre-decompressed kernel (LinuxConfig.vmlinux); undefined: the bzImage's own code. */
  readonly segments?: LoadSegment[];
  /** Where the segments came from: the payload format and vmlinux size (LinuxConfig.unpackedFormat). */
  readonly unpacked?: { format: string; size: number };
  readonly acpiRsdp?: number;
  /** 32-bit entry point (EIP). */
  readonly entry: number;
}

export function planLinux(cfg: LinuxConfig): LinuxPlan {
  const image = parseBzImage(cfg.kernel, cfg.kernelName);
  const cmdline = new TextEncoder().encode(cfg.cmdline);
  if (cmdline.includes(0)) throw new LoaderError('kernel command line contains a NUL byte');
  const maxCmdline = Math.min(image.cmdlineSize, Layout.CMDLINE_MAX - 1);
  if (cmdline.length > maxCmdline) throw new LoaderError(`kernel command line is ${cmdline.length} bytes; ${cfg.kernelName} accepts at most ${maxCmdline}`);

  // boot.rst: the 32-bit entry point is the start of the protected-mode kernel, loaded at
  // code32_start (0x100000 for every bzImage).
  const kernelAddr = image.code32Start >= Layout.HIGH_MEMORY ? image.code32Start : Layout.KERNEL_LOAD;
  let footprint = kernelFootprint(image, kernelAddr);
  let entry = kernelAddr;
  let segments: LoadSegment[] | undefined;
  if (cfg.vmlinux) {
    const elfName = `${cfg.kernelName} (decompressed)`;
    const elf = parseElf32(cfg.vmlinux, elfName, 'vmlinux');
    const start = Math.min(...elf.segments.map((x) => x.addr));
    const end = Math.max(...elf.segments.map((x) => x.addr + x.data.length + x.zero));
    if (image.version >= 0x020a && start !== image.prefAddress) {
      throw new LoaderError(`${elfName}: loads at ${hex(start)}, but ${cfg.kernelName} runs at ${hex(image.prefAddress)}: not the same kernel`);
    }
    if (!elf.segments.some((x) => elf.entry >= x.addr && elf.entry < x.addr + x.data.length)) throw new LoaderError(`${elfName}: entry point ${hex(elf.entry)} is outside its segments`);
    if (start < Layout.HIGH_MEMORY) throw new LoaderError(`${elfName}: loads below 1 MiB (${hex(start)})`);
    footprint = { start, end: Math.max(end, start + image.initSize), runAddr: start };
    entry = elf.entry;
    segments = elf.segments;
  }
  const usableTop = usableEndFrom(cfg.e820, kernelAddr);
  if (footprint.end > usableTop) {
    const have = usableTop > 0 ? `usable RAM up to ${formatSize(usableTop)}` : `no usable RAM at ${hex(kernelAddr)}`;
    throw new LoaderError(
      `not enough guest RAM for ${cfg.kernelName}: the kernel needs RAM up to ${formatSize(footprint.end)} ` +
        `(runs at ${hex(footprint.runAddr)}, init_size ${formatSize(image.initSize)}), the machine has ${have} (raise --mem)`,
    );
  }

  let initrd: LinuxPlan['initrd'];
  if (cfg.initrd) {
    const name = cfg.initrdName ?? 'initrd';
    const size = cfg.initrd.length;
    if (size === 0) throw new LoaderError(`${name}: empty initrd`);
    if (cfg.checkInitrd !== false) checkInitramfs(cfg.initrd, name);
    const addr = placeInitrd(cfg.e820, size, footprint.end, image.initrdAddrMax);
    if (addr < 0) {
      throw new LoaderError(
        `not enough guest RAM for ${cfg.kernelName} + ${name}: the kernel needs RAM up to ${formatSize(footprint.end)} and the initrd ${formatSize(size)} more ` +
          `below ${hex(image.initrdAddrMax + 1)}; the machine has usable RAM up to ${formatSize(usableTop)} (raise --mem)`,
      );
    }
    initrd = { addr, size, data: cfg.initrd };
  }

  return {
    image,
    e820: cfg.e820,
    cmdline,
    cmdlineAddr: Layout.CMDLINE,
    bootParamsAddr: Layout.ZERO_PAGE,
    kernelAddr,
    footprint,
    initrd,
    acpiRsdp: cfg.acpiRsdp,
    entry,
    segments,
    unpacked: cfg.vmlinux && cfg.unpackedFormat ? { format: cfg.unpackedFormat, size: cfg.vmlinux.length } : undefined,
  };
}

/** Highest page-aligned address for `size` bytes in usable RAM, above `minAddr`, ending by `maxAddr`; -1 if none. */
export function placeInitrd(e820: readonly E820Entry[], size: number, minAddr: number, maxAddr: number): number {
  const limit = Math.min(maxAddr + 1, Layout.FOUR_GIB);
  const ram = e820.filter((e) => e.type === E820Type.RAM).sort((a, b) => b.addr - a.addr);
  for (const r of ram) {
    const end = Math.min(r.addr + r.size, limit);
    const start = alignDown(end - size, PAGE);
    if (start >= Math.max(r.addr, minAddr)) return start;
  }
  return -1;
}

/** Write the plan into guest memory and set the CPU at the 32-bit entry point. */
export function loadLinux(phys: PhysMemory, cpu: CpuState, plan: LinuxPlan): void {
  const { image } = plan;
  if (plan.segments) {
    for (const s of plan.segments) {
      copyToGuest(phys, s.addr, s.data, `${image.name} (decompressed kernel)`);
      if (s.zero) zeroGuest(phys, s.addr + s.data.length, s.zero, `${image.name} (kernel BSS)`);
    }
  } else copyToGuest(phys, plan.kernelAddr, image.kernel, `${image.name} (protected-mode kernel)`);
  if (plan.initrd) copyToGuest(phys, plan.initrd.addr, plan.initrd.data, 'initrd');
  const cmd = new Uint8Array(plan.cmdline.length + 1);
  cmd.set(plan.cmdline);
  copyToGuest(phys, plan.cmdlineAddr, cmd, 'command line');
  const bp = buildBootParams({
    image,
    cmdlineAddr: plan.cmdlineAddr,
    initrd: plan.initrd && { addr: plan.initrd.addr, size: plan.initrd.size },
    e820: plan.e820,
    acpiRsdp: plan.acpiRsdp,
  });
  copyToGuest(phys, plan.bootParamsAddr, bp, 'boot_params');
  const gdt = writeBootGdt(phys);
  enterFlatProtectedMode(cpu, gdt, plan.entry);
  // boot.rst: "%esi must hold the base address of the struct boot_params; %ebp, %edi and %ebx
  // must be zero" (enterFlatProtectedMode zeroed them).
  cpu.regs[6] = plan.bootParamsAddr; // ESI
}

/** One line describing what was loaded, for the CLI's verbose output. */
export function describeLinuxPlan(plan: LinuxPlan): string {
  const i = plan.image;
  const parts = [
    `Linux boot protocol ${protocolString(i.version)}`,
    i.kernelVersion ? `kernel ${i.kernelVersion.split(' ')[0]}` : '',
    plan.unpacked
      ? `unpacked on the host (${plan.unpacked.format}, ${formatSize(plan.unpacked.size)}), loaded at its link address ${hex(plan.footprint.start)} (not randomized), entered at ${hex(plan.entry)}`
      : plan.segments
      ? `pre-decompressed, entered at ${hex(plan.entry)}`
      : `${formatSize(i.kernel.length)} at ${hex(plan.kernelAddr)} (runs at ${hex(plan.footprint.runAddr)})`,
    plan.initrd ? `initrd ${formatSize(plan.initrd.size)} at ${hex(plan.initrd.addr)}` : 'no initrd',
  ];
  return parts.filter(Boolean).join(', ');
}
