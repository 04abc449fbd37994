/**
 * CPUID policy: what the guest is told about the processor (SDM Vol. 2A, CPUID). We advertise an
 * i686 (family 6) of our own vendor, exactly the features x86jit implements, the hypervisor-present
 * bit (ECX bit 31 of leaf 1) and a hypervisor leaf range at 0x40000000 with our signature, as KVM
 * and Xen do (Linux's arch/x86/kernel/cpu/hypervisor.c reads it).
 */

export const VENDOR = 'x86jitx86jit'; // 12 bytes: EBX, EDX, ECX order
export const HV_SIGNATURE = 'x86jitHVx86j'; // 12 bytes: EBX, ECX, EDX
export const BRAND = 'x86jit virtual i686 CPU';

/** CPUID.1:EDX feature bits (SDM Vol. 2A Table 3-11). */
export const Feat = {
  FPU: 1 << 0,
  DE: 1 << 2,
  PSE: 1 << 3,
  TSC: 1 << 4,
  MSR: 1 << 5,
  CX8: 1 << 8,
  APIC: 1 << 9,
  SEP: 1 << 11,
  PGE: 1 << 13,
  CMOV: 1 << 15,
  FXSR: 1 << 24,
} as const;

/** CPUID.80000001H:EDX bits (SDM Vol. 2A Table 3-8). */
export const ExtFeat = {
  /** RDTSCP and IA32_TSC_AUX (used by kvm-unit-tests' tsc test; harmless to Linux). */
  RDTSCP: 1 << 27,
} as const;

export interface CpuidOptions {
  apic: boolean;
  fxsr: boolean;
}

/** Family 6, model 6, stepping 3 (the reset EDX value of cpu.ts). */
const SIGNATURE = (6 << 8) | (6 << 4) | 3;

function str4(s: string, at: number): number {
  let v = 0;
  for (let k = 3; k >= 0; k--) v = (v << 8) | (s.charCodeAt(at + k) || 0);
  return v | 0;
}

export class CpuidPolicy {
  readonly featuresEdx: number;
  private readonly brand: string;

  constructor(opts: CpuidOptions) {
    let f = Feat.FPU | Feat.PSE | Feat.TSC | Feat.MSR | Feat.CX8 | Feat.SEP | Feat.PGE | Feat.CMOV;
    if (opts.apic) f |= Feat.APIC;
    if (opts.fxsr) f |= Feat.FXSR;
    this.featuresEdx = f;
    this.brand = BRAND.padEnd(48, '\0');
  }

  /** Fill out[0..3] = EAX, EBX, ECX, EDX for leaf `eax`, subleaf `ecx`. */
  query(eax: number, _ecx: number, out: Int32Array): void {
    out[0] = out[1] = out[2] = out[3] = 0;
    const leaf = eax >>> 0;
    switch (leaf) {
      case 0:
        out[0] = 1;
        out[1] = str4(VENDOR, 0);
        out[3] = str4(VENDOR, 4);
        out[2] = str4(VENDOR, 8);
        return;
      case 1:
        out[0] = SIGNATURE;
        out[1] = 0; // brand index 0, CLFLUSH size 0, one logical CPU, initial APIC ID 0
        out[2] = 1 << 31; // hypervisor present
        out[3] = this.featuresEdx;
        return;
      case 0x40000000:
        out[0] = 0x40000000;
        out[1] = str4(HV_SIGNATURE, 0);
        out[2] = str4(HV_SIGNATURE, 4);
        out[3] = str4(HV_SIGNATURE, 8);
        return;
      case 0x80000000:
        out[0] = 0x80000004 | 0;
        return;
      case 0x80000001:
        out[3] = ExtFeat.RDTSCP;
        return;
      case 0x80000002:
      case 0x80000003:
      case 0x80000004: {
        const at = (leaf - 0x80000002) * 16;
        for (let r = 0; r < 4; r++) out[r] = str4(this.brand, at + r * 4);
        return;
      }
      default:
        // Leaves above the maximum: Intel returns the highest basic leaf's data; we return zeros
        // (as AMD does), which Linux accepts.
        return;
    }
  }
}
