/**
 * The BIOS e820 memory map the loaders hand to the guest (ACPI spec §15, "System Address Map
 * Interfaces"; Linux reads it from boot_params.e820_table, multiboot kernels from mmap_addr).
 *
 * Built from the machine's configuration: conventional memory below the EBDA, the legacy hole
 * 0x9fc00-0xfffff (EBDA, VGA window, BIOS area) marked reserved, RAM from 1 MiB to the top, and on
 * top of that the hypervisor's reserved region (type 2: a guest that follows the map never touches
 * it; the nested page table makes sure one that does gets nothing) and the ACPI tables if they lie
 * in RAM (type 3). Later layers win where they overlap; adjacent entries of one type are merged.
 */
import { LoaderError, formatSize, hex } from './errors.js';
import { Layout } from './layout.js';

export const E820Type = { RAM: 1, RESERVED: 2, ACPI: 3, NVS: 4, UNUSABLE: 5 } as const;

export interface Region {
  addr: number;
  size: number;
}

export interface E820Entry extends Region {
  type: number;
}

export interface E820Options {
  /** Bytes of guest RAM (guest-physical 0 .. ramSize). */
  ramSize: number;
  /** Regions the guest must not use (the hypervisor's reserved region...). */
  reserved?: Region[];
  /** ACPI tables, when they live in RAM (inside the BIOS area they are already reserved). */
  acpi?: Region;
  /** Anything else, applied last (e.g. firmware ranges below 4 GiB). */
  extra?: E820Entry[];
}

export function buildE820(opts: E820Options): E820Entry[] {
  const { ramSize } = opts;
  if (!(ramSize > 0) || ramSize > Layout.FOUR_GIB) throw new LoaderError(`memory size ${formatSize(ramSize)} is not between 1 byte and 4 GiB`);
  const layers: E820Entry[] = [];
  layers.push({ addr: 0, size: Math.min(ramSize, Layout.EBDA), type: E820Type.RAM });
  if (ramSize > Layout.HIGH_MEMORY) layers.push({ addr: Layout.HIGH_MEMORY, size: ramSize - Layout.HIGH_MEMORY, type: E820Type.RAM });
  layers.push({ addr: Layout.EBDA, size: Layout.HIGH_MEMORY - Layout.EBDA, type: E820Type.RESERVED });
  for (const r of opts.reserved ?? []) {
    if (r.size <= 0 || r.addr < 0 || r.addr + r.size > Layout.FOUR_GIB) throw new LoaderError(`reserved region ${hex(r.addr)}+${formatSize(r.size)} is outside the 4 GiB physical space`);
    layers.push({ addr: r.addr, size: r.size, type: E820Type.RESERVED });
  }
  if (opts.acpi) layers.push({ ...opts.acpi, type: E820Type.ACPI });
  for (const e of opts.extra ?? []) layers.push({ ...e });
  return flatten(layers);
}

/** Resolve overlapping layers (the last one covering a byte wins) into sorted, merged entries. */
function flatten(layers: E820Entry[]): E820Entry[] {
  const cuts = new Set<number>();
  for (const l of layers) {
    cuts.add(l.addr);
    cuts.add(l.addr + l.size);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: E820Entry[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const lo = points[i];
    const hi = points[i + 1];
    let type = 0;
    for (const l of layers) if (l.addr <= lo && hi <= l.addr + l.size) type = l.type;
    if (type === 0) continue;
    const last = out[out.length - 1];
    if (last && last.type === type && last.addr + last.size === lo) last.size += hi - lo;
    else out.push({ addr: lo, size: hi - lo, type });
  }
  return out;
}

/** Usable RAM ranges of a map (type 1), sorted. */
export function usableRanges(map: readonly E820Entry[]): Region[] {
  return map.filter((e) => e.type === E820Type.RAM).map((e) => ({ addr: e.addr, size: e.size }));
}

/** The end of the usable RAM range that contains `addr` (0 if `addr` is not usable RAM). */
export function usableEndFrom(map: readonly E820Entry[], addr: number): number {
  for (const e of map) if (e.type === E820Type.RAM && e.addr <= addr && addr < e.addr + e.size) return e.addr + e.size;
  return 0;
}

/** Encode entries the way boot_params.e820_table stores them: u64 addr, u64 size, u32 type. */
export function encodeE820(map: readonly E820Entry[], out: DataView, offset: number): void {
  for (let i = 0; i < map.length; i++) {
    const o = offset + i * 20;
    out.setBigUint64(o, BigInt(map[i].addr), true);
    out.setBigUint64(o + 8, BigInt(map[i].size), true);
    out.setUint32(o + 16, map[i].type, true);
  }
}
