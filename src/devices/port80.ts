/**
 * The POST diagnostic port 0x80. Writes are swallowed (guests use `outb 0x80` as an I/O delay); the
 * last value is kept for debugging. Reads return it too, as many chipsets do.
 */
import { ByteIoDevice } from './byte-io.js';

export class PostPort extends ByteIoDevice {
  last = 0;
  writes = 0;

  read8(_port: number): number {
    return this.last;
  }

  write8(_port: number, v: number): void {
    this.last = v;
    this.writes++;
  }
}
