/**
 * QEMU's two test devices, used by kvm-unit-tests (enabled with --test-devices):
 *
 * - isa-debug-exit at port 0xF4 (4 ports): any write ends the machine through `onExit(value)`;
 *   QEMU exits with status (value << 1) | 1, so a test's 0 becomes 1 (pass) — the caller applies
 *   that rule. Reads return 0.
 * - pc-testdev: ports 0xE0-0xE3 are a 32-bit scratch latch whose byte lanes follow the port
 *   (an `outb` to 0xE2 sets bits 16-23; reads at 0xE0+k return the latch shifted right by 8k);
 *   ports 0xE4-0xE7 take a guest-physical address whose TLB entries must be dropped
 *   (`onFlushPage(addr)`: the tests use it to make the next access to an IDT or stack page miss);
 *   ports 0x2000-0x2017 drive ISA IRQ lines (`PcTestdevIrq`); and 64 KiB of plain memory on the
 *   MMIO bus at 0xFF000000 (`PcTestdevMemory`).
 */
import type { IoDevice } from '../hv/io-bus.js';
import type { MmioDevice } from '../hv/mmio-bus.js';
import type { IrqSink } from './types.js';

export const DEBUG_EXIT_PORT = 0xf4;
export const PC_TESTDEV_PORT = 0xe0;
export const PC_TESTDEV_IRQ_PORT = 0x2000;
export const PC_TESTDEV_IRQ_PORTS = 24;
export const PC_TESTDEV_MEM = 0xff000000;
export const PC_TESTDEV_MEM_SIZE = 0x10000;

export class IsaDebugExit implements IoDevice {
  constructor(private readonly onExit: (code: number) => void) {}

  ioRead(_port: number, _size: number): number {
    return 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    if (port !== DEBUG_EXIT_PORT) return;
    const mask = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    this.onExit((value & mask) >>> 0);
  }
}

export class PcTestdevPorts implements IoDevice {
  latch = 0;

  constructor(private readonly onFlushPage: (physAddr: number) => void) {}

  ioRead(port: number, size: number): number {
    const off = port - PC_TESTDEV_PORT;
    if (off >= 4) return 0;
    const v = this.latch >>> (off * 8);
    return size === 4 ? v >>> 0 : v & (size === 1 ? 0xff : 0xffff);
  }

  ioWrite(port: number, size: number, value: number): void {
    const off = port - PC_TESTDEV_PORT;
    if (off >= 4) {
      this.onFlushPage(value >>> 0);
      return;
    }
    const shift = off * 8;
    const width = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    const lanes = (width << shift) >>> 0; // byte lanes past bit 31 fall off, as on the bus
    this.latch = ((this.latch & ~lanes) | ((value << shift) & lanes)) >>> 0;
  }
}

/**
 * pc-testdev's IRQ ports 0x2000-0x2017: a write of v to 0x2000 + n drives ISA interrupt line n to
 * level (v != 0) (kvm-unit-tests' realmode "sti inhibit" raises IRQ 11 this way). Lines 16-23
 * exist only on an I/O APIC and are ignored here.
 */
export class PcTestdevIrq implements IoDevice {
  constructor(private readonly irq: IrqSink) {}

  ioRead(_port: number, _size: number): number {
    return 0;
  }

  ioWrite(port: number, _size: number, value: number): void {
    const line = port - PC_TESTDEV_IRQ_PORT;
    if (line >= 0 && line < 16) this.irq.setIrq(line, value !== 0);
  }
}

export class PcTestdevMemory implements MmioDevice {
  readonly bytes = new Uint8Array(PC_TESTDEV_MEM_SIZE);
  private readonly view = new DataView(this.bytes.buffer);

  mmioRead(offset: number, size: number): number {
    if (offset + size > PC_TESTDEV_MEM_SIZE) return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
    if (size === 1) return this.bytes[offset];
    if (size === 2) return this.view.getUint16(offset, true);
    return this.view.getInt32(offset, true);
  }

  mmioWrite(offset: number, size: number, value: number): void {
    if (offset + size > PC_TESTDEV_MEM_SIZE) return;
    if (size === 1) this.bytes[offset] = value;
    else if (size === 2) this.view.setUint16(offset, value & 0xffff, true);
    else this.view.setInt32(offset, value | 0, true);
  }
}
