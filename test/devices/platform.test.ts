import { describe, expect, it } from 'vitest';
import { createPcPlatform } from '../../src/devices/platform.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { NPT_MMIO, PhysMemory } from '../../src/mem/phys.js';
import { ManualClock } from './helpers.js';

function make(testDevices: boolean, clock: ManualClock = new ManualClock(), startTimeMs: number | undefined = Date.UTC(2025, 0, 1)) {
  const io = new IoBus();
  const mmio = new MmioBus();
  const phys = new PhysMemory(16 << 20, mmio);
  const out: number[] = [];
  const events: string[] = [];
  const p = createPcPlatform({
    io,
    mmio,
    phys,
    clock,
    ramBytes: 16 << 20,
    console: { write: (b) => (typeof b === 'number' ? out.push(b) : out.push(...b)) },
    testDevices,
    onReset: () => events.push('reset'),
    onPowerOff: () => events.push('off'),
    onDebugExit: (c) => events.push(`exit ${c}`),
    startTimeMs,
  });
  return { io, mmio, phys, clock, out, events, p };
}

describe('createPcPlatform', () => {
  it('wires COM1, the PIC, and the timer interrupt path end to end', () => {
    const { io, out, p, clock } = make(false);
    io.write(0x3f8, 1, 0x4f);
    expect(out).toEqual([0x4f]);
    // Program the PIC and PIT as Linux does, then let time pass to the first tick.
    for (const [port, v] of [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, 0x01], [0x21, 0xfe]]) io.write(port, 1, v);
    io.write(0x43, 1, 0x34);
    io.write(0x40, 1, 0x9b);
    io.write(0x40, 1, 0x2e);
    expect(p.interrupts.hasInterrupt()).toBe(false);
    const next = Math.min(...p.timed.map((d) => d.nextDeadline(clock.t)));
    clock.t = next;
    for (const d of p.timed) d.advance(clock.t);
    expect(p.interrupts.hasInterrupt()).toBe(true);
    expect(p.interrupts.acknowledge()).toBe(0x30);
  });

  it('maps the local APIC page as MMIO in the nested page table and exposes its MSR', () => {
    const { phys, p } = make(false);
    expect(phys.npt[0xfee00]).toBe(NPT_MMIO);
    expect(phys.read32(0xfee00030) & 0xff).toBe(0x14);
    expect(p.apic!.getBaseMsr() >>> 0).toBe(0xfee00900);
  });

  it('writes the ACPI RSDP into the BIOS area and powers off through PM1a', () => {
    const { phys, io, p, events } = make(false);
    expect(p.acpiRsdp).toBe(0xe0000);
    expect(String.fromCharCode(...phys.readBytes(p.acpiRsdp, 8))).toBe('RSD PTR ');
    io.write(0x604, 2, (5 << 10) | (1 << 13));
    expect(events).toEqual(['off']);
  });

  it('resets through the i8042 and answers PCI and CMOS', () => {
    const { io, events } = make(false);
    io.write(0x64, 1, 0xfe);
    expect(events).toEqual(['reset']);
    io.write(0xcf8, 4, 0x80000000);
    expect(io.read(0xcfc, 4)).toBe(0x12378086);
    io.write(0x70, 1, 0x09);
    expect(io.read(0x71, 1)).toBe(0x25);
  });

  it('adds the QEMU test devices only when asked', () => {
    const off = make(false);
    off.io.write(0xf4, 4, 1);
    expect(off.events).toEqual([]);
    expect(off.phys.npt[0xff000]).not.toBe(NPT_MMIO);
    const on = make(true);
    on.io.write(0xf4, 4, 1);
    expect(on.events).toEqual(['exit 1']);
    on.phys.write32(0xff000010, 0x55aa1234);
    expect(on.phys.read32(0xff000010) >>> 0).toBe(0x55aa1234);
    expect(on.p.testdevMemory!.bytes[0x10]).toBe(0x34);
  });

  it('starts the RTC at a fixed date under a deterministic clock', () => {
    const clock = Object.assign(new ManualClock(), { mode: 'deterministic' });
    const { io } = make(false, clock, undefined);
    const rd = (i: number) => (io.write(0x70, 1, i), io.read(0x71, 1));
    expect([rd(0x32), rd(0x09), rd(0x08), rd(0x07), rd(0x04), rd(0x02), rd(0x00)]).toEqual([0x20, 0x25, 0x01, 0x01, 0, 0, 0]);
  });

  it('adds COM2 at 0x2F8 on IRQ 3 only when given a console', () => {
    const io = new IoBus();
    const mmio = new MmioBus();
    const phys = new PhysMemory(16 << 20, mmio);
    const com2: number[] = [];
    const base = { io, mmio, phys, clock: new ManualClock(), ramBytes: 16 << 20, console: { write: () => {} }, testDevices: false, onReset() {}, onPowerOff() {}, onDebugExit() {} };
    const p = createPcPlatform({ ...base, com2Console: { write: (b) => (typeof b === 'number' ? com2.push(b) : com2.push(...b)) } });
    io.write(0x2f8, 1, 0x41);
    expect(com2).toEqual([0x41]);
    io.write(0x2fc, 1, 0x08);
    io.write(0x2f9, 1, 0x02); // THRE interrupt on IRQ 3
    expect(p.pic.master.irr & 0x08).toBe(0x08);
    const q = make(false);
    expect(q.p.uart2).toBeNull();
    expect(q.io.read(0x2fd, 1)).toBe(0xff);
  });
});
