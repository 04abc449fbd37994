import { beforeEach, describe, expect, it } from 'vitest';
import { Mc146818Rtc } from '../../src/devices/rtc.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { IrqRecorder, ManualClock } from './helpers.js';

// 2024-02-29 23:59:58.250 UTC, a Thursday.
const START = Date.UTC(2024, 1, 29, 23, 59, 58, 250);
const MiB = 1024 * 1024;

describe('MC146818 RTC / CMOS', () => {
  let io: IoBus;
  let clock: ManualClock;
  let irq: IrqRecorder;
  let rtc: Mc146818Rtc;
  const rd = (i: number) => (io.write(0x70, 1, i), io.read(0x71, 1));
  const wr = (i: number, v: number) => (io.write(0x70, 1, i), io.write(0x71, 1, v));

  beforeEach(() => {
    io = new IoBus();
    clock = new ManualClock();
    irq = new IrqRecorder();
    rtc = new Mc146818Rtc(clock, irq, START, 32 * MiB);
    io.register(0x70, 2, rtc);
  });

  it('reads the start date in BCD, 24-hour mode', () => {
    expect(rd(0x00)).toBe(0x58);
    expect(rd(0x02)).toBe(0x59);
    expect(rd(0x04)).toBe(0x23);
    expect(rd(0x06)).toBe(5); // Thursday (Sunday = 1)
    expect(rd(0x07)).toBe(0x29);
    expect(rd(0x08)).toBe(0x02);
    expect(rd(0x09)).toBe(0x24);
    expect(rd(0x32)).toBe(0x20);
    expect(rd(0x0d)).toBe(0x80);
  });

  it('advances with the virtual clock across a leap-day month end', () => {
    clock.t = 2e9;
    expect(rd(0x00)).toBe(0x00);
    expect(rd(0x02)).toBe(0x00);
    expect(rd(0x04)).toBe(0x00);
    expect(rd(0x07)).toBe(0x01);
    expect(rd(0x08)).toBe(0x03);
    expect(rd(0x06)).toBe(6);
  });

  it('switches to binary and 12-hour formats with register B', () => {
    wr(0x0b, 0x04); // binary, 12-hour
    expect(rd(0x00)).toBe(58);
    expect(rd(0x04)).toBe(0x80 | 11); // 11 PM
    wr(0x0b, 0x00); // BCD, 12-hour
    expect(rd(0x04)).toBe(0x91);
  });

  it('sets UIP only in the 244 us before an update until the update ends', () => {
    // Second boundaries fall at 0.75 s, 1.75 s... of virtual time (start phase 250 ms).
    clock.t = 0.5e9;
    expect(rd(0x0a) & 0x80).toBe(0);
    clock.t = 0.75e9 - 100_000;
    expect(rd(0x0a) & 0x80).toBe(0x80);
    clock.t = 0.75e9 + 1_000_000;
    expect(rd(0x0a) & 0x80).toBe(0x80);
    clock.t = 0.75e9 + 3_000_000;
    expect(rd(0x0a) & 0x80).toBe(0);
    expect(rd(0x0a) & 0x7f).toBe(0x26);
  });

  it('lets the guest set the time with the SET bit, then keeps counting from it', () => {
    wr(0x0b, 0x82); // SET, 24h, BCD
    wr(0x04, 0x08);
    wr(0x02, 0x30);
    wr(0x00, 0x00);
    wr(0x07, 0x15);
    wr(0x08, 0x06);
    wr(0x09, 0x25);
    clock.t = 5e9; // frozen while SET
    expect(rd(0x02)).toBe(0x30);
    expect(rd(0x00)).toBe(0x00);
    wr(0x0b, 0x02);
    clock.t = 5e9 + 3e9;
    expect(rd(0x00)).toBe(0x03);
    expect(rd(0x04)).toBe(0x08);
    expect(rd(0x09)).toBe(0x25);
    expect(rd(0x06)).toBe(1); // 2025-06-15 is a Sunday
  });

  it('raises IRQ8 for periodic interrupts at the RS rate; register C read clears it', () => {
    wr(0x0a, 0x26); // 1024 Hz
    wr(0x0b, 0x42); // PIE
    const d = rtc.nextDeadline(clock.t);
    expect(d).toBeCloseTo(1e9 / 1024, 3);
    rtc.advance(d - 1);
    expect(irq.levels[8]).toBe(false);
    rtc.advance(d);
    expect(irq.levels[8]).toBe(true);
    expect(rd(0x0c)).toBe(0xc0);
    expect(irq.levels[8]).toBe(false);
    expect(rd(0x0c)).toBe(0x00);
    wr(0x0a, 0x2f); // 2 Hz
    expect(rtc.nextDeadline(clock.t)).toBeCloseTo(0.5e9, 3);
  });

  it('sets PF without PIE but raises no interrupt', () => {
    wr(0x0a, 0x23); // 8192 Hz
    clock.t = 1e6;
    expect(rtc.nextDeadline(clock.t)).toBe(Infinity);
    expect(rd(0x0c)).toBe(0x40);
    expect(irq.edges[8]).toBe(0);
  });

  it('update-ended and alarm interrupts at the second boundary', () => {
    wr(0x01, 0x59); // alarm 23:59:59
    wr(0x03, 0x59);
    wr(0x05, 0xc0); // any hour
    wr(0x0b, 0x32); // AIE | UIE
    const d = rtc.nextDeadline(clock.t);
    expect(d).toBe(0.75e9);
    rtc.advance(d);
    expect(irq.levels[8]).toBe(true);
    // PF (0x40) is also set: the periodic flag runs at 1024 Hz even without PIE.
    expect(rd(0x0c) & 0xb0).toBe(0x80 | 0x20 | 0x10);
    rtc.advance(1.75e9);
    expect(rd(0x0c) & 0xb0).toBe(0x80 | 0x10); // 00:00:00: no alarm match
  });

  it('stores the memory size bytes and plain CMOS bytes', () => {
    expect(rd(0x15) | (rd(0x16) << 8)).toBe(640);
    expect(rd(0x17) | (rd(0x18) << 8)).toBe(31 * 1024);
    expect(rd(0x30) | (rd(0x31) << 8)).toBe(31 * 1024);
    expect(rd(0x34) | (rd(0x35) << 8)).toBe((16 * MiB) / 65536);
    expect(rd(0x5b) | rd(0x5c) | rd(0x5d)).toBe(0);
    const big = new Mc146818Rtc(clock, irq, START, 3072 * MiB);
    const bus = new IoBus();
    bus.register(0x70, 2, big);
    const r = (i: number) => (bus.write(0x70, 1, i), bus.read(0x71, 1));
    expect(r(0x17) | (r(0x18) << 8)).toBe(0xffff);
    expect(r(0x34) | (r(0x35) << 8)).toBe((3072 * MiB - 16 * MiB) / 65536);
    wr(0x40, 0xa5);
    expect(rd(0x40)).toBe(0xa5);
  });

  it('keeps the NMI mask bit of the index port', () => {
    io.write(0x70, 1, 0x8f);
    expect(rtc.nmiMasked).toBe(true);
    expect(rtc.index).toBe(0x0f);
    io.write(0x70, 1, 0x0f);
    expect(rtc.nmiMasked).toBe(false);
  });
});
