/**
 * The MMIO bus: devices that claim guest-physical ranges (local APIC, pc-testdev RAM...). The nested
 * page table (mem/phys.ts) marks their pages so that every access to them lands here. A device sees
 * the offset inside its range only (Firecracker style).
 */
export interface MmioDevice {
  mmioRead(offset: number, size: number): number;
  mmioWrite(offset: number, size: number, value: number): void;
}

export interface MmioRange {
  base: number;
  len: number;
  dev: MmioDevice;
  name: string;
}

export class MmioBus {
  readonly ranges: MmioRange[] = [];
  unclaimed = 0;
  /** Called after every access (the machine uses it to have the CPU re-poll its interrupts). */
  onAccess: () => void = () => {};

  register(base: number, len: number, dev: MmioDevice, name = dev.constructor.name): MmioRange {
    base >>>= 0;
    for (const r of this.ranges) {
      if (base < r.base + r.len && r.base < base + len) throw new Error(`mmio-bus: ${name} overlaps ${r.name}`);
    }
    const range = { base, len, dev, name };
    this.ranges.push(range);
    return range;
  }

  find(addr: number): MmioRange | undefined {
    addr >>>= 0;
    for (const r of this.ranges) if (addr >= r.base && addr < r.base + r.len) return r;
    return undefined;
  }

  read(addr: number, size: number): number {
    const r = this.find(addr);
    if (!r) {
      this.unclaimed++;
      return size === 1 ? 0xff : size === 2 ? 0xffff : -1;
    }
    const v = r.dev.mmioRead((addr >>> 0) - r.base, size);
    this.onAccess();
    return v;
  }

  write(addr: number, size: number, value: number): void {
    const r = this.find(addr);
    if (!r) {
      this.unclaimed++;
      return;
    }
    r.dev.mmioWrite((addr >>> 0) - r.base, size, value);
    this.onAccess();
  }
}
