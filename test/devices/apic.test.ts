import { beforeEach, describe, expect, it } from 'vitest';
import { APIC_DEFAULT_BASE, LocalApic } from '../../src/devices/apic.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { ManualClock } from './helpers.js';

const A = APIC_DEFAULT_BASE;

describe('local xAPIC', () => {
  let mmio: MmioBus;
  let clock: ManualClock;
  let apic: LocalApic;
  const rd = (reg: number) => mmio.read(A + reg, 4) >>> 0;
  const wr = (reg: number, v: number) => mmio.write(A + reg, 4, v | 0);
  const selfIpi = (vec: number) => wr(0x300, (1 << 18) | (1 << 14) | vec); // shorthand self, fixed
  const enable = () => wr(0xf0, 0x1ff);

  beforeEach(() => {
    mmio = new MmioBus();
    clock = new ManualClock();
    apic = new LocalApic(clock);
    mmio.register(A, 0x1000, apic);
  });

  it('reports ID 0, version 0x14 and the IA32_APIC_BASE MSR (BSP, enabled)', () => {
    expect(rd(0x20)).toBe(0);
    expect(rd(0x30) & 0xffff).toBe(0x14);
    expect(rd(0x30) >>> 16).toBe(5);
    expect(apic.getBaseMsr() >>> 0).toBe(0xfee00900);
    expect(rd(0xf0)).toBe(0xff);
  });

  it('accepts a self IPI into IRR, delivers it, and EOI clears ISR', () => {
    enable();
    selfIpi(0x41);
    expect(rd(0x200 + 0x20)).toBe(1 << 1); // IRR word 2, bit 1
    expect(apic.hasInterrupt()).toBe(true);
    expect(apic.acknowledge()).toBe(0x41);
    expect(rd(0x100 + 0x20)).toBe(1 << 1);
    expect(rd(0x200 + 0x20)).toBe(0);
    expect(rd(0xa0)).toBe(0x40); // PPR = in-service class
    wr(0xb0, 0);
    expect(rd(0x100 + 0x20)).toBe(0);
    expect(apic.hasInterrupt()).toBe(false);
  });

  it('does not deliver while software-disabled', () => {
    selfIpi(0x41);
    expect(apic.hasInterrupt()).toBe(false);
    enable();
    expect(apic.acknowledge()).toBe(0x41);
  });

  it('blocks vectors at or below the TPR class and nests by priority class', () => {
    enable();
    wr(0x80, 0xf0);
    selfIpi(0x20);
    selfIpi(0x3e);
    expect(apic.hasInterrupt()).toBe(false);
    wr(0x80, 0x20);
    expect(apic.acknowledge()).toBe(0x3e);
    expect(apic.hasInterrupt()).toBe(false); // 0x20 is below TPR 0x20 and in-service 0x30
    wr(0xb0, 0);
    expect(apic.hasInterrupt()).toBe(false);
    wr(0x80, 0);
    expect(apic.acknowledge()).toBe(0x20);
    // Same class in service blocks: 0x21 waits for EOI of 0x20.
    selfIpi(0x21);
    expect(apic.hasInterrupt()).toBe(false);
    selfIpi(0x50);
    expect(apic.acknowledge()).toBe(0x50);
  });

  it('returns the spurious vector at INTA when nothing is deliverable', () => {
    wr(0xf0, 0x1ef);
    expect(apic.acknowledge()).toBe(0xef);
  });

  it('records illegal vectors in ESR (latched by a write)', () => {
    enable();
    selfIpi(0x05);
    expect(apic.hasInterrupt()).toBe(false);
    expect(rd(0x280)).toBe(0);
    wr(0x280, 0);
    expect(rd(0x280)).toBe(0x20);
  });

  it('physical and logical destinations, all-excluding-self, NMI, INIT and SIPI', () => {
    enable();
    wr(0x310, 0 << 24);
    wr(0x300, 0x4031); // physical dest 0, fixed, vector 0x31
    expect(apic.acknowledge()).toBe(0x31);
    wr(0xb0, 0);
    wr(0x310, 3 << 24);
    wr(0x300, 0x4032); // dest 3: not us
    expect(apic.hasInterrupt()).toBe(false);
    wr(0xd0, 0x01000000); // logical ID bit 0
    wr(0x310, 0x01 << 24);
    wr(0x300, 0x4833); // logical, flat
    expect(apic.acknowledge()).toBe(0x33);
    wr(0x300, (3 << 18) | 0x4034); // all excluding self
    expect(apic.hasInterrupt()).toBe(false);
    wr(0x310, 0);
    wr(0x300, 0x4400); // NMI, physical dest 0 (kvm-unit-tests' apic_self_nmi)
    expect(apic.takeNmi()).toBe(true);
    expect(apic.takeNmi()).toBe(false);
    wr(0x300, (3 << 18) | 0x4500); // INIT to all others: nobody
    wr(0x300, (3 << 18) | 0x4608); // SIPI
    expect(apic.hasInterrupt()).toBe(false);
    expect(rd(0x300) & (1 << 12)).toBe(0); // delivery status idle
  });

  it('masks every LVT while software-disabled', () => {
    wr(0x320, 0x20);
    expect(rd(0x320)).toBe(0x10020);
    enable();
    wr(0x320, 0x20);
    expect(rd(0x320)).toBe(0x20);
    wr(0xf0, 0xff);
    expect(rd(0x320) & 0x10000).toBe(0x10000);
  });

  it('one-shot timer: counts down at bus clock / divider and interrupts once', () => {
    enable();
    wr(0x3e0, 0x3); // divide by 16
    wr(0x320, 0x40);
    clock.t = 1000;
    wr(0x380, 1000);
    expect(rd(0x390)).toBe(1000);
    clock.t = 1000 + 16 * 250;
    expect(rd(0x390)).toBe(750);
    expect(apic.nextDeadline(clock.t)).toBe(1000 + 16 * 1000);
    apic.advance(1000 + 16 * 1000 - 1);
    expect(apic.hasInterrupt()).toBe(false);
    apic.advance(1000 + 16 * 1000);
    expect(apic.acknowledge()).toBe(0x40);
    expect(apic.nextDeadline(0)).toBe(Infinity);
    clock.t = 1e9;
    expect(rd(0x390)).toBe(0);
  });

  it('periodic timer reloads and keeps its phase', () => {
    enable();
    wr(0x3e0, 0xb); // divide by 1
    wr(0x320, (1 << 17) | 0x41);
    wr(0x380, 500);
    expect(apic.nextDeadline(0)).toBe(500);
    clock.t = 1250;
    expect(rd(0x390)).toBe(250);
    apic.advance(1250);
    expect(apic.nextDeadline(1250)).toBe(1500);
    expect(apic.acknowledge()).toBe(0x41);
  });

  it('a masked timer expires without an interrupt', () => {
    enable();
    wr(0x3e0, 0xb);
    wr(0x320, 0x10042);
    wr(0x380, 10);
    apic.advance(10);
    expect(apic.hasInterrupt()).toBe(false);
  });

  it('decodes every divide configuration (SDM Figure 10-10)', () => {
    enable();
    const expected = [2, 4, 8, 16, 32, 64, 128, 1];
    for (let v = 0; v < 8; v++) {
      const cfg = (v & 3) | ((v & 4) << 1);
      wr(0x3e0, cfg);
      clock.t = 0;
      wr(0x380, 1000);
      clock.t = expected[v] * 10;
      expect(rd(0x390)).toBe(990);
    }
  });

  it('global disable through the MSR resets the APIC and routes the 8259 directly', () => {
    enable();
    wr(0x350, 0x10700); // LINT0 masked
    expect(apic.acceptsExtInt()).toBe(false);
    apic.setBaseMsr(0xfee00000);
    expect(apic.getBaseMsr() >>> 0).toBe(0xfee00100);
    expect(apic.acceptsExtInt()).toBe(true);
    apic.setBaseMsr(0xfee00800);
    expect(apic.softwareEnabled()).toBe(false);
  });

  it('byte reads see the register lanes', () => {
    enable();
    wr(0x80, 0x5a);
    expect(mmio.read(A + 0x80, 1)).toBe(0x5a);
    expect(mmio.read(A + 0x81, 1)).toBe(0);
    expect(mmio.read(A + 0x30, 2)).toBe(0x14);
  });
});
