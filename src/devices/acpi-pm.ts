/**
 * The ACPI fixed-hardware power-management registers (ACPI 6.5 §4.8.3) the FADT points at:
 *   PM1a_EVT_BLK (4 bytes): PM1_STS (write 1 to clear) and PM1_EN;
 *   PM1a_CNT_BLK (2 bytes): SCI_EN (bit 0, reads 1: there is no SMI mode to leave), SLP_TYP
 *     (bits 12-10) and SLP_EN (bit 13, write-only): writing SLP_EN with SLP_TYP = S5 calls
 *     `onPowerOff()` (§7.4.2 "\_S5 Soft Off");
 *   PM_TMR_BLK (4 bytes): the 24-bit power-management timer at 3.579545 MHz (§4.8.3.3), from the
 *     virtual clock.
 * No SCI is ever raised (no fixed events are generated).
 */
import type { IoDevice } from '../hv/io-bus.js';
import { AcpiPorts, SLP_TYP_S5 } from './acpi.js';
import type { Clock } from './types.js';

export const PM_TIMER_HZ = 3579545;

export class AcpiPm implements IoDevice {
  pm1Status = 0;
  pm1Enable = 0;
  pm1Control = 1; // SCI_EN
  /** The last sleep type requested (for diagnostics). */
  lastSleepType = -1;

  constructor(
    private readonly clock: Clock,
    private readonly onPowerOff: () => void,
  ) {}

  private timer(): number {
    return Math.floor((this.clock.now() * PM_TIMER_HZ) / 1e9) & 0xffffff;
  }

  /** The 12 register bytes as one little-endian image, read byte by byte. */
  private byteAt(off: number): number {
    switch (off) {
      case 0:
      case 1:
        return (this.pm1Status >> (8 * off)) & 0xff;
      case 2:
      case 3:
        return (this.pm1Enable >> (8 * (off - 2))) & 0xff;
      case 4:
      case 5:
        return (this.pm1Control >> (8 * (off - 4))) & 0xff;
      case 8:
      case 9:
      case 10:
        return (this.timer() >> (8 * (off - 8))) & 0xff;
      default:
        return 0;
    }
  }

  ioRead(port: number, size: number): number {
    const off = port - AcpiPorts.PM1A_EVT;
    if (off === 8 && size === 4) return this.timer();
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.byteAt(off + i) << (8 * i);
    return v >>> 0;
  }

  ioWrite(port: number, size: number, value: number): void {
    const off = port - AcpiPorts.PM1A_EVT;
    for (let i = 0; i < size; i++) this.writeByte(off + i, (value >>> (8 * i)) & 0xff);
    if (off <= 5 && off + size > 4) this.controlWritten();
  }

  private writeByte(off: number, b: number): void {
    switch (off) {
      case 0:
      case 1:
        this.pm1Status &= ~(b << (8 * off)); // write 1 to clear
        break;
      case 2:
      case 3: {
        const sh = 8 * (off - 2);
        this.pm1Enable = (this.pm1Enable & ~(0xff << sh)) | (b << sh);
        break;
      }
      case 4:
      case 5: {
        const sh = 8 * (off - 4);
        this.pm1Control = (this.pm1Control & ~(0xff << sh)) | (b << sh);
        break;
      }
      default:
        break; // the timer is read-only
    }
  }

  private controlWritten(): void {
    const c = this.pm1Control;
    this.pm1Control = (c & ~(1 << 13)) | 1; // SLP_EN reads 0; SCI_EN stays set
    if ((c & (1 << 13)) === 0) return;
    const type = (c >> 10) & 7;
    this.lastSleepType = type;
    if (type === SLP_TYP_S5) this.onPowerOff();
  }
}
