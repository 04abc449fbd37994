/**
 * System control port B (0x61) of the PC/AT: bit 0 drives the 8254 channel 2 gate, bit 1 enables
 * the speaker, bits 2-3 (parity/IOCHK check enables) are stored; reads add bit 4, the DRAM refresh
 * request that toggles every 15.085 us (refresh.c-style delay loops poll it), and bit 5, OUT2 of the
 * 8254 (Linux's pit_calibrate_tsc and quick_pit_calibrate poll it). Bits 6-7 (errors) read 0.
 */
import { ByteIoDevice } from './byte-io.js';
import type { Pit8254 } from './pit.js';
import type { Clock } from './types.js';

const REFRESH_HALF_PERIOD_NS = 15085;

export class SystemControlPortB extends ByteIoDevice {
  private bits = 0;

  constructor(
    private readonly pit: Pit8254,
    private readonly clock: Clock,
  ) {
    super();
  }

  read8(_port: number): number {
    const refresh = Math.floor(this.clock.now() / REFRESH_HALF_PERIOD_NS) & 1;
    return (this.bits & 0x0f) | (refresh << 4) | (this.pit.out(2) ? 0x20 : 0);
  }

  write8(_port: number, v: number): void {
    this.bits = v & 0x0f;
    this.pit.setGate(2, (v & 1) !== 0);
  }
}
