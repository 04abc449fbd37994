/**
 * Where the kernel actually runs: its KASLR slide, learned from guest memory.
 *
 *   const slide = findKernelSlide(vmlinux, machine.phys, memBytes);
 *   // 0: at its link address; 0x2000000: 32 MiB higher; null: its text is not in memory
 *
 * With CONFIG_RANDOMIZE_BASE and no `nokaslr` on the command line, the kernel's own decompressor
 * moves it by a random multiple of CONFIG_PHYSICAL_ALIGN (arch/x86/boot/compressed/kaslr.c). On
 * i386 the virtual address moves with the physical one (virtual = physical + PAGE_OFFSET), so one
 * slide fixes every symbol. We look for the kernel's text (the first executable PT_LOAD segment of
 * the vmlinux ELF) in guest-physical memory at each page-aligned slide: sample windows of it must
 * match almost byte for byte. Almost: the decompressor relocates absolute addresses inside the code
 * by the slide, and alternatives patch some instructions at boot.
 */
import { viewOf } from '../loader/fields.js';

/** Bytes per compared window, windows compared, and the share of matching bytes that makes a
 *  window match (relocated addresses and patched alternatives change a few bytes). */
const WINDOW = 32;
const WINDOWS = 48;
const WINDOW_MATCH = 0.75;
/** A slide is accepted when this share of its windows match (random memory matches none). */
const SLIDE_MATCH = 0.5;
const PAGE = 0x1000;
const LOWMEM_TOP = 0x38000000;

/** Guest RAM as the profiler reads it (src/mem/phys.ts `PhysMemory` has both): host bytes, and a
 *  guest-physical address's offset in them (-1 where there is no RAM; nothing else is touched, so
 *  no MMIO device sees a read). */
export interface GuestRam {
  readonly u8: Uint8Array;
  hostOffset(addr: number): number;
}

interface TextSegment {
  /** Physical load address (p_paddr) and the bytes the file holds for it. */
  phys: number;
  data: Uint8Array;
}

/** The first executable PT_LOAD segment of an ELF32 file, or null (not an ELF, no such segment). */
export function kernelTextSegment(elf: Uint8Array): TextSegment | null {
  if (elf.length < 52 || elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46 || elf[4] !== 1) return null;
  const v = viewOf(elf);
  const phoff = v.getUint32(28, true);
  const phentsize = v.getUint16(42, true);
  const phnum = v.getUint16(44, true);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (p + 32 > elf.length) return null;
    const PT_LOAD = 1;
    const PF_X = 1;
    if (v.getUint32(p, true) !== PT_LOAD || (v.getUint32(p + 24, true) & PF_X) === 0) continue;
    const offset = v.getUint32(p + 4, true);
    const filesz = v.getUint32(p + 16, true);
    if (offset + filesz > elf.length || filesz < WINDOW * WINDOWS) return null;
    return { phys: v.getUint32(p + 12, true), data: elf.subarray(offset, offset + filesz) };
  }
  return null;
}

/** Offsets of windows worth comparing: spread over the segment's first half (where .text is),
 *  skipping runs of few distinct bytes (padding, zero fill), which would match anywhere. */
function windowOffsets(data: Uint8Array): number[] {
  const out: number[] = [];
  const span = Math.floor(data.length / 2) - WINDOW;
  const step = Math.max(WINDOW, Math.floor(span / (WINDOWS * 2)));
  for (let o = 0; o < span && out.length < WINDOWS; o += step) {
    if (new Set(data.subarray(o, o + WINDOW)).size >= 12) out.push(o);
  }
  return out;
}

/** The window of `want` at `o` matches guest RAM at `addr` (stops at the first mismatch too many). */
function matches(ram: GuestRam, addr: number, want: Uint8Array, o: number): boolean {
  const h = ram.hostOffset(addr);
  if (h < 0 || ram.hostOffset(addr + WINDOW - 1) !== h + WINDOW - 1) return false;
  const u8 = ram.u8;
  let allowed = Math.floor(WINDOW * (1 - WINDOW_MATCH));
  for (let i = 0; i < WINDOW; i++) if (u8[h + i] !== want[o + i] && --allowed < 0) return false;
  return true;
}

/**
 * The slide (bytes, >= 0, a multiple of 4 KiB) at which the kernel's text lies in guest memory of
 * `memBytes` bytes, or null when it is at none (not loaded yet, another kernel, or overwritten).
 * Slide 0 is tried first, then upwards.
 */
export function findKernelSlide(vmlinux: Uint8Array, ram: GuestRam, memBytes: number): number | null {
  const text = kernelTextSegment(vmlinux);
  if (text === null) return null;
  const offsets = windowOffsets(text.data);
  if (offsets.length < 8) return null;
  const need = Math.ceil(offsets.length * SLIDE_MATCH);
  // The i386 kernel runs in lowmem (below 896 MiB: PAGE_OFFSET + the vmalloc reserve).
  const top = Math.min(memBytes, LOWMEM_TOP);
  for (let slide = 0; text.phys + slide + text.data.length / 2 <= top; slide += PAGE) {
    let hit = 0;
    let miss = 0;
    for (const o of offsets) {
      if (matches(ram, text.phys + slide + o, text.data, o)) hit++;
      else if (++miss > offsets.length - need) break;
    }
    if (hit >= need) return slide;
  }
  return null;
}
