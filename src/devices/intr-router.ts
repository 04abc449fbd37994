/**
 * Combines the local APIC and the 8259 pair into the CPU's one InterruptSource (the INTR pin and
 * INTA cycle). APIC fixed interrupts come first (they have their own priority scheme); the 8259's
 * INTR reaches the CPU through LINT0 in ExtINT mode ("virtual wire", Intel MultiProcessor
 * Specification 1.4 §3.6.2.2) or directly when the APIC is globally disabled. For an ExtINT the
 * vector comes from the 8259's INTA cycle and no APIC ISR bit is set (SDM Vol. 3A §10.5.1).
 * NMIs (an APIC NMI IPI) are offered separately through `takeNmi()`.
 */
import type { InterruptSource } from '../cpu/cpu.js';
import type { LocalApic } from './apic.js';
import type { PicPair } from './pic.js';

export class InterruptRouter implements InterruptSource {
  constructor(
    readonly pic: PicPair,
    readonly apic: LocalApic | null,
  ) {}

  private picRouted(): boolean {
    return this.apic === null || this.apic.acceptsExtInt();
  }

  hasInterrupt(): boolean {
    if (this.apic !== null && this.apic.hasInterrupt()) return true;
    return this.pic.hasInterrupt() && this.picRouted();
  }

  acknowledge(): number {
    if (this.apic !== null && this.apic.hasInterrupt()) return this.apic.acknowledge();
    return this.pic.acknowledge();
  }

  /** A pending NMI for the CPU (consumed by the call). */
  takeNmi(): boolean {
    return this.apic !== null && this.apic.takeNmi();
  }

  hasNmi(): boolean {
    return this.apic !== null && this.apic.nmiPending;
  }
}
