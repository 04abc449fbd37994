/**
 * Parse and validate a Linux x86 bzImage (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel
 * Header" and "Details of Header Fields"). Parsing only: writing boot_params and guest memory is
 * boot-params.ts and linux.ts (STYLE.md §9: parse and load are separate steps).
 *
 * A bzImage is (setup_sects + 1) 512-byte sectors of real-mode setup code, whose second sector holds
 * the setup header at 0x1f1, followed by the protected-mode kernel (syssize 16-byte paragraphs)
 * that the 32-bit boot protocol loads at 1 MiB. The header fields are listed below with the offsets
 * they have both in the file and in boot_params (the header is copied verbatim).
 */
import { LoaderError, formatSize } from './errors.js';
import { getField, viewOf, type Struct } from './fields.js';

/** struct setup_header (boot.rst "The Real-Mode Kernel Header"), offsets within the image. */
export const SetupHeader = {
  setup_sects: { off: 0x1f1, size: 1 },
  root_flags: { off: 0x1f2, size: 2 },
  syssize: { off: 0x1f4, size: 4 },
  ram_size: { off: 0x1f8, size: 2 },
  vid_mode: { off: 0x1fa, size: 2 },
  root_dev: { off: 0x1fc, size: 2 },
  boot_flag: { off: 0x1fe, size: 2 },
  jump: { off: 0x200, size: 2 },
  header: { off: 0x202, size: 4 },
  version: { off: 0x206, size: 2 },
  realmode_swtch: { off: 0x208, size: 4 },
  start_sys_seg: { off: 0x20c, size: 2 },
  kernel_version: { off: 0x20e, size: 2 },
  type_of_loader: { off: 0x210, size: 1 },
  loadflags: { off: 0x211, size: 1 },
  setup_move_size: { off: 0x212, size: 2 },
  code32_start: { off: 0x214, size: 4 },
  ramdisk_image: { off: 0x218, size: 4 },
  ramdisk_size: { off: 0x21c, size: 4 },
  bootsect_kludge: { off: 0x220, size: 4 },
  heap_end_ptr: { off: 0x224, size: 2 },
  ext_loader_ver: { off: 0x226, size: 1 },
  ext_loader_type: { off: 0x227, size: 1 },
  cmd_line_ptr: { off: 0x228, size: 4 },
  initrd_addr_max: { off: 0x22c, size: 4 },
  kernel_alignment: { off: 0x230, size: 4 },
  relocatable_kernel: { off: 0x234, size: 1 },
  min_alignment: { off: 0x235, size: 1 },
  xloadflags: { off: 0x236, size: 2 },
  cmdline_size: { off: 0x238, size: 4 },
  hardware_subarch: { off: 0x23c, size: 4 },
  hardware_subarch_data: { off: 0x240, size: 8 },
  payload_offset: { off: 0x248, size: 4 },
  payload_length: { off: 0x24c, size: 4 },
  setup_data: { off: 0x250, size: 8 },
  pref_address: { off: 0x258, size: 8 },
  init_size: { off: 0x260, size: 4 },
  handover_offset: { off: 0x264, size: 4 },
  kernel_info_offset: { off: 0x268, size: 4 },
} as const satisfies Struct;

/** End of the setup header as of protocol 2.15. */
export const SETUP_HEADER_END = 0x26c;

/** loadflags bits (boot.rst "Details of Header Fields"). */
export const LoadFlags = { LOADED_HIGH: 0x01, KASLR_FLAG: 0x02, QUIET_FLAG: 0x20, KEEP_SEGMENTS: 0x40, CAN_USE_HEAP: 0x80 } as const;

export const BOOT_FLAG = 0xaa55;
/** "HdrS" read as a little-endian u32. */
export const HDRS_MAGIC = 0x53726448;
export const MIN_PROTOCOL = 0x0206;

export interface BzImage {
  /** The file name, for messages. */
  readonly name: string;
  readonly file: Uint8Array;
  /** Boot protocol version, e.g. 0x020f for 2.15. */
  readonly version: number;
  readonly setupSects: number;
  /** Bytes of real-mode code including the boot sector: (setup_sects + 1) * 512. */
  readonly setupSize: number;
  /** The protected-mode kernel (loaded at 1 MiB). */
  readonly kernel: Uint8Array;
  readonly loadFlags: number;
  readonly code32Start: number;
  readonly initrdAddrMax: number;
  readonly kernelAlignment: number;
  readonly relocatable: boolean;
  /** Longest command line the kernel accepts, without the NUL. */
  readonly cmdlineSize: number;
  /** Address the kernel runs at when not relocated (LOAD_PHYSICAL_ADDR), 2.10+. */
  readonly prefAddress: number;
  /** Bytes of linear memory the kernel needs from where it runs until it has set up its own, 2.10+. */
  readonly initSize: number;
  /** End (exclusive) of the setup header in this file: 0x202 + the jump's displacement byte. */
  readonly headerEnd: number;
  /** Kernel version string from the setup code (e.g. "6.1.0-50-686 (debian-kernel@...) #1 ..."), or "". */
  readonly kernelVersion: string;
}

export function protocolString(version: number): string {
  return `${version >> 8}.${(version & 0xff).toString().padStart(2, '0')}`;
}

export function parseBzImage(file: Uint8Array, name: string): BzImage {
  const notKernel = (why: string) => new LoaderError(`${name}: not a Linux bzImage (${why})`);
  if (file.length < 0x400) throw notKernel(`file is only ${formatSize(file.length)}`);
  const v = viewOf(file);
  const get = (f: { off: number; size: number }) => getField(v, f);
  if (file[0] === 0x7f && file[1] === 0x45 && file[2] === 0x4c && file[3] === 0x46) {
    throw notKernel('an ELF file without a multiboot header; for Linux use the bzImage (arch/x86/boot/bzImage), not vmlinux');
  }
  if (get(SetupHeader.boot_flag) !== BOOT_FLAG) throw notKernel('no boot sector signature 0xAA55 at 0x1fe');
  if (get(SetupHeader.header) !== HDRS_MAGIC) throw notKernel('no HdrS signature');
  const version = get(SetupHeader.version);
  if (version < MIN_PROTOCOL) throw new LoaderError(`${name}: Linux boot protocol ${protocolString(version)} is too old (x86jit needs 2.06 or later)`);
  const loadFlags = get(SetupHeader.loadflags);
  if ((loadFlags & LoadFlags.LOADED_HIGH) === 0) throw new LoaderError(`${name}: a zImage (protected-mode code loads at 0x10000); only bzImage kernels are supported`);

  const setupSects = get(SetupHeader.setup_sects) || 4;
  const setupSize = (setupSects + 1) * 512;
  const sysBytes = get(SetupHeader.syssize) * 16;
  const expected = setupSize + sysBytes;
  if (file.length < expected) throw new LoaderError(`${name}: truncated bzImage (${file.length} bytes; its header says ${expected})`);
  if (sysBytes === 0) throw notKernel('syssize is 0');
  const kernel = file.subarray(setupSize, expected);
  if (version >= 0x0208) {
    const payloadEnd = get(SetupHeader.payload_offset) + get(SetupHeader.payload_length);
    if (payloadEnd > kernel.length) throw new LoaderError(`${name}: corrupt bzImage (compressed payload ends at ${payloadEnd}, past the ${kernel.length}-byte kernel)`);
  }

  const headerEnd = Math.min(0x202 + file[0x201], 0x290);
  const kvOff = get(SetupHeader.kernel_version);
  let kernelVersion = '';
  if (kvOff !== 0 && kvOff + 0x200 < setupSize) {
    const start = kvOff + 0x200;
    let end = start;
    while (end < setupSize && file[end] !== 0 && end - start < 200) end++;
    kernelVersion = new TextDecoder('latin1').decode(file.subarray(start, end));
  }

  return {
    name,
    file,
    version,
    setupSects,
    setupSize,
    kernel,
    loadFlags,
    code32Start: get(SetupHeader.code32_start),
    initrdAddrMax: version >= 0x0203 ? get(SetupHeader.initrd_addr_max) : 0x37ffffff,
    kernelAlignment: version >= 0x0205 ? get(SetupHeader.kernel_alignment) || 0x100000 : 0x100000,
    relocatable: version >= 0x0205 && get(SetupHeader.relocatable_kernel) !== 0,
    cmdlineSize: version >= 0x0206 ? get(SetupHeader.cmdline_size) : 255,
    prefAddress: version >= 0x020a ? get(SetupHeader.pref_address) : 0x100000,
    initSize: version >= 0x020a ? get(SetupHeader.init_size) : 0,
    headerEnd,
    kernelVersion,
  };
}

/** The guest-physical range the kernel occupies while it decompresses and sets itself up. */
export function kernelFootprint(img: BzImage, loadAddr: number): { start: number; end: number; runAddr: number } {
  // A relocatable kernel decompresses to its load address rounded up to kernel_alignment, but never
  // below LOAD_PHYSICAL_ADDR (= pref_address); a fixed one to pref_address (boot.rst, fields
  // relocatable_kernel, pref_address and init_size; arch/x86/boot/compressed/head_32.S).
  let runAddr = img.prefAddress;
  if (img.relocatable) {
    const a = img.kernelAlignment;
    runAddr = Math.max(Math.ceil(loadAddr / a) * a, img.prefAddress);
  }
  const end = Math.max(loadAddr + img.kernel.length, runAddr + Math.max(img.initSize, img.kernel.length));
  return { start: Math.min(loadAddr, runAddr), end, runAddr };
}
