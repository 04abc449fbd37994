/**
 * Bulk paths for REP STOS and REP MOVS with 32-bit addressing, in either direction (the string
 * templates, src/cpu/sem/string.ts, call them in both engines): up to one 4 KiB page of elements at
 * a time as one typed-array fill/copy, instead of one MMU access per element. Linux clears and copies pages this way (memset/memcpy use REP STOSL/MOVSL on i386; the
 * boot decompressor and memmove copy backwards with STD; REP MOVSL).
 *
 * A chunk is taken only when it is plainly safe: an expand-up writable data segment with the whole
 * chunk inside its limit (and no wrap of the offset), elements inside one page (an element that straddles two pages goes element by element), RAM
 * behind the page (no MMIO, reserved region, page holding translated code or the running
 * interpreter block: `PhysMemory.bulkWritable`, which also disarms the page's pre-decoded blocks
 * since these stores bypass write8..32), and for MOVS no
 * overlap that an element-by-element copy in that direction would treat differently from memmove.
 * Anything else returns 0 and the caller takes the per-element path, which raises faults at the
 * exact element. Translation goes through `Mmu.translate`, so paging faults, A/D bits and the TLB
 * behave as for single accesses: a #PF on the first element of a chunk is the same #PF the
 * per-element path would raise.
 */
import { Seg } from '../frontend/insn.js';
import type { Cpu } from './cpu.js';

/**
 * How many of up to `max` elements of `size` bytes, starting at offset `off` and going up (or down
 * when `back`), lie inside the segment without wrapping; 0 if the segment is not a plain data one.
 */
function segRoom(cpu: Cpu, seg: number, off: number, size: number, max: number, write: boolean, back: boolean): number {
  const attr = cpu.segAttr[seg];
  // Data segment (S = 1, code = 0), expand-up, writable when written.
  if ((attr & 0x1c) !== 0x10 || (write && (attr & 0x02) === 0)) return 0;
  const o = off >>> 0, limit = cpu.segLimit[seg] >>> 0;
  if (o + size - 1 > limit) return 0;
  const room = back ? Math.floor(o / size) + 1 : Math.floor((limit - o + 1) / size);
  return room < max ? room : max;
}

/** Whole elements from the one at linear `lin` to the page end (or start when `back`); 0 when that
 *  element straddles the page end. */
function pageRoom(lin: number, size: number, back: boolean): number {
  const p = lin & 0xfff;
  if (p + size > 0x1000) return 0;
  return back ? ((p / size) | 0) + 1 : ((0x1000 - p) / size) | 0;
}

/** Host byte offset of linear `lin` if RAM that may be used in bulk, else -1 (may raise #PF). */
function hostOf(cpu: Cpu, lin: number, write: boolean): number {
  const mmu = cpu.mmu;
  const phys = mmu.phys;
  const host = phys.hostOffset(mmu.translate(lin, write, cpu.cpl === 3));
  if (host < 0 || (write && phys.codePages[host >>> 12] !== 0 && !phys.bulkWritable(host >>> 12))) return -1;
  return host;
}

/**
 * REP STOS of `value` for up to `count` (> 0) elements at ES:`di`, downwards when `back`. Returns
 * the elements stored (the caller moves EDI and ECX).
 */
export function bulkStos(cpu: Cpu, size: number, di: number, value: number, count: number, back: boolean): number {
  let n = segRoom(cpu, Seg.ES, di, size, count, true, back);
  if (n === 0) return 0;
  const lin = (cpu.segBase[Seg.ES] + di) | 0;
  const pr = pageRoom(lin, size, back);
  if (pr < n) n = pr;
  if (n === 0) return 0;
  let host = hostOf(cpu, lin, true);
  if (host < 0) return 0;
  if (back) host -= (n - 1) * size;
  const phys = cpu.mmu.phys;
  if (size === 1) phys.u8.fill(value, host, host + n);
  else if ((host & (size - 1)) === 0) {
    if (size === 2) phys.u16.fill(value, host >>> 1, (host >>> 1) + n);
    else phys.i32.fill(value, host >>> 2, (host >>> 2) + n);
  } else {
    // Misaligned: the first element byte by byte (little-endian), then doubling copies.
    const u8 = phys.u8;
    for (let b = 0; b < size; b++) u8[host + b] = value >>> (b * 8);
    const end = host + n * size;
    for (let done = size; done < n * size; done *= 2) u8.copyWithin(host + done, host, Math.min(host + done, end - done));
  }
  return n;
}

/**
 * REP MOVS from srcSeg:`si` to ES:`di` for up to `count` (> 0) elements, downwards when `back`.
 * Returns the elements moved (the caller moves ESI, EDI and ECX).
 */
export function bulkMovs(cpu: Cpu, size: number, srcSeg: number, si: number, di: number, count: number, back: boolean): number {
  let n = segRoom(cpu, srcSeg, si, size, count, false, back);
  if (n === 0) return 0;
  const m = segRoom(cpu, Seg.ES, di, size, n, true, back);
  if (m < n) n = m;
  if (n === 0) return 0;
  const srcLin = (cpu.segBase[srcSeg] + si) | 0;
  const dstLin = (cpu.segBase[Seg.ES] + di) | 0;
  const a = pageRoom(srcLin, size, back), b = pageRoom(dstLin, size, back);
  if (a < n) n = a;
  if (b < n) n = b;
  if (n === 0) return 0;
  // Source first: the per-element path reads before it writes, so a fault on both reports the read.
  let src = hostOf(cpu, srcLin, false);
  if (src < 0) return 0;
  let dst = hostOf(cpu, dstLin, true);
  if (dst < 0) return 0;
  const bytes = n * size;
  if (back) {
    src -= bytes - size;
    dst -= bytes - size;
    // Copying downwards replicates when the destination starts inside the source below its end.
    if (dst < src && dst + bytes > src) return 0;
  } else if (dst > src && dst < src + bytes) return 0; // upwards: the mirror case
  cpu.mmu.phys.u8.copyWithin(dst, src, src + bytes);
  return n;
}
