/**
 * Side-effect-free reads of guest linear memory for the profiler and the source maps (stack walks, disassembly of hot
 * blocks): a page walk of its own that never faults, never sets accessed/dirty bits, never fills the
 * MMU's TLB, and reads RAM only (an MMIO page could have side effects; reserved pages read nothing).
 *
 *   const peek = new GuestPeek(cpu, phys);
 *   const v = peek.read32(lin); if (!peek.ok) ...   // ok = false when the address is not readable
 *
 * 32-bit paging with 4 KiB and (CR4.PSE) 4 MiB pages, SDM Vol. 3 §4.3; without CR0.PG linear =
 * physical. Present bits are checked; privilege is not (the profiler is the hypervisor, it may look).
 */
import type { CpuState } from './state.js';
import { CR0, CR4 } from './state.js';
import type { ByteSource } from '../frontend/insn.js';
import type { PhysMemory } from '../mem/phys.js';

export class GuestPeek implements ByteSource {
  /** False after a read of an address that is not mapped to guest RAM. */
  ok = true;

  constructor(
    private readonly cpu: CpuState,
    private readonly phys: PhysMemory,
  ) {}

  /** Host byte offset of linear `lin` in PhysMemory.u8, or -1. */
  hostOf(lin: number): number {
    const cpu = this.cpu;
    const phys = this.phys;
    let pa = lin >>> 0;
    if ((cpu.cr0 & CR0.PG) !== 0) {
      const pdeAddr = (cpu.cr3 & ~0xfff) | ((lin >>> 22) << 2);
      const pdeHost = phys.hostOffset(pdeAddr);
      if (pdeHost < 0) return -1;
      const pde = phys.i32[pdeHost >>> 2];
      if ((pde & 1) === 0) return -1;
      if ((pde & 0x80) !== 0 && (cpu.cr4 & CR4.PSE) !== 0) {
        pa = ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
      } else {
        const pteHost = phys.hostOffset((pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2));
        if (pteHost < 0) return -1;
        const pte = phys.i32[pteHost >>> 2];
        if ((pte & 1) === 0) return -1;
        pa = ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
      }
    }
    return phys.hostOffset(pa);
  }

  read8(lin: number): number {
    const h = this.hostOf(lin);
    if (h < 0) {
      this.ok = false;
      return 0;
    }
    return this.phys.u8[h];
  }

  /** Little-endian 32-bit read, unsigned. Sets `ok = false` (and returns 0) when unreadable. */
  read32(lin: number): number {
    if ((lin & 0xfff) <= 0xffc) {
      const h = this.hostOf(lin);
      if (h < 0) {
        this.ok = false;
        return 0;
      }
      const u = this.phys.u8;
      return (u[h] | (u[h + 1] << 8) | (u[h + 2] << 16) | (u[h + 3] << 24)) >>> 0;
    }
    return (this.read8(lin) | (this.read8(lin + 1) << 8) | (this.read8(lin + 2) << 16) | (this.read8(lin + 3) << 24)) >>> 0;
  }

  /** ByteSource for the decoder: unreadable bytes read as 0 (check `ok` afterwards). */
  fetch8(lin: number): number {
    return this.read8(lin);
  }
}
