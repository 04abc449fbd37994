/**
 * Bulk paths for forward REP STOS and REP MOVS (32-bit addressing, DF = 0): up to one 4 KiB page
 * of elements at a time as one typed-array fill/copy, instead of one MMU access per element. Linux
 * clears and copies pages this way (memset/memcpy use REP STOSL/MOVSL on i386).
 *
 * A chunk is taken only when it is plainly safe: an expand-up writable data segment with the whole
 * chunk inside its limit, elements aligned and inside one page, RAM behind the page (no MMIO,
 * reserved region or page holding translated code), and for MOVS no overlap that an element-by-
 * element forward copy would treat differently from memmove. Anything else returns 0 and the caller
 * takes the per-element path, which raises faults at the exact element. Translation goes through
 * `Mmu.translate`, so paging faults, A/D bits and the TLB behave as for single accesses: a #PF on
 * the first element of a chunk is the same #PF the per-element path would raise.
 */
import { Seg } from '../frontend/insn.js';
import type { Cpu } from './cpu.js';

/** Elements of `size` bytes at seg:off that fit the segment limit, up to `max` (0 if unusable). */
function segRoom(cpu: Cpu, seg: number, off: number, size: number, max: number, write: boolean): number {
  const attr = cpu.segAttr[seg];
  // Data segment (S = 1, code = 0), expand-up, writable when written.
  if ((attr & 0x1c) !== 0x10 || (write && (attr & 0x02) === 0)) return 0;
  const room = Math.floor(((cpu.segLimit[seg] >>> 0) - (off >>> 0) + 1) / size);
  return room < max ? room : max;
}

/** Host byte offset of the page-contained run at linear `lin`, or -1 (translation may #PF). */
function hostRun(cpu: Cpu, lin: number, write: boolean): number {
  const mmu = cpu.mmu;
  const phys = mmu.phys;
  const host = phys.hostOffset(mmu.translate(lin, write, cpu.cpl === 3));
  if (host < 0 || (write && phys.codePages[host >>> 12] !== 0)) return -1;
  return host;
}

/** Elements left in the page of `lin` for aligned elements of `size`; 0 if misaligned. */
function pageRoom(lin: number, size: number): number {
  if ((lin & (size - 1)) !== 0) return 0;
  return (0x1000 - (lin & 0xfff)) / size;
}

/** REP STOS of `value` for up to `count` (> 0) elements at ES:EDI. Returns elements stored. */
export function bulkStos(cpu: Cpu, size: number, value: number, count: number): number {
  const di = cpu.regs[7];
  let n = segRoom(cpu, Seg.ES, di, size, count, true);
  if (n === 0) return 0;
  const lin = (cpu.segBase[Seg.ES] + di) | 0;
  const pr = pageRoom(lin, size);
  if (pr < n) n = pr;
  if (n === 0) return 0;
  const host = hostRun(cpu, lin, true);
  if (host < 0) return 0;
  const phys = cpu.mmu.phys;
  if (size === 1) phys.u8.fill(value, host, host + n);
  else if (size === 2) phys.u16.fill(value, host >>> 1, (host >>> 1) + n);
  else phys.i32.fill(value, host >>> 2, (host >>> 2) + n);
  return n;
}

/** REP MOVS from srcSeg:ESI to ES:EDI for up to `count` (> 0) elements. Returns elements moved. */
export function bulkMovs(cpu: Cpu, size: number, srcSeg: number, count: number): number {
  const si = cpu.regs[6], di = cpu.regs[7];
  let n = segRoom(cpu, srcSeg, si, size, count, false);
  if (n === 0) return 0;
  const m = segRoom(cpu, Seg.ES, di, size, n, true);
  if (m < n) n = m;
  if (n === 0) return 0;
  const srcLin = (cpu.segBase[srcSeg] + si) | 0;
  const dstLin = (cpu.segBase[Seg.ES] + di) | 0;
  const a = pageRoom(srcLin, size), b = pageRoom(dstLin, size);
  if (a < n) n = a;
  if (b < n) n = b;
  if (n === 0) return 0;
  // Source first: the per-element path reads before it writes, so a fault on both reports the read.
  const src = hostRun(cpu, srcLin, false);
  if (src < 0) return 0;
  const dst = hostRun(cpu, dstLin, true);
  if (dst < 0) return 0;
  const bytes = n * size;
  // A forward element copy into [src+1, src+bytes) replicates the pattern; copyWithin would not.
  if (dst > src && dst < src + bytes) return 0;
  cpu.mmu.phys.u8.copyWithin(dst, src, src + bytes);
  return n;
}
