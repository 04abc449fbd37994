/**
 * `struct boot_params`, the Linux "zero page" (Documentation/arch/x86/zero-page.rst and boot.rst,
 * "32-bit Boot Protocol"), described field by field with its offset, and the builder that fills it:
 * zeroed, the kernel's own setup header copied in at 0x1f1, then the loader's fields (loader type,
 * command line, initrd, heap, e820 map, ACPI RSDP).
 */
import { SetupHeader, LoadFlags, type BzImage } from './bzimage.js';
import { encodeE820, type E820Entry } from './e820.js';
import { LoaderError } from './errors.js';
import { checkStruct, setField, type Struct } from './fields.js';

export const BOOT_PARAMS_SIZE = 4096;

export const BootParams = {
  screen_info: { off: 0x000, size: 0x40 },
  apm_bios_info: { off: 0x040, size: 0x14 },
  tboot_addr: { off: 0x058, size: 8 },
  ist_info: { off: 0x060, size: 0x10 },
  acpi_rsdp_addr: { off: 0x070, size: 8 },
  hd0_info: { off: 0x080, size: 0x10 },
  hd1_info: { off: 0x090, size: 0x10 },
  sys_desc_table: { off: 0x0a0, size: 0x10 },
  olpc_ofw_header: { off: 0x0b0, size: 0x10 },
  ext_ramdisk_image: { off: 0x0c0, size: 4 },
  ext_ramdisk_size: { off: 0x0c4, size: 4 },
  ext_cmd_line_ptr: { off: 0x0c8, size: 4 },
  cc_blob_address: { off: 0x13c, size: 4 },
  edid_info: { off: 0x140, size: 0x80 },
  efi_info: { off: 0x1c0, size: 0x20 },
  alt_mem_k: { off: 0x1e0, size: 4 },
  scratch: { off: 0x1e4, size: 4 },
  e820_entries: { off: 0x1e8, size: 1 },
  eddbuf_entries: { off: 0x1e9, size: 1 },
  edd_mbr_sig_buf_entries: { off: 0x1ea, size: 1 },
  kbd_status: { off: 0x1eb, size: 1 },
  secure_boot: { off: 0x1ec, size: 1 },
  sentinel: { off: 0x1ef, size: 1 },
  /** struct setup_header, copied from the image (bzimage.ts SetupHeader has the same offsets). */
  hdr: { off: 0x1f1, size: 0x26c - 0x1f1 },
  edd_mbr_sig_buffer: { off: 0x290, size: 0x40 },
  /** E820_MAX_ENTRIES_ZEROPAGE entries of { u64 addr; u64 size; u32 type } (packed, 20 bytes). */
  e820_table: { off: 0x2d0, size: 128 * 20 },
  eddbuf: { off: 0xd00, size: 6 * 0x52 },
} as const satisfies Struct;

export const E820_MAX_ZEROPAGE = 128;

// The struct must be exactly one page with these offsets; checked once at load (and in tests).
checkStruct('boot_params', BootParams, BOOT_PARAMS_SIZE);

/** boot.rst, type_of_loader: 0xFF = undefined/unregistered boot loader. */
export const LOADER_TYPE_UNDEFINED = 0xff;

export interface BootParamsInput {
  image: BzImage;
  cmdlineAddr: number;
  initrd?: { addr: number; size: number };
  e820: readonly E820Entry[];
  /** Physical address of the ACPI RSDP if the platform has one (also found by the kernel's scan). */
  acpiRsdp?: number;
}

export function buildBootParams(input: BootParamsInput): Uint8Array {
  const { image } = input;
  const bp = new Uint8Array(BOOT_PARAMS_SIZE);
  const v = new DataView(bp.buffer);
  // boot.rst: copy the setup header from the image, then fill in the loader's fields.
  bp.set(image.file.subarray(BootParams.hdr.off, image.headerEnd), BootParams.hdr.off);

  setField(v, SetupHeader.type_of_loader, LOADER_TYPE_UNDEFINED);
  // Heap for the real-mode setup code (unused by the 32-bit entry, but a valid value costs nothing):
  // heap_end_ptr = end of setup heap - 0x200, per boot.rst's example loader.
  setField(v, SetupHeader.loadflags, (image.loadFlags | LoadFlags.CAN_USE_HEAP) & ~LoadFlags.QUIET_FLAG);
  setField(v, SetupHeader.heap_end_ptr, 0xfe00 - 0x200);
  setField(v, SetupHeader.vid_mode, 0xffff); // "normal" text mode
  setField(v, SetupHeader.cmd_line_ptr, input.cmdlineAddr);
  setField(v, SetupHeader.ramdisk_image, input.initrd?.addr ?? 0);
  setField(v, SetupHeader.ramdisk_size, input.initrd?.size ?? 0);
  if (input.acpiRsdp !== undefined) setField(v, BootParams.acpi_rsdp_addr, input.acpiRsdp);

  if (input.e820.length > E820_MAX_ZEROPAGE) throw new LoaderError(`memory map has ${input.e820.length} entries; boot_params holds ${E820_MAX_ZEROPAGE}`);
  setField(v, BootParams.e820_entries, input.e820.length);
  encodeE820(input.e820, v, BootParams.e820_table.off);
  return bp;
}
