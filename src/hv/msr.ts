/**
 * Model-specific registers the guest may use (SDM Vol. 4). Anything not in this table raises #GP(0)
 * in the guest (SDM Vol. 2B RDMSR/WRMSR) and is counted, so a surprising MSR shows in --stats.
 */
/** The CPU state the MSRs hold (SYSENTER, SDM Vol. 3 §5.8.7): defined here, implemented by the
 *  CPU, so the hypervisor does not import the CPU (DESIGN.md "Layers"). */
export interface MsrCpuState {
  sysenterCs: number;
  sysenterEsp: number;
  sysenterEip: number;
}

export const Msr = {
  TSC: 0x10,
  APIC_BASE: 0x1b,
  SYSENTER_CS: 0x174,
  SYSENTER_ESP: 0x175,
  SYSENTER_EIP: 0x176,
  /** IA32_TSC_AUX: what RDTSCP returns in ECX. */
  TSC_AUX: 0xc0000103,
  /** AMD K7 legacy performance counters: event selects 0xC0010000-3, counters 0xC0010004-7. */
  K7_EVNTSEL0: 0xc0010000 | 0,
  K7_PERFCTR3: 0xc0010007 | 0,
} as const;

/**
 * Software with no vendor match falls back to AMD's legacy PMU (kvm-unit-tests' lib/x86/pmu.c
 * resets the K7 counters at start-up). We provide those eight MSRs as a PMU whose counters never
 * count: event selects keep what is written, counters read what was last written.
 */
const K7_PMU_COUNT = 8;

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
  tscAux = 0;
  private readonly k7Pmu = new Float64Array(K7_PMU_COUNT);

  constructor(
    private readonly cpu: MsrCpuState,
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
      case Msr.TSC_AUX:
        lo = this.tscAux;
        break;
      default: {
        const k = (msr - Msr.K7_EVNTSEL0) >>> 0;
        if (k >= K7_PMU_COUNT) return this.unknown(msr, true);
        const v = this.k7Pmu[k];
        lo = v % 0x100000000 | 0;
        hi = Math.floor(v / 0x100000000) | 0;
      }
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
      case Msr.TSC_AUX:
        this.tscAux = lo;
        return true;
      default: {
        const k = (msr - Msr.K7_EVNTSEL0) >>> 0;
        if (k >= K7_PMU_COUNT) return this.unknown(msr, false);
        // Counters are 48 bits wide on K7-style PMUs.
        this.k7Pmu[k] = (hi & 0xffff) * 0x100000000 + (lo >>> 0);
        return true;
      }
    }
  }

  private unknown(msr: number, read: boolean): false {
    if (read) this.unknownReads++;
    else this.unknownWrites++;
    this.lastUnknown = msr >>> 0;
    return false;
  }
}
