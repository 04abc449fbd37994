/**
 * The MC146818 real-time clock and CMOS RAM (Motorola MC146818A datasheet) at ports 0x70 (index,
 * bit 7 = NMI disable) and 0x71 (data).
 *
 * Time is the host date given at construction (`startMs`, ms since the Unix epoch, UTC) advanced by
 * the virtual clock, plus whatever offset the guest sets by writing the time registers. Registers:
 *   0x00-0x09  seconds, alarm s, minutes, alarm m, hours, alarm h, weekday (1 = Sunday), day,
 *              month, year, in BCD or binary (register B DM) and 12/24 h (register B 24/12);
 *   0x0A  A    UIP (bit 7, read-only) DV2-0, RS3-0 (periodic rate);
 *   0x0B  B    SET PIE AIE UIE SQWE DM 24/12 DSE;
 *   0x0C  C    IRQF PF AF UF (read-only; a read clears it and lowers IRQ8);
 *   0x0D  D    VRT (valid RAM and time, always 1).
 * The update cycle happens at each second boundary; UIP is high from 244 us before it until the
 * end of the 1984 us update (datasheet "Update cycle"), so a guest that reads while UIP is low sees
 * stable values. PF is set at the rate selected by RS (also without PIE), AF when the time matches
 * the alarm (0xC0-0xFF = don't care), UF after each update; IRQ8 is raised while IRQF is set.
 *
 * CMOS memory size bytes (the IBM AT / QEMU convention, read by BIOS-style guests and memtests):
 *   0x15/0x16 base memory in KiB (640), 0x17/0x18 and 0x30/0x31 KiB above 1 MiB (max 0xFFFF),
 *   0x34/0x35 64 KiB blocks above 16 MiB, 0x5B-0x5D 64 KiB blocks above 4 GiB, 0x32 century.
 */
import { ByteIoDevice } from './byte-io.js';
import { type Clock, fromBcd, type IrqSink, type TimedDevice, toBcd } from './types.js';

export const RTC_IRQ = 8;
const UIP_BEFORE_NS = 244_000;
const UPDATE_NS = 1_984_000;

const RegA = { UIP: 0x80 } as const;
const RegB = { SET: 0x80, PIE: 0x40, AIE: 0x20, UIE: 0x10, DM_BINARY: 0x04, H24: 0x02 } as const;
const RegC = { IRQF: 0x80, PF: 0x40, AF: 0x20, UF: 0x10 } as const;

export class Mc146818Rtc extends ByteIoDevice implements TimedDevice {
  readonly cmos = new Uint8Array(128);
  index = 0;
  nmiMasked = false;
  /** Whole seconds of RTC time at virtual time 0, and the sub-second phase at that moment. */
  private baseSec: number;
  private readonly phaseNs: number;
  private nextUpdateNs: number;
  private nextPeriodicNs = Infinity;
  private irqLevel = false;

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqSink,
    startMs: number,
    ramBytes: number,
  ) {
    super();
    this.baseSec = Math.floor(startMs / 1000);
    this.phaseNs = (startMs - this.baseSec * 1000) * 1e6;
    this.cmos[0x0a] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    this.cmos[0x0b] = RegB.H24; // BCD, 24-hour
    this.cmos[0x0d] = 0x80; // VRT
    this.setMemorySize(ramBytes);
    this.nextUpdateNs = this.secondBoundaryAfter(clock.now());
    this.restartPeriodic(clock.now());
  }

  /** Fill the CMOS memory size bytes for `ramBytes` of RAM starting at 0. */
  setMemorySize(ramBytes: number): void {
    const c = this.cmos;
    c[0x15] = 640 & 0xff;
    c[0x16] = 640 >> 8;
    const extKb = Math.min(0xffff, Math.max(0, Math.floor(ramBytes / 1024) - 1024));
    c[0x17] = c[0x30] = extKb & 0xff;
    c[0x18] = c[0x31] = extKb >> 8;
    const above16 = Math.min(0xffff, Math.max(0, Math.floor((Math.min(ramBytes, 0x100000000) - 0x1000000) / 65536)));
    c[0x34] = above16 & 0xff;
    c[0x35] = above16 >> 8;
    const above4g = Math.max(0, Math.floor((ramBytes - 0x100000000) / 65536));
    c[0x5b] = above4g & 0xff;
    c[0x5c] = (above4g >> 8) & 0xff;
    c[0x5d] = (above4g >> 16) & 0xff;
  }

  // ------------------------------------------------------------------ time

  private rtcNs(now: number): number {
    return now + this.phaseNs;
  }

  /** RTC time in whole seconds since the epoch at virtual time `now`. */
  private seconds(now: number): number {
    return this.baseSec + Math.floor(this.rtcNs(now) / 1e9);
  }

  /** First virtual time after `now` at which an RTC second begins. */
  private secondBoundaryAfter(now: number): number {
    return (Math.floor(this.rtcNs(now) / 1e9) + 1) * 1e9 - this.phaseNs;
  }

  private binary(): boolean {
    return (this.cmos[0x0b] & RegB.DM_BINARY) !== 0;
  }

  private enc(v: number): number {
    return this.binary() ? v : toBcd(v);
  }

  private dec(v: number): number {
    return this.binary() ? v : fromBcd(v);
  }

  private encHour(h: number): number {
    if ((this.cmos[0x0b] & RegB.H24) !== 0) return this.enc(h);
    const pm = h >= 12;
    const h12 = h % 12 === 0 ? 12 : h % 12;
    return this.enc(h12) | (pm ? 0x80 : 0);
  }

  private decHour(v: number): number {
    if ((this.cmos[0x0b] & RegB.H24) !== 0) return this.dec(v);
    const h12 = this.dec(v & 0x7f) % 12;
    return (v & 0x80) !== 0 ? h12 + 12 : h12;
  }

  /** Write the current time into the time registers (0, 2, 4, 6-9 and the century byte). */
  private latchTime(now: number): void {
    const d = new Date(this.seconds(now) * 1000);
    const c = this.cmos;
    c[0x00] = this.enc(d.getUTCSeconds());
    c[0x02] = this.enc(d.getUTCMinutes());
    c[0x04] = this.encHour(d.getUTCHours());
    c[0x06] = this.enc(d.getUTCDay() + 1);
    c[0x07] = this.enc(d.getUTCDate());
    c[0x08] = this.enc(d.getUTCMonth() + 1);
    c[0x09] = this.enc(d.getUTCFullYear() % 100);
    c[0x32] = this.enc(Math.floor(d.getUTCFullYear() / 100));
  }

  /** After the guest set the time registers: make them the current time. */
  private adoptTime(now: number): void {
    const c = this.cmos;
    const year = this.dec(c[0x32]) * 100 + this.dec(c[0x09]);
    const ms = Date.UTC(year, this.dec(c[0x08]) - 1, this.dec(c[0x07]), this.decHour(c[0x04]), this.dec(c[0x02]), this.dec(c[0x00]));
    if (!Number.isFinite(ms)) return;
    this.baseSec += Math.floor(ms / 1000) - this.seconds(now);
  }

  private setMode(): boolean {
    return (this.cmos[0x0b] & RegB.SET) !== 0;
  }

  // ------------------------------------------------------------------ events

  private periodNs(): number {
    const rs = this.cmos[0x0a] & 15;
    if (rs === 0) return Infinity;
    const hz = rs <= 2 ? 65536 >> (rs + 7) : 65536 >> rs; // datasheet table 5 (32.768 kHz base)
    return 1e9 / hz;
  }

  /** Bring flags up to `now`: periodic, update-ended and alarm events that happened. */
  private catchUp(now: number): void {
    const c = this.cmos;
    if (now >= this.nextPeriodicNs) {
      c[0x0c] |= RegC.PF;
      const p = this.periodNs();
      this.nextPeriodicNs = p === Infinity ? Infinity : (Math.floor(now / p) + 1) * p;
    }
    if (now >= this.nextUpdateNs) {
      if (!this.setMode()) {
        c[0x0c] |= RegC.UF;
        // Alarm: compare the (new) time with the alarm registers; 0xC0-0xFF is "don't care".
        this.latchTime(now);
        const match = (alarm: number, cur: number) => (alarm & 0xc0) === 0xc0 || alarm === cur;
        if (match(c[0x01], c[0x00]) && match(c[0x03], c[0x02]) && match(c[0x05], c[0x04])) c[0x0c] |= RegC.AF;
      }
      this.nextUpdateNs = this.secondBoundaryAfter(now);
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const c = this.cmos;
    const enabled = c[0x0b] & (RegB.PIE | RegB.AIE | RegB.UIE);
    // PIE/AIE/UIE are bits 6/5/4 of B, as PF/AF/UF are of C.
    const fire = (c[0x0c] & enabled & 0x70) !== 0;
    if (fire) c[0x0c] |= RegC.IRQF;
    if (fire && !this.irqLevel) {
      this.irqLevel = true;
      this.irq.setIrq(RTC_IRQ, true);
    }
  }

  private restartPeriodic(now: number): void {
    const p = this.periodNs();
    this.nextPeriodicNs = p === Infinity ? Infinity : (Math.floor(now / p) + 1) * p;
  }

  nextDeadline(_now: number): number {
    const b = this.cmos[0x0b];
    let t = Infinity;
    if ((b & RegB.PIE) !== 0) t = this.nextPeriodicNs;
    if ((b & (RegB.UIE | RegB.AIE)) !== 0 && this.nextUpdateNs < t) t = this.nextUpdateNs;
    return t;
  }

  advance(now: number): void {
    this.catchUp(now);
  }

  // ------------------------------------------------------------------ ports

  read8(port: number): number {
    if (port === 0x70) return 0xff; // the index register is write-only
    const now = this.clock.now();
    this.catchUp(now);
    const i = this.index;
    const c = this.cmos;
    switch (i) {
      case 0x0a: {
        const sub = this.rtcNs(now) % 1e9;
        const uip = !this.setMode() && (sub >= 1e9 - UIP_BEFORE_NS || sub < UPDATE_NS);
        return (c[0x0a] & 0x7f) | (uip ? RegA.UIP : 0);
      }
      case 0x0c: {
        const v = c[0x0c];
        c[0x0c] = 0;
        if (this.irqLevel) {
          this.irqLevel = false;
          this.irq.setIrq(RTC_IRQ, false);
        }
        return v;
      }
      case 0x00:
      case 0x02:
      case 0x04:
      case 0x06:
      case 0x07:
      case 0x08:
      case 0x09:
      case 0x32:
        if (!this.setMode()) this.latchTime(now);
        return c[i];
      default:
        return c[i];
    }
  }

  write8(port: number, v: number): void {
    if (port === 0x70) {
      this.index = v & 0x7f;
      this.nmiMasked = (v & 0x80) !== 0;
      return;
    }
    const now = this.clock.now();
    this.catchUp(now);
    const i = this.index;
    const c = this.cmos;
    switch (i) {
      case 0x0a:
        c[0x0a] = v & 0x7f;
        this.restartPeriodic(now);
        return;
      case 0x0b: {
        const wasSet = this.setMode();
        const old = c[0x0b];
        if ((v & RegB.SET) !== 0 && !wasSet) this.latchTime(now); // freeze the registers
        // Changing DM or 24/12 does not convert the stored registers (datasheet); re-encode the
        // live time in the new format when not in SET mode.
        c[0x0b] = v & (v & RegB.SET ? ~RegB.UIE : 0xff); // SET clears UIE (datasheet, register B)
        if (wasSet && (v & RegB.SET) === 0) this.adoptTime(now);
        if ((v & RegB.PIE) !== 0 && (old & RegB.PIE) === 0) this.restartPeriodic(now);
        this.updateIrq();
        return;
      }
      case 0x0c:
      case 0x0d:
        return; // read-only
      case 0x00:
      case 0x02:
      case 0x04:
      case 0x06:
      case 0x07:
      case 0x08:
      case 0x09:
      case 0x32:
        if (this.setMode()) c[i] = v;
        else {
          this.latchTime(now);
          c[i] = v;
          this.adoptTime(now);
        }
        return;
      default:
        c[i] = v;
    }
  }
}
