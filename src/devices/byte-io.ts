/**
 * Base class for 8-bit ISA devices. A 16- or 32-bit IN/OUT on an 8-bit ISA device is split by the
 * bus into byte cycles at consecutive ports (PC/AT bus conversion logic), low byte first; this class
 * does that split so that each device only implements byte access.
 */
import type { IoDevice } from '../hv/io-bus.js';

export abstract class ByteIoDevice implements IoDevice {
  abstract read8(port: number): number;
  abstract write8(port: number, value: number): void;

  ioRead(port: number, size: number): number {
    if (size === 1) return this.read8(port) & 0xff;
    let v = 0;
    for (let i = 0; i < size; i++) v |= (this.read8((port + i) & 0xffff) & 0xff) << (8 * i);
    return v >>> 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    if (size === 1) {
      this.write8(port, value & 0xff);
      return;
    }
    for (let i = 0; i < size; i++) this.write8((port + i) & 0xffff, (value >>> (8 * i)) & 0xff);
  }
}
