import { describe, expect, it } from 'vitest';
import { buildE820, E820Type, usableEndFrom } from '../../src/loader/e820.js';

const MiB = 1 << 20;

describe('e820 map', () => {
  it('has conventional memory, the legacy hole and high RAM', () => {
    expect(buildE820({ ramSize: 64 * MiB })).toEqual([
      { addr: 0, size: 0x9fc00, type: E820Type.RAM },
      { addr: 0x9fc00, size: 0x100000 - 0x9fc00, type: E820Type.RESERVED },
      { addr: 0x100000, size: 63 * MiB, type: E820Type.RAM },
    ]);
  });

  it('marks the hypervisor reserved region at the top of RAM as type 2', () => {
    const map = buildE820({ ramSize: 128 * MiB, reserved: [{ addr: 120 * MiB, size: 8 * MiB }] });
    expect(map.slice(2)).toEqual([
      { addr: 0x100000, size: 119 * MiB, type: E820Type.RAM },
      { addr: 120 * MiB, size: 8 * MiB, type: E820Type.RESERVED },
    ]);
    expect(usableEndFrom(map, 0x100000)).toBe(120 * MiB);
    expect(usableEndFrom(map, 121 * MiB)).toBe(0);
  });

  it('splits RAM around a region in the middle and merges neighbours of one type', () => {
    const map = buildE820({ ramSize: 32 * MiB, reserved: [{ addr: 8 * MiB, size: MiB }], acpi: { addr: 9 * MiB, size: 0x10000 } });
    expect(map.slice(2)).toEqual([
      { addr: 0x100000, size: 7 * MiB, type: E820Type.RAM },
      { addr: 8 * MiB, size: MiB, type: E820Type.RESERVED },
      { addr: 9 * MiB, size: 0x10000, type: E820Type.ACPI },
      { addr: 9 * MiB + 0x10000, size: 23 * MiB - 0x10000, type: E820Type.RAM },
    ]);
    // A reserved region touching the legacy hole merges with it.
    const low = buildE820({ ramSize: 4 * MiB, reserved: [{ addr: 0x100000, size: 0x100000 }] });
    expect(low[1]).toEqual({ addr: 0x9fc00, size: 0x200000 - 0x9fc00, type: E820Type.RESERVED });
  });

  it('entries are sorted and never overlap', () => {
    const map = buildE820({ ramSize: 256 * MiB, reserved: [{ addr: 248 * MiB, size: 8 * MiB }, { addr: 0x500000, size: 0x3000 }], extra: [{ addr: 0xfffc0000, size: 0x40000, type: E820Type.RESERVED }] });
    for (let i = 1; i < map.length; i++) expect(map[i].addr).toBeGreaterThanOrEqual(map[i - 1].addr + map[i - 1].size);
    expect(map[map.length - 1]).toEqual({ addr: 0xfffc0000, size: 0x40000, type: E820Type.RESERVED });
  });
});
