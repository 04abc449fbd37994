/**
 * The hypervisor's reserved region: a slice of the machine's RAM that the nested page table hides
 * from the guest (mem/phys.ts NPT_RESERVED). Guest reads get all-ones and guest writes are dropped
 * and counted, whatever path they take. The hypervisor keeps live data of its own there — a header
 * and its VM-exit counters — so a leak in either direction would show: the guest would read
 * something other than all-ones, or the counters would change under a guest write.
 */
import { EXIT_REASON_COUNT } from '../cpu/exit.js';
import { NPT_RESERVED, PAGE_SIZE, PhysMemory } from '../mem/phys.js';

export interface ReservedRegion {
  /** Guest-physical (and host) address, page aligned. */
  addr: number;
  size: number;
}

/** Magic at the start of the region: "x86jitHV" then a version word. */
export const RESERVED_MAGIC = 'x86jitHV';
export const RESERVED_COUNTERS_OFFSET = 16;

export const DEFAULT_RESERVE = 8 * 1024 * 1024;

/** Parse `SIZE[@ADDR]` (sizes like 8M, 512K, 0; ADDR like 0x7800000). Default address: top of RAM. */
export function parseReserve(spec: string, ramBytes: number): ReservedRegion | null {
  const m = /^\s*([0-9]+[KMG]?|0x[0-9a-f]+)\s*(?:@\s*(0x[0-9a-f]+|[0-9]+[KMG]?))?\s*$/i.exec(spec);
  if (!m) throw new Error(`--reserve: expected SIZE[@ADDR] (e.g. 8M or 8M@0x1000000), got "${spec}"`);
  const size = parseSize(m[1]);
  if (size === 0) return null;
  const addr = m[2] !== undefined ? parseSize(m[2]) : ramBytes - size;
  if (size % PAGE_SIZE !== 0 || addr % PAGE_SIZE !== 0) throw new Error('--reserve: size and address must be multiples of 4 KiB');
  if (addr < 0) throw new Error(`--reserve: ${spec.trim()} does not fit in ${ramBytes / 2 ** 20} MiB of guest RAM (-m/--mem)`);
  if (addr < 0x100000 || addr + size > ramBytes) {
    throw new Error(`--reserve: region 0x${addr.toString(16)}+0x${size.toString(16)} must lie inside RAM above 1 MiB`);
  }
  if (size < PAGE_SIZE) throw new Error('--reserve: at least 4K');
  return { addr, size };
}

/** Parse sizes such as 128M, 64k, 1G, 0x1000, 4096 (bytes). */
export function parseSize(s: string): number {
  const m = /^(0x[0-9a-f]+|[0-9]+)([KMG]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad size "${s}" (expected e.g. 128M, 64K, 1G or a byte count)`);
  const n = m[1].toLowerCase().startsWith('0x') ? parseInt(m[1], 16) : parseInt(m[1], 10);
  const unit = m[2].toUpperCase();
  return n * (unit === 'G' ? 1 << 30 : unit === 'M' ? 1 << 20 : unit === 'K' ? 1024 : 1);
}

/**
 * Hide the region from the guest and lay out the hypervisor's own data in it. Returns the exit
 * counters (Float64Array over the region's host bytes).
 */
export function installReservedRegion(phys: PhysMemory, r: ReservedRegion): Float64Array {
  phys.mapRange(r.addr, r.size, NPT_RESERVED);
  const header = phys.hostView(r.addr, RESERVED_COUNTERS_OFFSET);
  for (let k = 0; k < RESERVED_MAGIC.length; k++) header[k] = RESERVED_MAGIC.charCodeAt(k);
  header[8] = 1; // layout version
  return new Float64Array(phys.buffer, r.addr + RESERVED_COUNTERS_OFFSET, EXIT_REASON_COUNT);
}
