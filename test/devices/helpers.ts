/** Shared fixtures for the device tests: a bus, a hand-set clock and a recording IRQ sink. */
import { IoBus } from '../../src/hv/io-bus.js';
import type { IrqSink } from '../../src/devices/types.js';

export { ManualClock } from '../../src/devices/types.js';

/** Records every setIrq call and the current level of each line. */
export class IrqRecorder implements IrqSink {
  readonly levels = new Array<boolean>(16).fill(false);
  /** Rising edges seen per line. */
  readonly edges = new Array<number>(16).fill(0);

  setIrq(line: number, level: boolean): void {
    if (level && !this.levels[line]) this.edges[line]++;
    this.levels[line] = level;
  }
}

export function ioBus(): IoBus {
  return new IoBus();
}
