import { beforeEach, describe, expect, it } from 'vitest';
import { Pit8254, PIT_HZ, pitTicksAt, pitTimeOfTick } from '../../src/devices/pit.js';
import { SystemControlPortB } from '../../src/devices/port61.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { IrqRecorder, ManualClock } from './helpers.js';

const ns = (ticks: number) => pitTimeOfTick(ticks);

describe('8254 PIT', () => {
  let io: IoBus;
  let clock: ManualClock;
  let irq: IrqRecorder;
  let pit: Pit8254;
  beforeEach(() => {
    io = new IoBus();
    clock = new ManualClock();
    irq = new IrqRecorder();
    pit = new Pit8254(clock, irq);
    io.register(0x40, 4, pit);
    io.register(0x61, 1, new SystemControlPortB(pit, clock));
  });

  const read16 = (port: number) => io.read(port, 1) | (io.read(port, 1) << 8);

  it('converts between ticks and nanoseconds exactly at 1.193182 MHz', () => {
    expect(pitTicksAt(1e9)).toBe(PIT_HZ);
    for (const t of [1, 2, 4773, 65536, 1193182 * 7 + 3]) {
      expect(pitTicksAt(pitTimeOfTick(t))).toBe(t);
      expect(pitTicksAt(pitTimeOfTick(t) - 1)).toBe(t - 1);
    }
  });

  it('mode 2 on channel 0: counts down from N and raises IRQ0 once per period', () => {
    clock.t = 1000;
    io.write(0x43, 1, 0x34); // channel 0, lo/hi, mode 2, binary (Linux's periodic setup)
    io.write(0x40, 1, 4773 & 0xff);
    io.write(0x40, 1, 4773 >> 8);
    const start = pitTicksAt(1000);
    expect(irq.edges[0]).toBe(0); // programming makes no spurious edge
    expect(pit.nextDeadline(clock.t)).toBe(ns(start + 4773));
    clock.t = ns(start + 1000);
    io.write(0x43, 1, 0x00); // latch channel 0
    expect(read16(0x40)).toBe(4773 - 1000);
    pit.advance(ns(start + 4772));
    expect(irq.edges[0]).toBe(0);
    pit.advance(ns(start + 4773));
    expect(irq.edges[0]).toBe(1);
    expect(pit.nextDeadline(ns(start + 4773))).toBe(ns(start + 2 * 4773));
    // Many periods missed: one edge (the PIC latches one request), schedule continues in phase.
    pit.advance(ns(start + 10 * 4773 + 5));
    expect(irq.edges[0]).toBe(2);
    expect(pit.nextDeadline(0)).toBe(ns(start + 11 * 4773));
  });

  it('latch command freezes the count until both bytes are read', () => {
    io.write(0x43, 1, 0x30); // mode 0, lo/hi
    io.write(0x40, 1, 0x00);
    io.write(0x40, 1, 0x80); // 0x8000
    clock.t = ns(100);
    io.write(0x43, 1, 0x00);
    clock.t = ns(5000);
    expect(read16(0x40)).toBe(0x8000 - 100);
    // Unlatched read follows the clock.
    expect(read16(0x40)).toBe(0x8000 - 5000);
  });

  it('read-back returns status (OUT, null count, access, mode, BCD) then the count', () => {
    io.write(0x43, 1, 0xb0); // channel 2, lo/hi, mode 0, binary
    io.write(0x43, 1, 0xe8); // read-back: status of channel 2 only
    expect(io.read(0x42, 1)).toBe(0x40 | 0x30 | 0x00); // OUT low, null count, lo/hi, mode 0
    io.write(0x61, 1, 0x01); // gate 2 on
    io.write(0x42, 1, 10);
    io.write(0x42, 1, 0);
    clock.t = ns(3);
    io.write(0x43, 1, 0xc8);
    expect(io.read(0x42, 1)).toBe(0x30); // OUT still low, count loaded
    expect(read16(0x42)).toBe(7);
    clock.t = ns(10);
    io.write(0x43, 1, 0xe8); // status only
    expect(io.read(0x42, 1) & 0x80).toBe(0x80);
  });

  it('channel 2 mode 0 with the port 0x61 gate: OUT2 goes high after N ticks (TSC calibration)', () => {
    io.write(0x61, 1, (io.read(0x61, 1) & ~0x02) | 0x01);
    io.write(0x43, 1, 0xb0);
    const latch = 11932; // 10 ms, as pit_calibrate_tsc
    io.write(0x42, 1, latch & 0xff);
    io.write(0x42, 1, latch >> 8);
    const t0 = clock.t;
    expect(io.read(0x61, 1) & 0x20).toBe(0);
    clock.t = t0 + ns(latch) - 1;
    expect(io.read(0x61, 1) & 0x20).toBe(0);
    clock.t = t0 + ns(latch) + 1;
    expect(io.read(0x61, 1) & 0x20).toBe(0x20);
    expect(io.read(0x61, 1) & 0x01).toBe(0x01);
  });

  it('gate low pauses mode 0 and resumes where it stopped', () => {
    io.write(0x43, 1, 0xb0);
    io.write(0x42, 1, 0x00);
    io.write(0x42, 1, 0x10); // 4096, gate still low
    clock.t = ns(500);
    expect(read16(0x42)).toBe(4096);
    io.write(0x61, 1, 1);
    clock.t = ns(600);
    expect(read16(0x42)).toBe(4096 - 100);
    io.write(0x61, 1, 0);
    clock.t = ns(2000);
    expect(read16(0x42)).toBe(4096 - 100);
    io.write(0x61, 1, 1);
    clock.t = ns(2050);
    expect(read16(0x42)).toBe(4096 - 150);
  });

  it('counts in BCD when asked', () => {
    io.write(0x43, 1, 0x31); // mode 0, lo/hi, BCD
    io.write(0x40, 1, 0x00);
    io.write(0x40, 1, 0x10); // 1000 decimal
    clock.t = ns(1);
    expect(read16(0x40)).toBe(0x0999);
    clock.t = ns(1000);
    pit.advance(clock.t);
    expect(irq.edges[0]).toBe(1);
  });

  it('supports LSB-only and MSB-only access', () => {
    io.write(0x43, 1, 0x10); // channel 0, LSB only, mode 0
    io.write(0x40, 1, 200);
    clock.t = ns(50);
    expect(io.read(0x40, 1)).toBe(150);
    io.write(0x43, 1, 0x20); // MSB only
    io.write(0x40, 1, 0x02); // 0x200
    const t0 = pitTicksAt(clock.t);
    clock.t = ns(t0 + 0x100);
    expect(io.read(0x40, 1)).toBe(0x01);
  });

  it('mode 3 square wave: OUT high for the first half of each period', () => {
    io.write(0x61, 1, 1);
    io.write(0x43, 1, 0xb6); // channel 2, lo/hi, mode 3
    io.write(0x42, 1, 100);
    io.write(0x42, 1, 0);
    const s = pitTicksAt(clock.t);
    clock.t = ns(s + 10);
    expect(io.read(0x61, 1) & 0x20).toBe(0x20);
    clock.t = ns(s + 60);
    expect(io.read(0x61, 1) & 0x20).toBe(0);
    clock.t = ns(s + 110);
    expect(io.read(0x61, 1) & 0x20).toBe(0x20);
  });

  it('mode 4 strobes IRQ0 once after N ticks', () => {
    io.write(0x43, 1, 0x38); // Linux's one-shot clockevent mode
    io.write(0x40, 1, 100);
    io.write(0x40, 1, 0);
    const s = pitTicksAt(clock.t);
    const d = pit.nextDeadline(clock.t);
    expect(d).toBe(ns(s + 101));
    pit.advance(d);
    expect(irq.edges[0]).toBe(1);
    expect(pit.nextDeadline(d)).toBe(Infinity);
  });

  it('mode 0 on channel 0: IRQ0 line low after programming, one edge at terminal count', () => {
    io.write(0x43, 1, 0x30);
    expect(irq.levels[0]).toBe(false);
    io.write(0x40, 1, 50);
    io.write(0x40, 1, 0);
    pit.advance(ns(49));
    expect(irq.edges[0]).toBe(0);
    pit.advance(ns(50));
    expect(irq.edges[0]).toBe(1);
    expect(irq.levels[0]).toBe(true);
    expect(pit.nextDeadline(ns(50))).toBe(Infinity);
  });

  it('mode 1 on channel 2: a gate rising edge starts a one-shot low pulse of N ticks', () => {
    io.write(0x43, 1, 0xb2); // channel 2, lo/hi, mode 1
    io.write(0x42, 1, 20);
    io.write(0x42, 1, 0);
    clock.t = ns(5);
    expect(io.read(0x61, 1) & 0x20).toBe(0x20); // waits for the trigger, OUT high
    io.write(0x61, 1, 1);
    const s = pitTicksAt(clock.t);
    clock.t = ns(s + 19);
    expect(io.read(0x61, 1) & 0x20).toBe(0);
    clock.t = ns(s + 20);
    expect(io.read(0x61, 1) & 0x20).toBe(0x20);
    // Retrigger: gate low then high restarts the pulse.
    io.write(0x61, 1, 0);
    io.write(0x61, 1, 1);
    expect(io.read(0x61, 1) & 0x20).toBe(0);
  });

  it('mode 5 on channel 2: the strobe follows the gate trigger', () => {
    io.write(0x43, 1, 0xba); // channel 2, lo/hi, mode 5
    io.write(0x42, 1, 10);
    io.write(0x42, 1, 0);
    io.write(0x61, 1, 1);
    const s = pitTicksAt(clock.t);
    clock.t = ns(s + 10);
    expect(io.read(0x61, 1) & 0x20).toBe(0);
    clock.t = ns(s + 11);
    expect(io.read(0x61, 1) & 0x20).toBe(0x20);
  });

  it('port 0x61 bit 4 toggles with the refresh clock', () => {
    const seen = new Set<number>();
    for (let t = 0; t < 100_000; t += 7000) {
      clock.t = t;
      seen.add(io.read(0x61, 1) & 0x10);
    }
    expect([...seen].sort()).toEqual([0, 0x10]);
  });
});
