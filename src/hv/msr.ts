/**
 * Model-specific registers the guest may use (SDM Vol. 4). Anything not in this table raises #GP(0)
 * in the guest (SDM Vol. 2B RDMSR/WRMSR) and is counted, so a surprising MSR shows in --stats.
 */
import type { CpuState } from '../cpu/state.js';

export const Msr = {
  TSC: 0x10,
  APIC_BASE: 0x1b,
  SYSENTER_CS: 0x174,
  SYSENTER_ESP: 0x175,
  SYSENTER_EIP: 0x176,
} as const;

export interface ApicBaseRegister {
  getBaseMsr(): number;
  setBaseMsr(v: number): void;
}

export interface TscSource {
  tsc(): number;
}

export class MsrTable {
  /** TSC value minus the clock's count (WRMSR to the TSC sets it). */
  tscOffset = 0;
  unknownReads = 0;
  unknownWrites = 0;
  lastUnknown = -1;

  constructor(
    private readonly cpu: CpuState,
    private readonly clock: TscSource,
    private readonly apic: ApicBaseRegister | null,
  ) {}

  /** Returns false for an unknown MSR (the guest gets #GP). */
  read(msr: number, out: Int32Array): boolean {
    let lo = 0;
    let hi = 0;
    switch (msr >>> 0) {
      case Msr.TSC: {
        const t = this.clock.tsc() + this.tscOffset;
        lo = t % 0x100000000 | 0;
        hi = Math.floor(t / 0x100000000) | 0;
        break;
      }
      case Msr.APIC_BASE:
        if (!this.apic) return this.unknown(msr, true);
        lo = this.apic.getBaseMsr();
        break;
      case Msr.SYSENTER_CS:
        lo = this.cpu.sysenterCs;
        break;
      case Msr.SYSENTER_ESP:
        lo = this.cpu.sysenterEsp;
        break;
      case Msr.SYSENTER_EIP:
        lo = this.cpu.sysenterEip;
        break;
      default:
        return this.unknown(msr, true);
    }
    out[0] = lo;
    out[1] = hi;
    return true;
  }

  write(msr: number, lo: number, hi: number): boolean {
    switch (msr >>> 0) {
      case Msr.TSC:
        this.tscOffset = (hi >>> 0) * 0x100000000 + (lo >>> 0) - this.clock.tsc();
        return true;
      case Msr.APIC_BASE:
        if (!this.apic) return this.unknown(msr, false);
        this.apic.setBaseMsr(lo);
        return true;
      case Msr.SYSENTER_CS:
        this.cpu.sysenterCs = lo & 0xffff;
        return true;
      case Msr.SYSENTER_ESP:
        this.cpu.sysenterEsp = lo;
        return true;
      case Msr.SYSENTER_EIP:
        this.cpu.sysenterEip = lo;
        return true;
      default:
        return this.unknown(msr, false);
    }
  }

  private unknown(msr: number, read: boolean): false {
    if (read) this.unknownReads++;
    else this.unknownWrites++;
    this.lastUnknown = msr >>> 0;
    return false;
  }
}
