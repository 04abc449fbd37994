import { describe, expect, it } from 'vitest';
import { PciHost } from '../../src/devices/pci-host.js';
import { IoBus } from '../../src/hv/io-bus.js';

function bus(): IoBus {
  const io = new IoBus();
  io.register(0xcf8, 8, new PciHost());
  return io;
}

const addr = (dev: number, fn: number, reg: number, bus = 0) => (0x80000000 | (bus << 16) | (dev << 11) | (fn << 8) | reg) >>> 0;

describe('PCI configuration mechanism #1', () => {
  it('passes the Linux type 1 probe (CONFIG_ADDRESS reads back, byte writes do not touch it)', () => {
    const io = bus();
    io.write(0xcfb, 1, 0x01);
    const saved = io.read(0xcf8, 4);
    io.write(0xcf8, 4, 0x80000000);
    expect(io.read(0xcf8, 4)).toBe(0x80000000);
    io.write(0xcf8, 4, saved);
  });

  it('shows the i440FX host bridge and the PIIX3 ISA bridge, and all-ones elsewhere', () => {
    const io = bus();
    io.write(0xcf8, 4, addr(0, 0, 0));
    expect(io.read(0xcfc, 4)).toBe(0x12378086);
    io.write(0xcf8, 4, addr(0, 0, 8));
    expect(io.read(0xcfc, 4) >>> 8).toBe(0x060000);
    io.write(0xcf8, 4, addr(1, 0, 0));
    expect(io.read(0xcfc, 4)).toBe(0x70008086);
    io.write(0xcf8, 4, addr(1, 0, 0x0c));
    expect((io.read(0xcfc, 4) >>> 16) & 0xff).toBe(0x80); // multi-function header
    io.write(0xcf8, 4, addr(1, 0, 8));
    expect(io.read(0xcfe, 2)).toBe(0x0601); // class at byte offset 10 through port 0xCFE
    io.write(0xcf8, 4, addr(2, 0, 0));
    expect(io.read(0xcfc, 4)).toBe(0xffffffff);
    io.write(0xcf8, 4, addr(1, 1, 0));
    expect(io.read(0xcfc, 2)).toBe(0xffff);
    io.write(0xcf8, 4, addr(0, 0, 0, 1));
    expect(io.read(0xcfc, 4)).toBe(0xffffffff);
    io.write(0xcf8, 4, addr(0, 0, 0) & 0x7fffffff); // enable bit clear
    expect(io.read(0xcfc, 4)).toBe(0xffffffff);
  });

  it('keeps IDs read-only, BARs absent, and the command and device-specific bytes writable', () => {
    const io = bus();
    io.write(0xcf8, 4, addr(0, 0, 0));
    io.write(0xcfc, 4, 0xdeadbeef);
    expect(io.read(0xcfc, 4)).toBe(0x12378086);
    io.write(0xcf8, 4, addr(0, 0, 0x10));
    io.write(0xcfc, 4, 0xffffffff);
    expect(io.read(0xcfc, 4)).toBe(0);
    io.write(0xcf8, 4, addr(0, 0, 4));
    io.write(0xcfc, 2, 0x0003);
    expect(io.read(0xcfc, 2)).toBe(0x0003);
    io.write(0xcf8, 4, addr(1, 0, 0x60));
    expect(io.read(0xcfc, 4)).toBe(0x80808080); // PIRQ routing disabled
    io.write(0xcfd, 1, 0x0b);
    expect(io.read(0xcfc, 4)).toBe(0x80800b80);
  });
});
