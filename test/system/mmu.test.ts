/**
 * The MMU on its own (no instructions): 32-bit paging walks, rights, A/D bits, #PF error codes and
 * CR2, page-crossing accesses, and the software TLB's flush rules (CR3 keeps global pages; INVLPG
 * of a 4 MiB page drops the whole page).
 */
import { describe, expect, it } from 'vitest';
import { isFault } from '../../src/cpu/fault.js';
import { CR0, CR4 } from '../../src/cpu/state.js';
import { makeBench } from './harness.js';

const PD = 0x10000;
const PT = 0x11000;

function pagingBench() {
  const b = makeBench(4 << 20);
  b.phys.write32(PD, PT | 7);
  for (let p = 0; p < 1024; p++) b.phys.write32(PT + p * 4, (p << 12) | 7);
  b.cpu.cr3 = PD;
  b.cpu.cr0 |= CR0.PE | CR0.PG | CR0.WP;
  b.mmu.flush(true);
  return b;
}

/** Run `f`, expecting a #PF; returns [error code, CR2]. */
function pageFault(b: ReturnType<typeof makeBench>, f: () => void): [number, number] {
  try {
    f();
  } catch (e) {
    expect(isFault(e)).toBe(true);
    expect(b.cpu.excVector).toBe(14);
    return [b.cpu.excCode, b.cpu.cr2 >>> 0];
  }
  throw new Error('no page fault');
}

describe('Mmu', () => {
  it('is the identity with paging off', () => {
    const b = makeBench();
    b.mmu.write32(0x1234, 0x11223344);
    expect(b.phys.read32(0x1234)).toBe(0x11223344);
    expect(b.mmu.read16(0x1236)).toBe(0x1122);
  });

  it('checks both pages of a crossing write before writing either', () => {
    const b = pagingBench();
    b.phys.write32(PT + 0x21 * 4, 0); // 0x21000 not present
    b.phys.write32(0x20ffc, 0x55667788);
    const [code, cr2] = pageFault(b, () => b.mmu.write32(0x20ffe, 0xaabbccdd));
    expect(code).toBe(2);
    expect(cr2).toBe(0x21000);
    expect(b.phys.read32(0x20ffc)).toBe(0x55667788);
    // A crossing read of two present pages assembles the bytes in order.
    b.phys.write32(PT + 0x21 * 4, 0x21007);
    b.mmu.flush(false);
    b.phys.write32(0x21000, 0x04030201);
    b.phys.write32(0x20ffc, 0x00ffeedd);
    expect(b.mmu.read32(0x20fff) >>> 0).toBe(0x03020100);
  });

  it('reports user/write/present in the error code', () => {
    const b = pagingBench();
    b.phys.write32(PT + 0x30 * 4, 0x30003); // supervisor, writable
    b.phys.write32(PT + 0x31 * 4, 0x31005); // user, read-only
    b.cpu.cpl = 3;
    expect(pageFault(b, () => b.mmu.read8(0x30000))).toEqual([5, 0x30000]);
    expect(pageFault(b, () => b.mmu.write8(0x31001, 1))).toEqual([7, 0x31001]);
    expect(b.mmu.read8(0x31001)).toBe(0);
    b.cpu.cpl = 0;
    expect(pageFault(b, () => b.mmu.write8(0x31002, 1))).toEqual([3, 0x31002]);
    b.cpu.cr0 &= ~CR0.WP;
    b.mmu.flush(true);
    b.mmu.write8(0x31002, 9); // WP = 0: the supervisor may write read-only pages
    expect(b.phys.read8(0x31002)).toBe(9);
    // Implicit supervisor accesses ignore CPL 3.
    b.cpu.cpl = 3;
    b.mmu.sysWrite32(0x30000, 0x1234);
    expect(b.phys.read32(0x30000)).toBe(0x1234);
  });

  it('sets accessed on read and dirty on the first write even after a cached read', () => {
    const b = pagingBench();
    b.mmu.read32(0x5000);
    expect(b.phys.read32(PT + 5 * 4) & 0x60).toBe(0x20);
    b.mmu.write32(0x5000, 1);
    expect(b.phys.read32(PT + 5 * 4) & 0x60).toBe(0x60);
  });

  it('keeps global pages across CR3 flushes only with CR4.PGE, and INVLPG drops a whole 4 MiB page', () => {
    const b = pagingBench();
    b.cpu.cr4 |= CR4.PGE | CR4.PSE;
    b.phys.write32(PD + 4, 0x00000183); // 0x400000: global 4 MiB page -> 0
    b.phys.write32(PT + 6 * 4, 0x6007); // not global
    b.phys.write32(0x6000, 0x66);
    expect(b.mmu.read32(0x406000)).toBe(0x66);
    expect(b.mmu.read32(0x6000)).toBe(0x66);
    // Change both mappings in memory; a non-global flush keeps only the global translation.
    b.phys.write32(PD + 4, 0);
    b.phys.write32(PT + 6 * 4, 0x7007);
    b.phys.write32(0x7000, 0x77);
    b.mmu.flush(false);
    expect(b.mmu.read32(0x406000)).toBe(0x66);
    expect(b.mmu.read32(0x6000)).toBe(0x77);
    b.mmu.invlpg(0x7ff000); // another page of the same 4 MiB mapping
    expect(pageFault(b, () => b.mmu.read32(0x406000))).toEqual([0, 0x406000]);
  });

  it('drops a page on CR3 flush once INVLPG and a non-global refill replaced its global entry', () => {
    const b = pagingBench();
    b.cpu.cr4 |= CR4.PGE;
    b.phys.write32(PT + 8 * 4, 0x8107); // global
    b.phys.write32(0x8000, 0x88);
    b.phys.write32(0x9000, 0x99);
    expect(b.mmu.read32(0x8000)).toBe(0x88);
    b.phys.write32(PT + 8 * 4, 0x8007); // no longer global
    b.mmu.invlpg(0x8000);
    expect(b.mmu.read32(0x8000)).toBe(0x88);
    b.phys.write32(PT + 8 * 4, 0x9007);
    b.mmu.flush(false);
    expect(b.mmu.read32(0x8000)).toBe(0x99);
    // And a global page survives any number of CR3 flushes until a global flush.
    b.phys.write32(PT + 8 * 4, 0x8107);
    b.mmu.invlpg(0x8000);
    expect(b.mmu.read32(0x8000)).toBe(0x88);
    b.phys.write32(PT + 8 * 4, 0x9107);
    b.mmu.flush(false);
    b.mmu.flush(false);
    expect(b.mmu.read32(0x8000)).toBe(0x88);
    b.mmu.flush(true);
    expect(b.mmu.read32(0x8000)).toBe(0x99);
  });

  it('raises a reserved-bit fault for a 4 MiB PDE with bits 21:13 set', () => {
    const b = pagingBench();
    b.cpu.cr4 |= CR4.PSE;
    b.phys.write32(PD + 8, 0x00002083);
    expect(pageFault(b, () => b.mmu.read8(0x800000))).toEqual([9, 0x800000]);
  });
});
