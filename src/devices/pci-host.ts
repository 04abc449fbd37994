/**
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0 §3.2.2.3.2) at 0xCF8 (32-bit
 * CONFIG_ADDRESS: enable bit 31, bus 23-16, device 15-11, function 10-8, register 7-2) and
 * 0xCFC-0xCFF (CONFIG_DATA, any width at the byte offset given by the port).
 *
 * Bus 0 holds an i440FX host bridge (8086:1237, class 06/00) at 00:00.0 and a PIIX3 PCI-to-ISA
 * bridge (8086:7000, class 06/01, multi-function header) at 00:01.0: enough for Linux's
 * pci_sanity_check and a plain bus scan. Absent functions read all-ones. Only the command register,
 * cache line size, latency timer, interrupt line and the device-specific area (0x40-0xFF: PAM,
 * PIRQ routing...) are writable; BARs are absent (read 0, so sizing finds none).
 * Byte and word accesses to 0xCF8-0xCFB do not reach CONFIG_ADDRESS (they belong to mechanism #2,
 * which is not implemented, and read all-ones).
 */
import type { IoDevice } from '../hv/io-bus.js';

class PciFunction {
  readonly config = new Uint8Array(256);
  readonly writable = new Uint8Array(256);

  constructor(vendor: number, device: number, classCode: number, headerType: number, revision: number) {
    const c = this.config;
    c[0] = vendor & 0xff;
    c[1] = vendor >> 8;
    c[2] = device & 0xff;
    c[3] = device >> 8;
    c[4] = 0x07; // command: I/O, memory, bus master (as firmware leaves a bridge)
    c[6] = 0x00;
    c[7] = 0x02; // status: DEVSEL medium
    c[8] = revision;
    c[9] = classCode & 0xff; // programming interface
    c[10] = (classCode >> 8) & 0xff; // subclass
    c[11] = classCode >> 16; // base class
    c[0x0e] = headerType;
    this.writable[4] = 0xff;
    this.writable[5] = 0x07;
    this.writable[0x0c] = 0xff;
    this.writable[0x0d] = 0xff;
    this.writable[0x3c] = 0xff;
    this.writable.fill(0xff, 0x40, 0x100);
  }
}

export class PciHost implements IoDevice {
  address = 0;
  /** Functions by (device << 3 | function) on bus 0. */
  private readonly functions = new Map<number, PciFunction>();

  constructor() {
    this.functions.set(0 << 3, new PciFunction(0x8086, 0x1237, 0x060000, 0x00, 0x02));
    const isa = new PciFunction(0x8086, 0x7000, 0x060100, 0x80, 0x00);
    isa.config.fill(0x80, 0x60, 0x64); // PIRQA-D routing: disabled
    this.functions.set(1 << 3, isa);
  }

  /** The addressed function and register offset, or null if nothing answers. */
  private target(): PciFunction | null {
    const a = this.address;
    if ((a & 0x80000000) === 0) return null;
    if (((a >>> 16) & 0xff) !== 0) return null;
    return this.functions.get((a >>> 8) & 0xff) ?? null;
  }

  ioRead(port: number, size: number): number {
    if (port === 0xcf8) return size === 4 ? this.address >>> 0 : ones(size);
    if (port < 0xcfc) return ones(size);
    const f = this.target();
    if (!f) return ones(size);
    const reg = (this.address & 0xfc) + (port - 0xcfc);
    let v = 0;
    for (let i = 0; i < size; i++) v |= f.config[(reg + i) & 0xff] << (8 * i);
    return v >>> 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    if (port === 0xcf8) {
      if (size === 4) this.address = value & 0x80fffffc;
      return;
    }
    if (port < 0xcfc) return;
    const f = this.target();
    if (!f) return;
    const reg = (this.address & 0xfc) + (port - 0xcfc);
    for (let i = 0; i < size; i++) {
      const r = (reg + i) & 0xff;
      const m = f.writable[r];
      f.config[r] = (f.config[r] & ~m) | ((value >>> (8 * i)) & m);
    }
  }
}

function ones(size: number): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}
