/**
 * A local xAPIC (Intel SDM Vol. 3A, chapter 10 "Advanced Programmable Interrupt Controller") for a
 * single CPU, memory-mapped at 0xFEE00000 (4 KiB), with the IA32_APIC_BASE MSR.
 *
 * Registers (offset): 0x20 ID, 0x30 version, 0x80 TPR, 0x90 APR, 0xA0 PPR, 0xB0 EOI, 0xD0 LDR,
 * 0xE0 DFR, 0xF0 SVR, 0x100-0x170 ISR, 0x180-0x1F0 TMR, 0x200-0x270 IRR, 0x280 ESR, 0x2F0 LVT CMCI,
 * 0x300/0x310 ICR, 0x320 LVT timer, 0x330 thermal, 0x340 perf, 0x350 LINT0, 0x360 LINT1,
 * 0x370 error, 0x380 initial count, 0x390 current count, 0x3E0 divide configuration.
 *
 * - Fixed interrupts are accepted into IRR; the highest is delivered when its priority class is
 *   above PPR (§10.8.3.1); INTA moves it to ISR; EOI clears the highest ISR bit (§10.8.5); with
 *   nothing deliverable at INTA the spurious vector (SVR) is returned (§10.9).
 * - Timer (§10.5.4): one-shot or periodic, counting at APIC_BUS_HZ divided by the divide
 *   configuration; current count is computed from the virtual clock. TSC-deadline mode is not
 *   offered (CPUID must not announce it).
 * - ICR (§10.6): fixed/lowest-priority IPIs that reach this CPU (self, all-including-self,
 *   physical ID match or broadcast, logical flat/cluster match) are accepted; NMI to self sets
 *   `nmiPending` (taken by the CPU through the interrupt router); INIT and SIPI have no other CPU
 *   to reach and are dropped, as is an INIT level de-assert. Delivery status always reads idle.
 * - Software disable (SVR bit 8 = 0, §10.4.7.2) masks all LVT entries and stops delivery.
 * - LINT0 is reset to ExtINT, unmasked (what firmware leaves for virtual-wire mode), so the 8259
 *   reaches the CPU through LINT0 (see intr-router.ts).
 * The APIC cannot be relocated: writes to the base field of IA32_APIC_BASE are stored but the MMIO
 * range stays at 0xFEE00000.
 */
import type { InterruptSource } from '../cpu/cpu.js';
import type { MmioDevice } from '../hv/mmio-bus.js';
import type { Clock, TimedDevice } from './types.js';

export const APIC_DEFAULT_BASE = 0xfee00000;
export const APIC_MMIO_SIZE = 0x1000;
/** Timer input clock: 1 GHz, one tick per virtual nanosecond at divide-by-1. */
export const APIC_BUS_HZ = 1_000_000_000;

const BaseMsr = { BSP: 1 << 8, ENABLE: 1 << 11 } as const;
const LVT_MASKED = 1 << 16;
const SVR_ENABLE = 1 << 8;
/** LVT index: 0 CMCI, 1 timer, 2 thermal, 3 perf, 4 LINT0, 5 LINT1, 6 error. */
export const Lvt = { CMCI: 0, TIMER: 1, THERMAL: 2, PERF: 3, LINT0: 4, LINT1: 5, ERROR: 6 } as const;
/** Writable bits of each LVT entry (§10.5.1, Figure 10-8). */
const LVT_WRITABLE = [0x107ff, 0x700ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
const DeliveryMode = { FIXED: 0, LOWEST: 1, SMI: 2, NMI: 4, INIT: 5, SIPI: 6, EXTINT: 7 } as const;
const Esr = { SEND_ILLEGAL: 0x20, RECEIVE_ILLEGAL: 0x40, ILLEGAL_REGISTER: 0x80 } as const;

export class LocalApic implements MmioDevice, TimedDevice, InterruptSource {
  id = 0;
  base = APIC_DEFAULT_BASE;
  globallyEnabled = true;
  tpr = 0;
  svr = 0xff;
  ldr = 0;
  dfr = 0xffffffff | 0;
  esr = 0;
  private esrPending = 0;
  readonly irr = new Int32Array(8);
  readonly isr = new Int32Array(8);
  readonly tmr = new Int32Array(8);
  readonly lvt = new Int32Array(7);
  icrLow = 0;
  icrHigh = 0;
  /** An NMI was sent to this CPU (ICR); the CPU takes it through `takeNmi()`. */
  nmiPending = false;
  // Timer
  initialCount = 0;
  divideConfig = 0;
  private timerStart = 0;
  /** Virtual time of the next expiry, Infinity when stopped or a one-shot already fired. */
  private timerNext = Infinity;
  /** Cached: the highest IRR vector deliverable now, or -1 (recomputed on every change). */
  private deliverable = -1;

  constructor(private readonly clock: Clock) {
    this.reset();
  }

  reset(): void {
    this.tpr = 0;
    this.svr = 0xff;
    this.ldr = 0;
    this.dfr = 0xffffffff | 0;
    this.esr = this.esrPending = 0;
    this.irr.fill(0);
    this.isr.fill(0);
    this.tmr.fill(0);
    this.lvt.fill(LVT_MASKED);
    this.lvt[Lvt.LINT0] = DeliveryMode.EXTINT << 8; // virtual wire, as firmware leaves it
    this.icrLow = this.icrHigh = 0;
    this.nmiPending = false;
    this.initialCount = 0;
    this.divideConfig = 0;
    this.timerNext = Infinity;
    this.deliverable = -1;
  }

  // ------------------------------------------------------------------ IA32_APIC_BASE (MSR 0x1B)

  getBaseMsr(): number {
    return (this.base | BaseMsr.BSP | (this.globallyEnabled ? BaseMsr.ENABLE : 0)) | 0;
  }

  setBaseMsr(v: number): void {
    this.base = v & 0xfffff000;
    const enable = (v & BaseMsr.ENABLE) !== 0;
    if (!enable && this.globallyEnabled) {
      // Globally disabled (§10.4.3): as if absent; re-enabling starts from the reset state.
      this.reset();
      this.svr &= ~SVR_ENABLE;
    }
    this.globallyEnabled = enable;
    this.update();
  }

  get baseMsr(): number {
    return this.getBaseMsr();
  }

  set baseMsr(v: number) {
    this.setBaseMsr(v);
  }

  softwareEnabled(): boolean {
    return this.globallyEnabled && (this.svr & SVR_ENABLE) !== 0;
  }

  /** Whether the 8259's INTR reaches the CPU: APIC off, or LINT0 unmasked in ExtINT mode. */
  acceptsExtInt(): boolean {
    if (!this.globallyEnabled) return true;
    const l = this.lvt[Lvt.LINT0];
    return (l & LVT_MASKED) === 0 && ((l >> 8) & 7) === DeliveryMode.EXTINT;
  }

  // ------------------------------------------------------------------ interrupt acceptance

  private static highestBit(regs: Int32Array): number {
    for (let i = 7; i >= 0; i--) {
      const w = regs[i];
      if (w !== 0) return i * 32 + 31 - Math.clz32(w);
    }
    return -1;
  }

  ppr(): number {
    const isrv = LocalApic.highestBit(this.isr);
    const isrClass = isrv < 0 ? 0 : isrv & 0xf0;
    return (this.tpr & 0xf0) >= isrClass ? this.tpr & 0xff : isrClass;
  }

  private update(): void {
    this.deliverable = -1;
    if (!this.softwareEnabled()) return;
    const v = LocalApic.highestBit(this.irr);
    if (v >= 0 && (v & 0xf0) > (this.ppr() & 0xf0)) this.deliverable = v;
  }

  /** Accept a fixed interrupt with `vector` (level = set TMR). */
  acceptFixed(vector: number, level: boolean): void {
    vector &= 0xff;
    if (vector < 16) {
      this.signalError(Esr.RECEIVE_ILLEGAL);
      return;
    }
    const w = vector >> 5;
    const bit = 1 << (vector & 31);
    this.irr[w] |= bit;
    if (level) this.tmr[w] |= bit;
    else this.tmr[w] &= ~bit;
    this.update();
  }

  private signalError(bits: number): void {
    this.esrPending |= bits;
    const e = this.lvt[Lvt.ERROR];
    if ((e & LVT_MASKED) === 0 && this.softwareEnabled() && (e & 0xff) >= 16) this.acceptFixed(e & 0xff, false);
  }

  hasInterrupt(): boolean {
    return this.deliverable >= 0;
  }

  /** INTA: move the highest deliverable IRR vector to ISR; spurious vector if none. */
  acknowledge(): number {
    const v = this.deliverable;
    if (v < 0) return this.svr & 0xff;
    this.irr[v >> 5] &= ~(1 << (v & 31));
    this.isr[v >> 5] |= 1 << (v & 31);
    this.update();
    return v;
  }

  /** The CPU takes a pending NMI (returns true once per NMI sent). */
  takeNmi(): boolean {
    if (!this.nmiPending) return false;
    this.nmiPending = false;
    return true;
  }

  private eoi(): void {
    const v = LocalApic.highestBit(this.isr);
    if (v < 0) return;
    this.isr[v >> 5] &= ~(1 << (v & 31));
    this.update();
  }

  // ------------------------------------------------------------------ ICR

  private writeIcr(lo: number): void {
    this.icrLow = lo & ~(1 << 12); // delivery status: idle (sent at once)
    const vector = lo & 0xff;
    const mode = (lo >> 8) & 7;
    const logical = (lo & (1 << 11)) !== 0;
    const shorthand = (lo >> 18) & 3;
    let toSelf: boolean;
    switch (shorthand) {
      case 1:
      case 2:
        toSelf = true;
        break;
      case 3:
        toSelf = false;
        break;
      default:
        toSelf = this.matchesDestination(this.icrHigh >>> 24, logical);
    }
    if ((mode === DeliveryMode.FIXED || mode === DeliveryMode.LOWEST) && vector < 16) {
      this.signalError(Esr.SEND_ILLEGAL);
      return;
    }
    if (!toSelf) return;
    switch (mode) {
      case DeliveryMode.FIXED:
      case DeliveryMode.LOWEST:
        this.acceptFixed(vector, (lo & (1 << 15)) !== 0);
        break;
      case DeliveryMode.NMI:
        this.nmiPending = true;
        break;
      default:
        // INIT, SIPI, SMI to the only CPU: nothing to start (single-CPU machine).
        break;
    }
  }

  private matchesDestination(dest: number, logical: boolean): boolean {
    if (!logical) return dest === 0xff || dest === this.id;
    const ldr = this.ldr >>> 24;
    if (((this.dfr >>> 28) & 0xf) === 0xf) return (ldr & dest) !== 0; // flat model
    return (dest >> 4 === 0xf || dest >> 4 === ldr >> 4) && (dest & ldr & 0xf) !== 0; // cluster
  }

  // ------------------------------------------------------------------ timer

  private divisor(): number {
    const d = this.divideConfig;
    const v = (d & 3) | ((d >> 1) & 4);
    return 1 << ((v + 1) & 7); // 000 -> 2 ... 110 -> 128, 111 -> 1 (§10.5.4, Figure 10-10)
  }

  private tickNs(): number {
    return (this.divisor() * 1e9) / APIC_BUS_HZ;
  }

  private periodic(): boolean {
    return ((this.lvt[Lvt.TIMER] >> 17) & 3) === 1;
  }

  currentCount(now: number): number {
    if (this.initialCount === 0) return 0;
    const elapsed = Math.floor((now - this.timerStart) / this.tickNs());
    if (this.periodic()) return this.initialCount - (elapsed % this.initialCount);
    return elapsed >= this.initialCount ? 0 : this.initialCount - elapsed;
  }

  private startTimer(now: number): void {
    this.timerStart = now;
    this.timerNext = this.initialCount === 0 ? Infinity : now + this.initialCount * this.tickNs();
  }

  nextDeadline(_now: number): number {
    return this.timerNext;
  }

  advance(now: number): void {
    if (now < this.timerNext) return;
    const l = this.lvt[Lvt.TIMER];
    if ((l & LVT_MASKED) === 0 && this.softwareEnabled()) this.acceptFixed(l & 0xff, false);
    if (this.periodic() && this.initialCount !== 0) {
      const period = this.initialCount * this.tickNs();
      const k = Math.floor((now - this.timerStart) / period) + 1;
      this.timerNext = this.timerStart + k * period;
    } else this.timerNext = Infinity;
  }

  // ------------------------------------------------------------------ MMIO

  private readReg(reg: number): number {
    switch (reg) {
      case 0x20:
        return this.id << 24;
      case 0x30:
        return 0x00050014; // version 0x14 (xAPIC), max LVT entry 5 (§10.4.8)
      case 0x80:
        return this.tpr;
      case 0x90:
        return 0;
      case 0xa0:
        return this.ppr();
      case 0xd0:
        return this.ldr;
      case 0xe0:
        return this.dfr;
      case 0xf0:
        return this.svr;
      case 0x280:
        return this.esr;
      case 0x2f0:
        return this.lvt[Lvt.CMCI];
      case 0x300:
        return this.icrLow;
      case 0x310:
        return this.icrHigh;
      case 0x320:
      case 0x330:
      case 0x340:
      case 0x350:
      case 0x360:
      case 0x370:
        return this.lvt[((reg - 0x320) >> 4) + 1];
      case 0x380:
        return this.initialCount | 0;
      case 0x390:
        return this.currentCount(this.clock.now()) | 0;
      case 0x3e0:
        return this.divideConfig;
      default:
        if (reg >= 0x100 && reg < 0x280) {
          const i = (reg - 0x100) >> 4;
          const arr = i < 8 ? this.isr : i < 16 ? this.tmr : this.irr;
          return arr[i & 7];
        }
        return 0;
    }
  }

  private writeReg(reg: number, v: number): void {
    switch (reg) {
      case 0x20:
        this.id = (v >>> 24) & 0xff;
        return;
      case 0x80:
        this.tpr = v & 0xff;
        break;
      case 0xb0:
        this.eoi();
        return;
      case 0xd0:
        this.ldr = v & 0xff000000;
        return;
      case 0xe0:
        this.dfr = v | 0x0fffffff;
        return;
      case 0xf0:
        this.svr = v & 0x13ff;
        if ((v & SVR_ENABLE) === 0) for (let i = 0; i < 7; i++) this.lvt[i] |= LVT_MASKED;
        break;
      case 0x280:
        // A write latches the errors seen since the last write (§10.5.3).
        this.esr = this.esrPending;
        this.esrPending = 0;
        return;
      case 0x2f0:
        this.writeLvt(Lvt.CMCI, v);
        return;
      case 0x300:
        this.writeIcr(v);
        return;
      case 0x310:
        this.icrHigh = v & 0xff000000;
        return;
      case 0x320:
      case 0x330:
      case 0x340:
      case 0x350:
      case 0x360:
      case 0x370:
        this.writeLvt(((reg - 0x320) >> 4) + 1, v);
        return;
      case 0x380:
        this.initialCount = v >>> 0;
        this.startTimer(this.clock.now());
        return;
      case 0x3e0:
        this.divideConfig = v & 0xb;
        return;
      default:
        // Read-only registers (ID version PPR ISR TMR IRR current count): writes are ignored.
        return;
    }
    this.update();
  }

  private writeLvt(i: number, v: number): void {
    let x = v & LVT_WRITABLE[i];
    if (!this.softwareEnabled()) x |= LVT_MASKED;
    const wasPeriodic = this.periodic();
    this.lvt[i] = x;
    if (i === Lvt.TIMER && wasPeriodic !== this.periodic() && this.initialCount !== 0) {
      // A mode change re-arms the timer from its current count.
      const now = this.clock.now();
      const cur = this.currentCount(now);
      this.timerStart = now - (this.initialCount - cur) * this.tickNs();
      this.timerNext = cur === 0 && !this.periodic() ? Infinity : now + cur * this.tickNs();
    }
  }

  mmioRead(offset: number, size: number): number {
    const reg = offset & 0xff0;
    const v = (offset & 0xc) === 0 ? this.readReg(reg) : 0;
    if (size === 4) return v | 0;
    const shift = (offset & 3) * 8;
    return (v >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  mmioWrite(offset: number, size: number, value: number): void {
    if ((offset & 0xf) !== 0 || size !== 4) return; // registers are written as aligned dwords
    this.writeReg(offset & 0xff0, value | 0);
  }
}
