/** GuestPeek: reads through 32-bit paging without faults and without touching the page tables. */
import { describe, expect, it } from 'vitest';
import { CR0, CR4 } from '../../src/cpu/state.js';
import { GuestPeek } from '../../src/cpu/guest-peek.js';
import { machine } from '../cpu-int/harness.js';

const PD = 0x40000, PT = 0x41000;

function paged() {
  const t = machine();
  // 0xc0001000 -> 0x5000 (4 KiB page); 0x80000000 -> 0x0 (4 MiB page); 0xc0002000 not present.
  t.phys.write32(PD + ((0xc0001000 >>> 22) << 2), PT | 3);
  t.phys.write32(PT + (((0xc0001000 >>> 12) & 0x3ff) << 2), 0x5000 | 3);
  t.phys.write32(PD + ((0x80000000 >>> 22) << 2), 0x00000083);
  t.cpu.cr3 = PD;
  t.cpu.cr4 |= CR4.PSE;
  t.cpu.cr0 |= CR0.PG;
  t.cpu.mmu.flush(true);
  t.phys.write32(0x5010, 0x11223344);
  t.phys.write32(0x0ffc, 0xaabbccdd);
  t.phys.write32(0x1000, 0x55667788);
  return t;
}

describe('GuestPeek', () => {
  it('translates 4 KiB and 4 MiB pages, page-crossing reads included', () => {
    const t = paged();
    const p = new GuestPeek(t.cpu, t.phys);
    expect(p.read32(0xc0001010)).toBe(0x11223344);
    expect(p.ok).toBe(true);
    expect(p.read32(0x80000ffc)).toBe(0xaabbccdd);
    expect(p.read32(0x80000ffe)).toBe(0x7788aabb);
    expect(p.read8(0xc0001013)).toBe(0x11);
    expect(p.ok).toBe(true);
  });

  it('reports unmapped addresses through ok, without faulting or setting accessed bits', () => {
    const t = paged();
    const p = new GuestPeek(t.cpu, t.phys);
    expect(p.read32(0xc0002000)).toBe(0);
    expect(p.ok).toBe(false);
    p.ok = true;
    p.read8(0x10000000); // no page table at all
    expect(p.ok).toBe(false);
    expect(t.phys.read32(PD + ((0xc0001000 >>> 22) << 2)) & 0x20).toBe(0);
    expect(t.phys.read32(PT + 4) & 0x20).toBe(0);
    expect(t.cpu.mmu.tlbReadS[0xc0001]).toBe(-1);
  });

  it('reads physical memory directly with paging off, RAM only', () => {
    const t = paged();
    t.cpu.cr0 &= ~CR0.PG;
    const p = new GuestPeek(t.cpu, t.phys);
    expect(p.read32(0x5010)).toBe(0x11223344);
    expect(p.ok).toBe(true);
    p.read8(0x7ff00000); // beyond RAM
    expect(p.ok).toBe(false);
  });
});
