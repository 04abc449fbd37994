import { describe, expect, it } from 'vitest';
import { IsaDebugExit, PcTestdevIrq, PcTestdevMemory, PcTestdevPorts } from '../../src/devices/test-devices.js';
import { IrqRecorder } from './helpers.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';

describe("QEMU's isa-debug-exit and pc-testdev", () => {
  it('passes the value written to port 0xF4 to onExit', () => {
    const io = new IoBus();
    const codes: number[] = [];
    io.register(0xf4, 4, new IsaDebugExit((c) => codes.push(c)));
    io.write(0xf4, 4, 0);
    io.write(0xf4, 1, 0x1ff);
    io.write(0xf5, 1, 3); // other ports of the range do nothing
    expect(codes).toEqual([0, 0xff]);
  });

  it('keeps a 32-bit latch at 0xE0-0xE3 with byte lanes by port', () => {
    const io = new IoBus();
    const flushed: number[] = [];
    const dev = new PcTestdevPorts((a) => flushed.push(a));
    io.register(0xe0, 8, dev);
    io.write(0xe0, 4, 0x12345678);
    expect(io.read(0xe0, 4)).toBe(0x12345678);
    expect(io.read(0xe2, 1)).toBe(0x34);
    expect(io.read(0xe1, 2)).toBe(0x3456);
    io.write(0xe3, 1, 0xab);
    expect(io.read(0xe0, 4)).toBe(0xab345678);
    io.write(0xe0, 2, 0xcdef);
    expect(io.read(0xe0, 4)).toBe(0xab34cdef);
    io.write(0xe4, 4, 0x00123000);
    expect(flushed).toEqual([0x123000]);
  });

  it('drives ISA IRQ lines from ports 0x2000-0x200F', () => {
    const io = new IoBus();
    const irq = new IrqRecorder();
    io.register(0x2000, 24, new PcTestdevIrq(irq));
    io.write(0x200b, 4, 1);
    expect(irq.levels[11]).toBe(true);
    io.write(0x200b, 4, 0);
    expect(irq.levels[11]).toBe(false);
    expect(irq.edges[11]).toBe(1);
    io.write(0x2017, 4, 1); // an I/O APIC-only line: ignored
    expect(irq.edges.reduce((a, b) => a + b)).toBe(1);
  });

  it('provides 64 KiB of RAM-like MMIO', () => {
    const mmio = new MmioBus();
    const mem = new PcTestdevMemory();
    mmio.register(0xff000000, 0x10000, mem);
    mmio.write(0xff000000, 4, 0x11223344);
    mmio.write(0xff00fffe, 2, 0xbeef);
    expect(mmio.read(0xff000000, 4) >>> 0).toBe(0x11223344);
    expect(mmio.read(0xff000001, 1)).toBe(0x33);
    expect(mmio.read(0xff00fffe, 2)).toBe(0xbeef);
    expect(mmio.read(0xff00ffff, 1)).toBe(0xbe);
  });
});
