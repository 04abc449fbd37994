/**
 * 8- and 16-byte memory accesses of the SSE instructions, composed of 4-byte ones. Loads read
 * everything into a scratch buffer before the caller changes a register; stores check the whole
 * range first (segment limit and type, then both pages with Mmu.probeWrite) so that a #GP or #PF,
 * e.g. on a store crossing into an unmapped page, leaves memory unchanged (precise exceptions,
 * SDM Vol. 3 §6.5).
 */
import type { Cpu } from '../cpu.js';
import { raiseCode, Vec } from '../fault.js';
import { Seg } from '../../frontend/insn.js';
import { EF } from '../state.js';

/** Scratch lanes of the last load (little-endian dwords). */
export const loaded = new Int32Array(4);

/** Read `n` dwords (2 or 4) at seg:off into `loaded`. */
export function loadDwords(cpu: Cpu, seg: number, off: number, n: number): void {
  cpu.lin(seg, off, n << 2);
  for (let k = 0; k < n; k++) loaded[k] = cpu.readMem(seg, (off + (k << 2)) | 0, 4);
}

/** Write `n` dwords (2 or 4) of `src` starting at lane `first` to seg:off, all or nothing. */
export function storeDwords(cpu: Cpu, seg: number, off: number, src: Int32Array, first: number, n: number): void {
  const size = n << 2;
  // Protected mode (not VM86): only writable data segments can be written (SDM Vol. 3 §5.5).
  if ((cpu.segAttr[seg] & 0x0a) !== 0x02 && (cpu.cr0 & 1) !== 0 && (cpu.eflags & EF.VM) === 0) {
    raiseCode(cpu, seg === Seg.SS ? Vec.SS : Vec.GP, 0);
  }
  const lin = cpu.lin(seg, off, size);
  // Both pages are checked for a write before anything is written; a fault on the second page
  // reports its first byte in CR2, as the Mmu's own page-crossing accesses do.
  const user = cpu.cpl === 3;
  cpu.mmu.translate(lin, true, user);
  if ((lin & 0xfff) + size > 0x1000) cpu.mmu.translate((lin + size - 1) & ~0xfff, true, user);
  for (let k = 0; k < n; k++) cpu.writeMem(seg, (off + (k << 2)) | 0, 4, src[first + k]);
}
