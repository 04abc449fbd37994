/**
 * Small interfaces shared by the devices of src/devices (DESIGN.md "Time", STYLE.md §6).
 *
 * A device sees virtual time through a `Clock` (nanoseconds, a double), raises interrupt lines
 * through an `IrqSink` (the 8259A pair), and, when it has timed events, implements `TimedDevice` so
 * the machine can sleep to the earliest deadline (v86's `timer(now)`; HLT fast-forwards to it).
 */

/** Virtual time in nanoseconds (a double; exact integers below 2^53 ns, about 104 days). */
export interface Clock {
  now(): number;
}

export interface TimedDevice {
  /** Absolute virtual time (ns) of this device's next event, Infinity if none is scheduled. */
  nextDeadline(now: number): number;
  /** Fire every event due at or before `now` (raise IRQ lines, set status flags). */
  advance(now: number): void;
}

/** ISA interrupt lines 0-15. Edge-triggered inputs see a rising edge when `level` goes true. */
export interface IrqSink {
  setIrq(line: number, level: boolean): void;
}

/** Where a UART's transmitted bytes go (the terminal, a test buffer...). */
export interface Console {
  write(bytes: Uint8Array | number): void;
}

/** A clock a test (or a machine that drives time itself) sets by hand. */
export class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
}

/** 8-bit BCD <-> binary (MC146818, 8254 BCD counting). */
export function toBcd(v: number): number {
  return ((((v / 10) | 0) % 10) << 4) | v % 10;
}

export function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 15);
}
