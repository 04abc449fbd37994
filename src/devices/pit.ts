/**
 * The 8254 programmable interval timer (Intel 8254 datasheet 231164) at ports 0x40-0x43, clocked
 * at 1.193182 MHz from the virtual clock. Channel 0 drives IRQ0; channel 2's gate and output are
 * seen through port 0x61 (port61.ts), which Linux uses to calibrate the TSC, so every count read is
 * computed from the clock at the moment of the read.
 *
 * A channel's state is the count N loaded, the tick at which counting started, and its mode:
 *   0 interrupt on terminal count   OUT low, high after N ticks (stays high; the count wraps)
 *   1 hardware one-shot             OUT low for N ticks after a gate rising edge
 *   2 rate generator                period N; OUT low for the tick in which the count is 1
 *   3 square wave                   period N; OUT high for ceil(N/2), low for floor(N/2)
 *   4 software-triggered strobe     OUT low for one tick after N ticks
 *   5 hardware-triggered strobe     as 4, started by a gate rising edge
 * A new count written while a channel counts takes effect at once (the datasheet's "at the end of
 * the current period" for modes 2/3 is not modelled). Read-back (0xC0-0xFF) and counter-latch
 * commands, LSB/MSB/LSB-then-MSB access and BCD counting are supported.
 */
import { ByteIoDevice } from './byte-io.js';
import type { Clock, IrqSink, TimedDevice } from './types.js';

export const PIT_HZ = 1193182;

/** Ticks of the 1.193182 MHz input clock elapsed at virtual time `ns` (monotonic in `ns`). */
export function pitTicksAt(ns: number): number {
  return Math.floor((ns * PIT_HZ) / 1e9);
}

/** The first virtual time (ns) at which `pitTicksAt` reaches `tick`. */
export function pitTimeOfTick(tick: number): number {
  let t = Math.ceil((tick * 1e9) / PIT_HZ);
  while (pitTicksAt(t) < tick) t++;
  while (t > 0 && pitTicksAt(t - 1) >= tick) t--;
  return t;
}

export class PitChannel {
  mode = 0;
  /** Access mode: 1 LSB, 2 MSB, 3 LSB then MSB. */
  access = 3;
  bcd = false;
  /** Count register as loaded (0 means 65536, or 10000 in BCD). */
  count = 0;
  /** Tick at which the current count started (valid while `counting`). */
  startTick = 0;
  counting = false;
  /** For gate-paused modes 0/4: ticks already counted when the gate went low. */
  pausedTicks = 0;
  gate: boolean;
  /** Status bit 6: a count was written but not yet loaded into the counting element. */
  nullCount = true;
  /** OUT level while not counting (after a control word, before a count). */
  idleOut = true;
  // Write state: low byte received, waiting for the high byte.
  writeLowPending = false;
  writeLow = 0;
  // Read state.
  readHighNext = false;
  latched = false;
  latchValue = 0;
  latchHighNext = false;
  statusLatched = false;
  statusValue = 0;
  /** Tick of the last edge that was reported (IRQ0), to report each edge once. */
  lastEdgeTick = -1;

  constructor(
    readonly index: number,
    gate: boolean,
  ) {
    this.gate = gate;
  }

  modulus(): number {
    return this.bcd ? 10000 : 0x10000;
  }

  /** N as a number of ticks (0 stands for the full modulus). */
  period(): number {
    return this.count === 0 ? this.modulus() : this.count;
  }

  /** Ticks counted so far at tick `now` (modes 0/4 pause while the gate is low). */
  elapsed(now: number): number {
    if (!this.counting) return 0;
    if (!this.gate) {
      // Gate low: modes 0/4 pause; modes 2/3 stop with OUT high and restart from N on the next
      // rising edge of the gate; modes 1/5 are not affected.
      if (this.mode === 0 || this.mode === 4) return this.pausedTicks;
      if (this.mode === 2 || this.mode === 3) return 0;
    }
    return now - this.startTick;
  }

  /** The value of the counting element at tick `now`. */
  value(now: number): number {
    const n = this.period();
    const mod = this.modulus();
    if (!this.counting) return this.count;
    const e = this.elapsed(now);
    switch (this.mode) {
      case 2:
        return n - (e % n);
      case 3: {
        // Counts down by two through each half period (datasheet, mode 3).
        const half = Math.ceil(n / 2);
        const p = e % n;
        const inHalf = p < half ? p : p - half;
        return (n & ~1) - 2 * inHalf;
      }
      default: {
        // Modes 0, 1, 4, 5 count down from N and wrap around the modulus.
        const v = (n - (e % mod) + mod) % mod;
        return v;
      }
    }
  }

  /** OUT at tick `now`. */
  out(now: number): boolean {
    if (!this.counting) return this.idleOut;
    const n = this.period();
    const e = this.elapsed(now);
    switch (this.mode) {
      case 0:
        return e >= n;
      case 1:
        return e >= n;
      case 2:
        return e % n !== n - 1;
      case 3:
        return e % n < Math.ceil(n / 2);
      default: // 4, 5
        return e !== n;
    }
  }

  /**
   * The tick of the next rising edge of OUT after tick `after`, or Infinity. Rising edges are
   * what an edge-triggered IRQ0 sees.
   */
  nextRisingEdge(after: number): number {
    if (!this.counting) return Infinity;
    if (!this.gate && this.mode !== 1 && this.mode !== 5) return Infinity;
    const n = this.period();
    const s = this.startTick;
    switch (this.mode) {
      case 0:
      case 1: {
        const t = s + n;
        return t > after ? t : Infinity;
      }
      case 2:
      case 3: {
        // Edges at s + k*n, k >= 1 (mode 2: OUT returns high as the count reloads; mode 3: the
        // high half starts).
        const k = Math.max(1, Math.floor((after - s) / n) + 1);
        return s + k * n;
      }
      default: {
        const t = s + n + 1;
        return t > after ? t : Infinity;
      }
    }
  }

  /** The count (or the unlatched one) in the form the read sequence returns. */
  encode(v: number): number {
    if (!this.bcd) return v & 0xffff;
    v %= 10000;
    return (
      (v % 10) | ((((v / 10) | 0) % 10) << 4) | ((((v / 100) | 0) % 10) << 8) | ((((v / 1000) | 0) % 10) << 12)
    );
  }

  decode(v: number): number {
    if (!this.bcd) return v & 0xffff;
    return (v & 15) + ((v >> 4) & 15) * 10 + ((v >> 8) & 15) * 100 + ((v >> 12) & 15) * 1000;
  }
}

export class Pit8254 extends ByteIoDevice implements TimedDevice {
  readonly channels = [new PitChannel(0, true), new PitChannel(1, true), new PitChannel(2, false)];

  constructor(
    private readonly clock: Clock,
    private readonly irq: IrqSink,
  ) {
    super();
  }

  private tick(): number {
    return pitTicksAt(this.clock.now());
  }

  // ------------------------------------------------------------------ channel 2 via port 0x61

  setGate(channel: number, level: boolean): void {
    const c = this.channels[channel];
    if (c.gate === level) return;
    const now = this.tick();
    if (!level) {
      if (c.counting && (c.mode === 0 || c.mode === 4)) c.pausedTicks = now - c.startTick;
      c.gate = false;
      return;
    }
    c.gate = true;
    if (!c.counting && c.nullCount) return;
    switch (c.mode) {
      case 0:
      case 4:
        c.startTick = now - c.pausedTicks; // resume where the gate stopped it
        break;
      default:
        // Modes 1, 2, 3, 5: a gate rising edge (re)starts counting from N.
        c.startTick = now;
        c.counting = true;
        c.nullCount = false;
    }
  }

  out(channel: number): boolean {
    return this.channels[channel].out(this.tick());
  }

  // ------------------------------------------------------------------ TimedDevice (IRQ0)

  /** The next unreported rising edge of OUT0 (may be at or before `now`: then it is due). */
  nextDeadline(_now: number): number {
    const c = this.channels[0];
    const edge = c.nextRisingEdge(Math.max(c.lastEdgeTick, c.startTick - 1));
    return edge === Infinity ? Infinity : pitTimeOfTick(edge);
  }

  advance(now: number): void {
    const c = this.channels[0];
    const t = pitTicksAt(now);
    const edge = c.nextRisingEdge(Math.max(c.lastEdgeTick, c.startTick - 1));
    if (edge > t) return;
    // One rising edge on IRQ0 however many periods passed (the PIC latches one request). OUT is
    // high afterwards in every mode, so the line is left high.
    this.irq.setIrq(0, false);
    this.irq.setIrq(0, true);
    // Remember the latest edge at or before `t` so that none is reported twice.
    if (c.mode === 2 || c.mode === 3) {
      const n = c.period();
      c.lastEdgeTick = c.startTick + Math.floor((t - c.startTick) / n) * n;
    } else c.lastEdgeTick = edge;
  }

  // ------------------------------------------------------------------ ports 0x40-0x43

  read8(port: number): number {
    const i = port - 0x40;
    if (i < 0 || i > 2) return 0xff; // the control word register cannot be read
    const c = this.channels[i];
    if (c.statusLatched) {
      c.statusLatched = false;
      return c.statusValue;
    }
    if (c.latched) {
      const v = c.latchValue;
      if (c.access === 3 && !c.latchHighNext) {
        c.latchHighNext = true;
        return v & 0xff;
      }
      c.latched = false;
      c.latchHighNext = false;
      return c.access === 1 ? v & 0xff : (v >> 8) & 0xff;
    }
    const v = c.encode(c.value(this.tick()));
    switch (c.access) {
      case 1:
        return v & 0xff;
      case 2:
        return (v >> 8) & 0xff;
      default:
        c.readHighNext = !c.readHighNext;
        return c.readHighNext ? v & 0xff : (v >> 8) & 0xff;
    }
  }

  write8(port: number, v: number): void {
    const i = port - 0x40;
    if (i === 3) return this.writeControl(v);
    if (i < 0 || i > 2) return;
    const c = this.channels[i];
    switch (c.access) {
      case 1:
        this.load(c, v & 0xff);
        break;
      case 2:
        this.load(c, (v & 0xff) << 8);
        break;
      default:
        if (!c.writeLowPending) {
          c.writeLowPending = true;
          c.writeLow = v & 0xff;
          // Mode 0: writing the first byte stops the count (datasheet, mode 0).
          if (c.mode === 0 && c.counting) {
            c.pausedTicks = 0;
            c.counting = false;
            c.idleOut = false;
          }
        } else {
          c.writeLowPending = false;
          this.load(c, c.writeLow | ((v & 0xff) << 8));
        }
    }
  }

  private load(c: PitChannel, raw: number): void {
    c.count = c.decode(raw);
    c.nullCount = false;
    c.pausedTicks = 0;
    c.lastEdgeTick = -1;
    const now = this.tick();
    c.startTick = now;
    if (c.mode === 1 || c.mode === 5) {
      // Hardware-triggered modes wait for a gate rising edge.
      c.counting = false;
      c.idleOut = true;
      return;
    }
    c.counting = true;
    if (c.index === 0 && c.mode === 0) this.irq.setIrq(0, false);
  }

  private writeControl(v: number): void {
    const sel = v >> 6;
    if (sel === 3) {
      // Read-back command: bit 5 = 0 latches counts, bit 4 = 0 latches status, bits 3-1 channels.
      const now = this.tick();
      for (let i = 0; i < 3; i++) {
        if ((v & (2 << i)) === 0) continue;
        const c = this.channels[i];
        if ((v & 0x10) === 0 && !c.statusLatched) {
          c.statusLatched = true;
          c.statusValue =
            (c.out(now) ? 0x80 : 0) | (c.nullCount ? 0x40 : 0) | (c.access << 4) | (c.mode << 1) | (c.bcd ? 1 : 0);
        }
        if ((v & 0x20) === 0) this.latch(c, now);
      }
      return;
    }
    const c = this.channels[sel];
    const access = (v >> 4) & 3;
    if (access === 0) {
      this.latch(c, this.tick()); // counter latch command
      return;
    }
    c.access = access;
    let mode = (v >> 1) & 7;
    if (mode > 5) mode -= 4; // 6 and 7 are aliases of 2 and 3
    c.mode = mode;
    c.bcd = (v & 1) !== 0;
    c.counting = false;
    c.nullCount = true;
    c.writeLowPending = false;
    c.readHighNext = false;
    c.latched = false;
    c.latchHighNext = false;
    // OUT after a control word: low in mode 0, high in every other mode (datasheet, modes).
    c.idleOut = mode !== 0;
    // Only the falling edge is driven here: the rising edges of OUT0 are reported by advance(), so
    // that reprogramming never makes a spurious IRQ0.
    if (c.index === 0 && mode === 0) this.irq.setIrq(0, false);
  }

  private latch(c: PitChannel, now: number): void {
    if (c.latched) return; // a second latch before the read is ignored
    c.latched = true;
    c.latchHighNext = false;
    c.latchValue = c.encode(c.value(now));
  }
}
