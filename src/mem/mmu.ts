/**
 * Linear -> physical translation for the CPU: the guest's own paging (SDM Vol. 3 §4.3, 32-bit
 * paging with 4 KiB and 4 MiB pages) with a software TLB, in front of guest-physical memory.
 *
 * SKELETON VERSION: paging off only (linear == physical). The system owner replaces the bodies with
 * paging + TLB + #PF, keeping this API.
 *
 * Accesses with the CPU's current privilege: read8..write32 (user access when CPL = 3).
 * Implicit supervisor accesses (GDT/LDT/IDT/TSS reads, SDM Vol. 3 §4.6.1): sysRead8..sysWrite32.
 * Values are returned as int32 for 32-bit reads (use >>> 0 for unsigned), zero-extended below.
 */
import type { ByteSource } from '../frontend/insn.js';
import type { CpuState } from '../cpu/state.js';
import type { PhysMemory } from './phys.js';

export class Mmu implements ByteSource {
  constructor(
    readonly phys: PhysMemory,
    readonly cpu: CpuState,
  ) {}

  read8(lin: number): number {
    return this.phys.read8(lin);
  }
  read16(lin: number): number {
    return this.phys.read16(lin);
  }
  read32(lin: number): number {
    return this.phys.read32(lin);
  }
  write8(lin: number, v: number): void {
    this.phys.write8(lin, v);
  }
  write16(lin: number, v: number): void {
    this.phys.write16(lin, v);
  }
  write32(lin: number, v: number): void {
    this.phys.write32(lin, v);
  }

  sysRead8(lin: number): number {
    return this.phys.read8(lin);
  }
  sysRead16(lin: number): number {
    return this.phys.read16(lin);
  }
  sysRead32(lin: number): number {
    return this.phys.read32(lin);
  }
  sysWrite8(lin: number, v: number): void {
    this.phys.write8(lin, v);
  }
  sysWrite16(lin: number, v: number): void {
    this.phys.write16(lin, v);
  }
  sysWrite32(lin: number, v: number): void {
    this.phys.write32(lin, v);
  }

  /** Instruction fetch (execute access). */
  fetch8(lin: number): number {
    return this.phys.read8(lin);
  }

  /** Drop TLB entries: all non-global ones, or everything when `includeGlobal`. */
  flush(_includeGlobal: boolean): void {}

  /** INVLPG. */
  invlpg(_lin: number): void {}
}
