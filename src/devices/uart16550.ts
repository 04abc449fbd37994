/**
 * A 16550A UART (National Semiconductor PC16550D datasheet) — the guest console on COM1 (0x3F8,
 * IRQ 4); COM2 (0x2F8, IRQ 3) is the same class at another base.
 *
 * Registers (offset from base; DLAB = LCR bit 7):
 *   0 RBR (read) / THR (write) / DLL (DLAB)      4 MCR  DTR RTS OUT1 OUT2 LOOP
 *   1 IER ERBFI ETBEI ELSI EDSSI / DLM (DLAB)     5 LSR  DR OE PE FE BI THRE TEMT RCVR-FIFO-error
 *   2 IIR (read) / FCR (write)                    6 MSR  DCTS DDSR TERI DDCD CTS DSR RI DCD
 *   3 LCR                                         7 SCR
 * Interrupt priorities (datasheet Table IV): receiver line status (IIR 0x6) > received data
 * available or character timeout (0x4 / 0xC) > THR empty (0x2) > modem status (0x0); IIR reads
 * 0x1 when none is pending, and bits 7-6 are set while the FIFOs are enabled. Reading IIR when it
 * reports THRE clears that interrupt until the next THR write or ETBEI enable.
 *
 * Transmission is instantaneous (the byte goes to the Console at once, THRE and TEMT stay set).
 * Received bytes wait in an unbounded host-side queue and enter the 16-byte receive FIFO as it has
 * room, so pasted input is never lost to overrun; and only while the guest listens, so input typed
 * before its driver is ready is not lost to the FIFO resets and discarding RBR reads of driver
 * start-up (Linux 8250: autoconfig, serial8250_do_startup) either. The guest listens when it has
 * enabled the received-data interrupt (IER bit 0), has never written IER (a guest that does not
 * set the UART up), or polls: POLL_READS LSR reads in a row with no other register touched (Linux
 * reads LSR at most twice in a row while its receive interrupt is off). A FIFO reset puts the
 * bytes the guest never read back at the head of the queue: to the guest they arrive later. A byte that waits in the FIFO below the trigger
 * level raises the character-timeout interrupt at once (the 4-character-time delay is not modelled).
 * Loopback (MCR bit 4): THR feeds the receiver, and MSR reads CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2;
 * Linux's autoconfig relies on it. On the PC, the IRQ pin is gated by OUT2 and is inactive in
 * loopback.
 */
import { ByteIoDevice } from './byte-io.js';
import type { Console, IrqSink } from './types.js';

export const COM1 = { base: 0x3f8, irq: 4 } as const;
export const COM2 = { base: 0x2f8, irq: 3 } as const;

const FIFO_SIZE = 16;
/** LSR reads in a row, nothing else touched, that make a guest with IER bit 0 clear a polling reader. */
const POLL_READS = 8;
const Ier = { RDA: 1, THRE: 2, RLS: 4, MS: 8 } as const;
const Lsr = { DR: 0x01, OE: 0x02, BI: 0x10, THRE: 0x20, TEMT: 0x40, FIFO_ERR: 0x80 } as const;
const Mcr = { DTR: 1, RTS: 2, OUT1: 4, OUT2: 8, LOOP: 16 } as const;
const Iir = { NONE: 0x01, RLS: 0x06, RDA: 0x04, TIMEOUT: 0x0c, THRE: 0x02, MS: 0x00 } as const;

export class Uart16550 extends ByteIoDevice {
  ier = 0;
  lcr = 0x03;
  mcr = 0;
  lsrErrors = 0;
  msr = 0;
  scr = 0;
  dll = 0x0c; // 9600 baud
  dlm = 0;
  fifoEnabled = false;
  rxTrigger = 1;
  /** THRE interrupt pending (set when THR empties or ETBEI is enabled; cleared by IIR read/THR write). */
  threPending = true;
  private readonly rx = new Uint8Array(FIFO_SIZE);
  /** Per FIFO slot: 1 when the byte came from the host (not from loopback). */
  private readonly rxFromHost = new Uint8Array(FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  /** Host input not yet in the FIFO. */
  private pendingInput: number[] = [];
  /** The guest has written IER (it sets the UART up), and LSR reads in a row since another access. */
  private ierWritten = false;
  private lsrReadsInARow = 0;
  private irqLevel = false;
  transmitted = 0;

  constructor(
    readonly base: number,
    readonly irqLine: number,
    private readonly irq: IrqSink,
    private readonly console: Console,
  ) {
    super();
  }

  /** Host -> guest: queue one received byte. */
  receive(byte: number): void {
    this.pendingInput.push(byte & 0xff);
    this.refill();
    this.update();
  }

  /** Host input the guest has not read: the FIFO's bytes, then the queue's (emptied). */
  takeUnread(): number[] {
    const out: number[] = [];
    while (this.rxCount > 0) {
      const host = this.rxFromHost[this.rxHead] === 1;
      const b = this.popRx();
      if (host) out.push(b);
    }
    out.push(...this.pendingInput);
    this.pendingInput = [];
    this.update();
    return out;
  }

  private listening(): boolean {
    return (this.ier & Ier.RDA) !== 0 || !this.ierWritten || this.lsrReadsInARow >= POLL_READS;
  }

  private refill(): void {
    if (this.pendingInput.length === 0 || !this.listening()) return;
    const room = this.fifoEnabled ? FIFO_SIZE : 1;
    while (this.rxCount < room && this.pendingInput.length > 0 && (this.mcr & Mcr.LOOP) === 0) {
      this.pushRx(this.pendingInput.shift()!, 1);
    }
  }

  /** Reset the receive FIFO: bytes the guest never read go back to the head of the host queue. */
  private resetRx(): void {
    const unread: number[] = [];
    while (this.rxCount > 0) {
      const host = this.rxFromHost[this.rxHead] === 1;
      const b = this.popRx();
      if (host) unread.push(b);
    }
    if (unread.length > 0) this.pendingInput.unshift(...unread);
    this.rxHead = 0;
  }

  private pushRx(b: number, fromHost: number): void {
    if (this.rxCount >= (this.fifoEnabled ? FIFO_SIZE : 1)) {
      this.lsrErrors |= Lsr.OE; // overrun: the new character is lost (FIFO mode) / overwrites
      if (!this.fifoEnabled) {
        this.rx[this.rxHead] = b;
        this.rxFromHost[this.rxHead] = fromHost;
      }
      return;
    }
    const at = (this.rxHead + this.rxCount) % FIFO_SIZE;
    this.rx[at] = b;
    this.rxFromHost[at] = fromHost;
    this.rxCount++;
  }

  private popRx(): number {
    if (this.rxCount === 0) return 0;
    const b = this.rx[this.rxHead];
    this.rxHead = (this.rxHead + 1) % FIFO_SIZE;
    this.rxCount--;
    return b;
  }

  /** The highest-priority pending interrupt as its IIR code. */
  private interruptId(): number {
    if ((this.ier & Ier.RLS) !== 0 && (this.lsrErrors & (Lsr.OE | 0x0e | Lsr.BI)) !== 0) return Iir.RLS;
    if ((this.ier & Ier.RDA) !== 0 && this.rxCount > 0) {
      return this.fifoEnabled && this.rxCount < this.rxTrigger ? Iir.TIMEOUT : Iir.RDA;
    }
    if ((this.ier & Ier.THRE) !== 0 && this.threPending) return Iir.THRE;
    if ((this.ier & Ier.MS) !== 0 && (this.msr & 0x0f) !== 0) return Iir.MS;
    return Iir.NONE;
  }

  private update(): void {
    const level = this.interruptId() !== Iir.NONE && (this.mcr & Mcr.OUT2) !== 0 && (this.mcr & Mcr.LOOP) === 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setIrq(this.irqLine, level);
    }
  }

  private lsr(): number {
    return (this.rxCount > 0 ? Lsr.DR : 0) | this.lsrErrors | Lsr.THRE | Lsr.TEMT;
  }

  /** MSR status bits: from the modem lines, or from MCR in loopback. */
  private msrStatus(): number {
    if ((this.mcr & Mcr.LOOP) !== 0) {
      const m = this.mcr;
      return ((m & Mcr.RTS) !== 0 ? 0x10 : 0) | ((m & Mcr.DTR) !== 0 ? 0x20 : 0) | ((m & Mcr.OUT1) !== 0 ? 0x40 : 0) | ((m & Mcr.OUT2) !== 0 ? 0x80 : 0);
    }
    return 0x10 | 0x20 | 0x80; // CTS, DSR, DCD asserted: a terminal is attached
  }

  read8(port: number): number {
    const off = (port - this.base) & 7;
    const dlab = (this.lcr & 0x80) !== 0;
    if (off === 5) {
      this.lsrReadsInARow++;
      if (this.lsrReadsInARow === POLL_READS) this.refill();
    } else this.lsrReadsInARow = 0;
    let v: number;
    switch (off) {
      case 0:
        if (dlab) return this.dll;
        v = this.popRx();
        this.refill();
        break;
      case 1:
        return dlab ? this.dlm : this.ier;
      case 2: {
        const id = this.interruptId();
        if (id === Iir.THRE) this.threPending = false;
        v = id | (this.fifoEnabled ? 0xc0 : 0);
        break;
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        v = this.lsr();
        this.lsrErrors = 0; // OE, PE, FE, BI clear on read
        break;
      case 6:
        v = (this.msrStatus() & 0xf0) | (this.msr & 0x0f);
        this.msr = v & 0xf0; // deltas clear on read
        break;
      default:
        return this.scr;
    }
    this.update();
    return v;
  }

  write8(port: number, value: number): void {
    const off = (port - this.base) & 7;
    const dlab = (this.lcr & 0x80) !== 0;
    this.lsrReadsInARow = 0;
    switch (off) {
      case 0:
        if (dlab) {
          this.dll = value;
          return;
        }
        this.transmit(value);
        break;
      case 1: {
        if (dlab) {
          this.dlm = value;
          return;
        }
        const old = this.ier;
        this.ier = value & 0x0f;
        this.ierWritten = true;
        this.refill();
        // Enabling ETBEI with an empty THR raises THRE at once (datasheet; Linux's THRE test).
        if ((value & Ier.THRE) !== 0 && (old & Ier.THRE) === 0) this.threPending = true;
        break;
      }
      case 2: // FCR
        if ((value & 1) !== (this.fifoEnabled ? 1 : 0)) this.resetRx(); // changing the FIFO enable resets both FIFOs
        this.fifoEnabled = (value & 1) !== 0;
        if ((value & 2) !== 0) this.resetRx();
        this.rxTrigger = [1, 4, 8, 14][value >> 6];
        this.refill();
        break;
      case 3:
        this.lcr = value;
        return;
      case 4: {
        const before = this.msrStatus();
        const wasLoop = (this.mcr & Mcr.LOOP) !== 0;
        this.mcr = value & 0x1f;
        this.noteModemChange(before, this.msrStatus());
        if (wasLoop && (this.mcr & Mcr.LOOP) === 0) this.refill();
        break;
      }
      case 5: // LSR is read-only (factory test writes ignored)
      case 6:
        return;
      default:
        this.scr = value;
        return;
    }
    this.update();
  }

  /** Delta bits of MSR: DCTS, DDSR, DDCD on change; TERI on RI trailing edge. */
  private noteModemChange(before: number, after: number): void {
    const diff = before ^ after;
    if (diff & 0x10) this.msr |= 0x01;
    if (diff & 0x20) this.msr |= 0x02;
    if (before & 0x40 && !(after & 0x40)) this.msr |= 0x04;
    if (diff & 0x80) this.msr |= 0x08;
  }

  private transmit(b: number): void {
    this.transmitted++;
    if ((this.mcr & Mcr.LOOP) !== 0) this.pushRx(b, 0);
    else this.console.write(b);
    // The shift register empties at once: THR is empty again.
    this.threPending = true;
  }
}
