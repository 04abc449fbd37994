/**
 * The port I/O bus (0x0000-0xFFFF). Devices register port ranges; overlapping ranges are refused
 * (Firecracker's `Bus::insert`). Unclaimed ports read all-ones and swallow writes; both are counted,
 * never thrown (a real ISA bus floats high).
 */
export interface IoDevice {
  /** `port` is the absolute port; `size` 1, 2 or 4. Return the value zero-extended. */
  ioRead(port: number, size: number): number;
  ioWrite(port: number, size: number, value: number): void;
}

export class IoBus {
  private readonly owner = new Uint16Array(0x10000); // 0 = none, else index+1 into devices
  private readonly devices: IoDevice[] = [];
  private readonly names: string[] = [];
  unclaimedReads = 0;
  unclaimedWrites = 0;

  register(base: number, len: number, dev: IoDevice, name = dev.constructor.name): void {
    if (base < 0 || len <= 0 || base + len > 0x10000) throw new Error(`io-bus: bad range ${hex(base)}+${len}`);
    for (let p = base; p < base + len; p++) {
      if (this.owner[p] !== 0) {
        throw new Error(`io-bus: ${name} at ${hex(p)} overlaps ${this.names[this.owner[p] - 1]}`);
      }
    }
    this.devices.push(dev);
    this.names.push(name);
    this.owner.fill(this.devices.length, base, base + len);
  }

  read(port: number, size: number): number {
    const o = this.owner[port & 0xffff];
    if (o === 0) {
      this.unclaimedReads++;
      return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    }
    return this.devices[o - 1].ioRead(port & 0xffff, size);
  }

  write(port: number, size: number, value: number): void {
    const o = this.owner[port & 0xffff];
    if (o === 0) {
      this.unclaimedWrites++;
      return;
    }
    this.devices[o - 1].ioWrite(port & 0xffff, size, value);
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}
