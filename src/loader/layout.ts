/**
 * Every fixed guest-physical address the loaders and the platform use, in one place (Firecracker's
 * `layout.rs`; STYLE.md §9). Anything not here is computed (initrd placement, multiboot modules).
 *
 *   0x00000000  real-mode IVT and BIOS data area (left zero: the kernel reads the EBDA pointer at
 *               0x40E and finds none)
 *   0x00001000  boot GDT (flat code 0x10, flat data 0x18), written by the loaders
 *   0x00002000  multiboot information block, module list, memory map and strings (up to 0x7fff)
 *   0x00008000  boot stack top (grows down; only for loaders that need one)
 *   0x00010000  Linux boot_params ("zero page", 4 KiB)
 *   0x00020000  Linux kernel command line (up to cmdline_size + 1, at most 64 KiB)
 *   0x0009fc00  EBDA / hole start: 0x9fc00-0xfffff is never usable RAM in the e820 map
 *   0x000a0000  legacy VGA window
 *   0x000e0000  BIOS area 0xe0000-0xfffff: ACPI tables at 0xe0000 (RSDP found by the kernel's scan of
 *               0xe0000-0xfffff), ROM images at 0xf0000
 *   0x00100000  protected-mode kernel / multiboot images (1 MiB)
 *   ...         initrd as high as the e820 map and initrd_addr_max allow
 *   top - N     the hypervisor's reserved region (e820 type 2)
 *   0xfee00000  local APIC; 0xff000000 pc-testdev memory; 0xffff0000 ROM alias (reset vector)
 */

export const Layout = {
  /** Real-mode interrupt vector table + BIOS data area. */
  REAL_MODE_IVT: 0x0,
  BIOS_DATA_AREA: 0x400,
  /** GDT written by the loaders for their flat protected-mode entry (4 descriptors). */
  BOOT_GDT: 0x1000,
  BOOT_GDT_ENTRIES: 4,
  /** Multiboot info block and everything it points to (not modules): [MB_INFO, MB_INFO_END). */
  MB_INFO: 0x2000,
  MB_INFO_END: 0x8000,
  /** Top of a small boot stack below the zero page (ESP for loaders that set one). */
  BOOT_STACK_TOP: 0x8000,
  /** Linux `struct boot_params`. */
  ZERO_PAGE: 0x10000,
  /** Linux command line (NUL-terminated). */
  CMDLINE: 0x20000,
  CMDLINE_MAX: 0x10000,
  /** Conventional memory ends here: the EBDA starts (e820 usable [0, EBDA)). */
  EBDA: 0x9fc00,
  VGA_WINDOW: 0xa0000,
  /** BIOS area (ROMs, ACPI): reserved in the e820 map. */
  BIOS_AREA: 0xe0000,
  BIOS_AREA_END: 0x100000,
  /** ACPI tables (RSDP first, 16-byte aligned, so the kernel's BIOS-area scan finds it). */
  ACPI_TABLES: 0xe0000,
  ACPI_TABLES_SIZE: 0x10000,
  /** A 64 KiB BIOS-style ROM sits here and is aliased just below 4 GiB. */
  ROM_LOW: 0xf0000,
  ROM_HIGH_END: 0x100000000,
  /** Where high memory starts; bzImage protected-mode code and multiboot images load from here. */
  HIGH_MEMORY: 0x100000,
  KERNEL_LOAD: 0x100000,
  /** MMIO devices (owned by src/devices; listed here so nothing else lands on them). */
  LOCAL_APIC: 0xfee00000,
  PC_TESTDEV_RAM: 0xff000000,
  /** Highest 32-bit guest-physical address + 1. */
  FOUR_GIB: 0x100000000,
} as const;

/** Linux boot protocol segment selectors (Documentation/arch/x86/boot.rst, "32-bit Boot Protocol"). */
export const BootSelectors = { CODE: 0x10, DATA: 0x18 } as const;

export const PAGE = 0x1000;

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}
