/**
 * Multiboot (version 1) loader for small test kernels such as kvm-unit-tests (Multiboot
 * Specification 0.6.96: §3.1 OS image format, §3.2 machine state, §3.3 boot information).
 *
 *   const plan = planMultiboot({ image, name, cmdline, modules, e820 });
 *   loadMultiboot(phys, cpu, plan);   // EAX = 0x2BADB002, EBX = info, flat protected mode
 *
 * The header is searched in the first 8 KiB (32-bit aligned, magic + flags + checksum = 0). The
 * image is loaded from the header's address fields when flag 16 is set (the "a.out kludge"), else
 * from the ELF32 program headers (PT_LOAD at p_paddr, BSS zeroed). Modules are loaded page-aligned
 * after the image; the information block (memory sizes, e820-style mmap, modules with their
 * command lines, command line, boot loader name, and the boot GDT) lives at Layout.MB_INFO, or
 * after the image if the image covers that area.
 */
import type { CpuState } from '../cpu/state.js';
import type { PhysMemory } from '../mem/phys.js';
import { enterFlatProtectedMode, writeBootGdt } from './cpu-entry.js';
import { E820Type, usableEndFrom, type E820Entry } from './e820.js';
import { LoaderError, formatSize, hex } from './errors.js';
import { checkStruct, setField, viewOf, type Struct } from './fields.js';
import { copyToGuest, zeroGuest } from './files.js';
import { Layout, PAGE, alignUp } from './layout.js';
import { parseElf32, type LoadSegment } from './elf.js';

export const MULTIBOOT_MAGIC = 0x1badb002;
/** EAX at entry (spec §3.2). */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const SEARCH_LIMIT = 8192;

/** Header flags (spec §3.1.2). Bits 0-15 are requirements: unknown ones must make the load fail. */
export const MbHeaderFlags = { PAGE_ALIGN: 1 << 0, MEMORY_INFO: 1 << 1, VIDEO_MODE: 1 << 2, AOUT_KLUDGE: 1 << 16 } as const;
const SUPPORTED_REQUIRED = MbHeaderFlags.PAGE_ALIGN | MbHeaderFlags.MEMORY_INFO | MbHeaderFlags.VIDEO_MODE;

/** Boot information block (spec §3.3), offsets from its start. */
export const MbInfo = {
  flags: { off: 0, size: 4 },
  mem_lower: { off: 4, size: 4 },
  mem_upper: { off: 8, size: 4 },
  boot_device: { off: 12, size: 4 },
  cmdline: { off: 16, size: 4 },
  mods_count: { off: 20, size: 4 },
  mods_addr: { off: 24, size: 4 },
  syms: { off: 28, size: 16 },
  mmap_length: { off: 44, size: 4 },
  mmap_addr: { off: 48, size: 4 },
  drives_length: { off: 52, size: 4 },
  drives_addr: { off: 56, size: 4 },
  config_table: { off: 60, size: 4 },
  boot_loader_name: { off: 64, size: 4 },
  apm_table: { off: 68, size: 4 },
  vbe: { off: 72, size: 16 },
} as const satisfies Struct;
export const MB_INFO_SIZE = 88;
checkStruct('multiboot_info', MbInfo, MB_INFO_SIZE);

/** Which info fields are valid (spec §3.3 "flags"). */
export const MbInfoFlags = { MEMORY: 1 << 0, CMDLINE: 1 << 2, MODS: 1 << 3, MMAP: 1 << 6, LOADER_NAME: 1 << 9 } as const;

/** One module entry: mod_start, mod_end, string, reserved. */
const MODULE_ENTRY_SIZE = 16;
/** One mmap entry: size (of the rest, 20), base_addr u64, length u64, type u32. */
const MMAP_ENTRY_SIZE = 24;

export interface MultibootModule {
  data: Uint8Array;
  /** The module's command line (conventionally its file name first). */
  cmdline: string;
}

export interface MultibootConfig {
  image: Uint8Array;
  name: string;
  /** The kernel's command line as the kernel sees it; by convention (GRUB, QEMU) the file name first. */
  cmdline: string;
  modules?: MultibootModule[];
  e820: readonly E820Entry[];
  loaderName?: string;
}

export interface MultibootHeader {
  offset: number;
  flags: number;
  /** Flag 16 address fields, when present. */
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

export interface MultibootPlan {
  readonly header: MultibootHeader;
  readonly segments: LoadSegment[];
  readonly entry: number;
  readonly modules: { addr: number; data: Uint8Array; cmdline: string }[];
  readonly infoAddr: number;
  /** The whole info area (info block, mmap, module list, strings), written at infoAddr. */
  readonly info: Uint8Array;
  /** Where the flat boot GDT is written (inside the info area, after the strings). */
  readonly gdtAddr: number;
}

/** The multiboot header of an image, or null if it has none. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | null {
  const v = viewOf(image);
  const end = Math.min(SEARCH_LIMIT, image.length) - 12;
  for (let o = 0; o <= end; o += 4) {
    if (v.getUint32(o, true) !== MULTIBOOT_MAGIC) continue;
    const flags = v.getUint32(o + 4, true);
    if (((MULTIBOOT_MAGIC + flags + v.getUint32(o + 8, true)) >>> 0) !== 0) continue;
    const has = (flags & MbHeaderFlags.AOUT_KLUDGE) !== 0 && o + 32 <= image.length;
    const f = (i: number) => (has ? v.getUint32(o + 12 + 4 * i, true) : 0);
    return { offset: o, flags, headerAddr: f(0), loadAddr: f(1), loadEndAddr: f(2), bssEndAddr: f(3), entryAddr: f(4) };
  }
  return null;
}

export function isMultiboot(image: Uint8Array): boolean {
  return findMultibootHeader(image) !== null;
}

function aoutSegments(image: Uint8Array, h: MultibootHeader, name: string): LoadSegment[] {
  if (h.loadAddr > h.headerAddr) throw new LoaderError(`${name}: bad multiboot header (load_addr ${hex(h.loadAddr)} above header_addr ${hex(h.headerAddr)})`);
  const fileOff = h.offset - (h.headerAddr - h.loadAddr);
  if (fileOff < 0) throw new LoaderError(`${name}: bad multiboot header (load_addr lies before the start of the file)`);
  const len = h.loadEndAddr ? h.loadEndAddr - h.loadAddr : image.length - fileOff;
  if (len <= 0) throw new LoaderError(`${name}: bad multiboot header (load_end_addr ${hex(h.loadEndAddr)} not above load_addr)`);
  if (fileOff + len > image.length) throw new LoaderError(`${name}: truncated multiboot image (${image.length} bytes; its header says ${fileOff + len})`);
  const loadEnd = h.loadAddr + len;
  const zero = h.bssEndAddr > loadEnd ? h.bssEndAddr - loadEnd : 0;
  return [{ addr: h.loadAddr, data: image.subarray(fileOff, fileOff + len), zero }];
}

function isUsable(e820: readonly E820Entry[], addr: number, len: number): boolean {
  return e820.some((e) => e.type === E820Type.RAM && e.addr <= addr && addr + len <= e.addr + e.size);
}

function overlaps(a: number, alen: number, b: number, blen: number): boolean {
  return a < b + blen && b < a + alen;
}

export function planMultiboot(cfg: MultibootConfig): MultibootPlan {
  const { image, name, e820 } = cfg;
  const header = findMultibootHeader(image);
  if (!header) throw new LoaderError(`${name}: not a multiboot kernel (no multiboot header in the first 8 KiB)`);
  const unknown = header.flags & 0xffff & ~SUPPORTED_REQUIRED;
  if (unknown) throw new LoaderError(`${name}: multiboot header requires features x86jit does not provide (flags ${hex(unknown)})`);

  let segments: LoadSegment[];
  let entry: number;
  if (header.flags & MbHeaderFlags.AOUT_KLUDGE) {
    segments = aoutSegments(image, header, name);
    entry = header.entryAddr;
  } else ({ segments, entry } = parseElf32(image, name, 'multiboot kernel'));

  let imageEnd = 0;
  for (const s of segments) {
    const len = s.data.length + s.zero;
    if (!isUsable(e820, s.addr, len)) {
      throw new LoaderError(`${name}: segment ${hex(s.addr)}-${hex(s.addr + len)} is not in usable guest RAM (raise --mem; usable RAM ends at ${formatSize(usableEndFrom(e820, Layout.HIGH_MEMORY))})`);
    }
    imageEnd = Math.max(imageEnd, s.addr + len);
  }

  // Info area: fixed low address unless the image sits there.
  const modules = cfg.modules ?? [];
  const enc = new TextEncoder();
  const strings: Uint8Array[] = [];
  let stringsSize = 0;
  const addString = (s: string): number => {
    const b = enc.encode(`${s}\0`);
    const at = stringsSize;
    strings.push(b);
    stringsSize += b.length;
    return at;
  };
  const cmdlineOff = addString(cfg.cmdline);
  const loaderNameOff = addString(cfg.loaderName ?? 'x86jit');
  const modStringOffs = modules.map((m) => addString(m.cmdline));
  const mmapOff = alignUp(MB_INFO_SIZE, 8);
  const modsOff = mmapOff + e820.length * MMAP_ENTRY_SIZE;
  const stringsOff = modsOff + modules.length * MODULE_ENTRY_SIZE;
  // The boot GDT goes with the info block, so both move together if the image sits on them.
  const gdtOff = alignUp(stringsOff + stringsSize, 8);
  const infoSize = gdtOff + Layout.BOOT_GDT_ENTRIES * 8;
  let infoAddr: number = Layout.MB_INFO;
  if (infoSize > Layout.MB_INFO_END - Layout.MB_INFO) throw new LoaderError(`${name}: multiboot information (${formatSize(infoSize)}: command lines too long?) does not fit its ${formatSize(Layout.MB_INFO_END - Layout.MB_INFO)} area`);
  if (segments.some((s) => overlaps(s.addr, s.data.length + s.zero, infoAddr, infoSize))) {
    infoAddr = alignUp(imageEnd, PAGE);
    imageEnd = infoAddr + infoSize;
  }

  // Modules, page-aligned, after the image.
  let next = alignUp(Math.max(imageEnd, Layout.HIGH_MEMORY), PAGE);
  const placed = modules.map((m) => {
    const addr = next;
    next = alignUp(addr + Math.max(m.data.length, 1), PAGE);
    if (!isUsable(e820, addr, m.data.length)) {
      throw new LoaderError(`${name}: not enough guest RAM for module "${m.cmdline}" (${formatSize(m.data.length)} at ${hex(addr)}; raise --mem)`);
    }
    return { addr, data: m.data, cmdline: m.cmdline };
  });

  const info = new Uint8Array(infoSize);
  const v = new DataView(info.buffer);
  let flags = MbInfoFlags.MEMORY | MbInfoFlags.CMDLINE | MbInfoFlags.MMAP | MbInfoFlags.LOADER_NAME;
  // mem_lower: KiB of RAM from 0 (at most 640); mem_upper: KiB from 1 MiB to the first hole.
  setField(v, MbInfo.mem_lower, Math.min(usableEndFrom(e820, 0), 0xa0000) >>> 10);
  setField(v, MbInfo.mem_upper, Math.floor(Math.max(0, usableEndFrom(e820, Layout.HIGH_MEMORY) - Layout.HIGH_MEMORY) / 1024));
  setField(v, MbInfo.cmdline, infoAddr + stringsOff + cmdlineOff);
  setField(v, MbInfo.boot_loader_name, infoAddr + stringsOff + loaderNameOff);
  setField(v, MbInfo.mmap_addr, infoAddr + mmapOff);
  setField(v, MbInfo.mmap_length, e820.length * MMAP_ENTRY_SIZE);
  e820.forEach((e, i) => {
    const o = mmapOff + i * MMAP_ENTRY_SIZE;
    v.setUint32(o, MMAP_ENTRY_SIZE - 4, true);
    v.setBigUint64(o + 4, BigInt(e.addr), true);
    v.setBigUint64(o + 12, BigInt(e.size), true);
    v.setUint32(o + 20, e.type, true);
  });
  if (placed.length > 0) {
    flags |= MbInfoFlags.MODS;
    setField(v, MbInfo.mods_count, placed.length);
    setField(v, MbInfo.mods_addr, infoAddr + modsOff);
    placed.forEach((m, i) => {
      const o = modsOff + i * MODULE_ENTRY_SIZE;
      v.setUint32(o, m.addr, true);
      v.setUint32(o + 4, m.addr + m.data.length, true);
      v.setUint32(o + 8, infoAddr + stringsOff + modStringOffs[i], true);
    });
  }
  setField(v, MbInfo.flags, flags);
  let so = stringsOff;
  for (const s of strings) {
    info.set(s, so);
    so += s.length;
  }
  return { header, segments, entry, modules: placed, infoAddr, info, gdtAddr: infoAddr + gdtOff };
}

export function loadMultiboot(phys: PhysMemory, cpu: CpuState, plan: MultibootPlan): void {
  for (const s of plan.segments) {
    copyToGuest(phys, s.addr, s.data, 'multiboot image');
    if (s.zero) zeroGuest(phys, s.addr + s.data.length, s.zero, 'multiboot image BSS');
  }
  for (const m of plan.modules) copyToGuest(phys, m.addr, m.data, `module ${m.cmdline}`);
  copyToGuest(phys, plan.infoAddr, plan.info, 'multiboot information');
  const gdt = writeBootGdt(phys, plan.gdtAddr);
  enterFlatProtectedMode(cpu, gdt, plan.entry);
  cpu.regs[0] = MULTIBOOT_BOOTLOADER_MAGIC; // EAX
  cpu.regs[3] = plan.infoAddr; // EBX
}
