import { describe, expect, it } from 'vitest';
import { LocalApic } from '../../src/devices/apic.js';
import { InterruptRouter } from '../../src/devices/intr-router.js';
import { PicPair } from '../../src/devices/pic.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { ManualClock } from './helpers.js';

function setup(withApic: boolean) {
  const io = new IoBus();
  const pic = new PicPair();
  io.register(0x20, 2, pic);
  io.register(0xa0, 2, pic);
  for (const [p, v] of [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, 0x01], [0xa0, 0x11], [0xa1, 0x38], [0xa1, 0x02], [0xa1, 0x01], [0x21, 0], [0xa1, 0]]) {
    io.write(p, 1, v);
  }
  const apic = withApic ? new LocalApic(new ManualClock()) : null;
  return { pic, apic, router: new InterruptRouter(pic, apic) };
}

describe('interrupt router', () => {
  it('passes the 8259 straight through without an APIC', () => {
    const { pic, router } = setup(false);
    pic.setIrq(4, true);
    expect(router.hasInterrupt()).toBe(true);
    expect(router.acknowledge()).toBe(0x34);
  });

  it('routes the 8259 through LINT0 in ExtINT mode (the reset state) and not when LINT0 is masked', () => {
    const { pic, apic, router } = setup(true);
    pic.setIrq(0, true);
    expect(router.hasInterrupt()).toBe(true);
    apic!.mmioWrite(0xf0, 4, 0x1ff);
    apic!.mmioWrite(0x350, 4, 0x10700);
    expect(router.hasInterrupt()).toBe(false);
    apic!.mmioWrite(0x350, 4, 0x700);
    expect(router.acknowledge()).toBe(0x30);
  });

  it('gives APIC interrupts precedence and offers APIC NMIs', () => {
    const { pic, apic, router } = setup(true);
    apic!.mmioWrite(0xf0, 4, 0x1ff);
    pic.setIrq(1, true);
    apic!.mmioWrite(0x300, 4, (1 << 18) | 0x4080);
    expect(router.acknowledge()).toBe(0x80);
    expect(router.acknowledge()).toBe(0x31);
    apic!.mmioWrite(0x300, 4, (1 << 18) | 0x4400);
    expect(router.hasNmi()).toBe(true);
    expect(router.takeNmi()).toBe(true);
    expect(router.hasNmi()).toBe(false);
  });
});
