/**
 * The 8042 keyboard controller at 0x60 (data) / 0x64 (status on read, command on write), enough for
 * a guest to probe it, find no keyboard input, and reset the machine (IBM PC/AT Technical Reference,
 * "Keyboard controller"; the commands Linux's i8042 driver and atkbd send).
 *
 * Status: OBF (bit 0), IBF (1, always 0: commands complete at once), SYS (2, command byte bit 2),
 * A2 (3, last write was a command), keylock-off (4), AUX OBF (5).
 * Controller commands: 0x20 read / 0x60 write the command byte, 0xA7/0xA8 disable/enable the aux
 * port, 0xA9 aux interface test (0x00), 0xAA self-test (0x55), 0xAB keyboard interface test (0x00),
 * 0xAD/0xAE disable/enable the keyboard, 0xC0 input port, 0xD0 read / 0xD1 write the output port
 * (bit 0 low = reset), 0xD2/0xD3 echo a byte as keyboard/aux data, 0xD4 send a byte to the aux
 * device (an idle mouse, see `auxCommand`), 0xF0-0xFF pulse output bits (0xFE: bit 0 = CPU reset
 * -> `onReset`).
 * Keyboard commands written to 0x60 are acknowledged (0xFA) like an idle AT keyboard: 0xFF reset
 * answers 0xFA 0xAA, 0xF2 identify answers 0xFA 0xAB 0x83, 0xEE echo answers 0xEE.
 * Keyboard bytes raise IRQ1 and aux bytes IRQ12 when enabled in the command byte (bits 0/1).
 */
import { ByteIoDevice } from './byte-io.js';
import type { IrqSink } from './types.js';

const Status = { OBF: 0x01, SYS: 0x04, CMD: 0x08, UNLOCKED: 0x10, AUX: 0x20, } as const;
const Ccb = { KBD_INT: 0x01, AUX_INT: 0x02, SYS: 0x04, KBD_DISABLE: 0x10, AUX_DISABLE: 0x20, XLATE: 0x40 } as const;

export class I8042 extends ByteIoDevice {
  commandByte = Ccb.KBD_INT | Ccb.SYS | Ccb.XLATE;
  outputPort = 0x03; // A20 enabled, not in reset
  /** The controller command waiting for its data byte on port 0x60 (0 if none). */
  pendingCommand = 0;
  /** The keyboard command waiting for its argument (0xED, 0xF0, 0xF3), or 0. */
  pendingKbdCommand = 0;
  /** The aux (mouse) command waiting for its argument (0xE8, 0xF3), or 0. */
  pendingAuxCommand = 0;
  lastWasCommand = false;
  lastData = 0;
  /** Queued output bytes; `aux` marks each as coming from the aux port. */
  private readonly queue: number[] = [];
  private readonly queueAux: boolean[] = [];

  constructor(
    private readonly irq: IrqSink,
    private readonly onReset: () => void,
  ) {
    super();
  }

  private push(b: number, aux: boolean): void {
    this.queue.push(b & 0xff);
    this.queueAux.push(aux);
    this.raise();
  }

  private raise(): void {
    if (this.queue.length === 0) return;
    const aux = this.queueAux[0];
    const line = aux ? 12 : 1;
    const enabled = aux ? Ccb.AUX_INT : Ccb.KBD_INT;
    if ((this.commandByte & enabled) !== 0) {
      this.irq.setIrq(line, false);
      this.irq.setIrq(line, true);
    }
  }

  read8(port: number): number {
    if (port === 0x64) {
      let s = Status.UNLOCKED | (this.commandByte & Ccb.SYS ? Status.SYS : 0) | (this.lastWasCommand ? Status.CMD : 0);
      if (this.queue.length > 0) s |= Status.OBF | (this.queueAux[0] ? Status.AUX : 0);
      return s;
    }
    if (port !== 0x60) return 0xff;
    if (this.queue.length === 0) return this.lastData; // the output buffer keeps its last byte
    const aux = this.queueAux.shift()!;
    const v = this.queue.shift()!;
    this.lastData = v;
    this.irq.setIrq(aux ? 12 : 1, false);
    this.raise();
    return v;
  }

  write8(port: number, v: number): void {
    if (port === 0x64) {
      this.lastWasCommand = true;
      this.command(v);
      return;
    }
    if (port !== 0x60) return;
    this.lastWasCommand = false;
    const cmd = this.pendingCommand;
    this.pendingCommand = 0;
    switch (cmd) {
      case 0x60:
        this.commandByte = v;
        return;
      case 0xd1:
        this.writeOutputPort(v);
        return;
      case 0xd2:
        this.push(v, false);
        return;
      case 0xd3:
        this.push(v, true);
        return;
      case 0xd4:
        this.auxCommand(v);
        return;
      default:
        this.keyboardCommand(v);
    }
  }

  private writeOutputPort(v: number): void {
    this.outputPort = v;
    if ((v & 1) === 0) this.onReset();
  }

  private command(v: number): void {
    switch (v) {
      case 0x20:
        this.push(this.commandByte, false);
        return;
      case 0x60:
      case 0xd1:
      case 0xd2:
      case 0xd3:
      case 0xd4:
        this.pendingCommand = v;
        return;
      case 0xa7:
        this.commandByte |= Ccb.AUX_DISABLE;
        return;
      case 0xa8:
        this.commandByte &= ~Ccb.AUX_DISABLE;
        return;
      case 0xa9:
      case 0xab:
        this.push(0x00, false); // interface test passed
        return;
      case 0xaa:
        this.commandByte |= Ccb.SYS;
        this.push(0x55, false); // self-test passed
        return;
      case 0xad:
        this.commandByte |= Ccb.KBD_DISABLE;
        return;
      case 0xae:
        this.commandByte &= ~Ccb.KBD_DISABLE;
        return;
      case 0xc0:
        this.push(0x80, false); // input port: keyboard not inhibited
        return;
      case 0xd0:
        this.push(this.outputPort, false);
        return;
      default:
        // 0xF0-0xFF: pulse the output port bits whose command bits are 0 (bit 0 = reset).
        if (v >= 0xf0 && (v & 1) === 0) this.onReset();
    }
  }

  /**
   * An idle PS/2 mouse on the aux port, so that a guest's probe completes without timeouts:
   * 0xFF reset answers 0xFA 0xAA 0x00, 0xF2 get-ID 0xFA 0x00 (standard mouse), 0xE9 status
   * 0xFA and three zero bytes; 0xE8/0xF3 take an argument; everything else is acknowledged.
   */
  private auxCommand(v: number): void {
    if (this.pendingAuxCommand !== 0) {
      this.pendingAuxCommand = 0;
      this.push(0xfa, true);
      return;
    }
    switch (v) {
      case 0xff:
        this.push(0xfa, true);
        this.push(0xaa, true);
        this.push(0x00, true);
        return;
      case 0xf2:
        this.push(0xfa, true);
        this.push(0x00, true);
        return;
      case 0xe9:
        this.push(0xfa, true);
        this.push(0x00, true);
        this.push(0x00, true);
        this.push(0x00, true);
        return;
      case 0xe8:
      case 0xf3:
        this.pendingAuxCommand = v;
        this.push(0xfa, true);
        return;
      default:
        this.push(0xfa, true);
    }
  }

  private keyboardCommand(v: number): void {
    const arg = this.pendingKbdCommand;
    if (arg !== 0) {
      this.pendingKbdCommand = 0;
      this.push(0xfa, false);
      return;
    }
    switch (v) {
      case 0xff:
        this.push(0xfa, false);
        this.push(0xaa, false);
        return;
      case 0xf2:
        this.push(0xfa, false);
        this.push(0xab, false);
        this.push(0x83, false);
        return;
      case 0xee:
        this.push(0xee, false);
        return;
      case 0xed:
      case 0xf0:
      case 0xf3:
        this.pendingKbdCommand = v;
        this.push(0xfa, false);
        return;
      default:
        this.push(0xfa, false); // enable/disable/defaults...: acknowledged
    }
  }
}
