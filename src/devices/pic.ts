/**
 * The 8259A programmable interrupt controller pair of the PC/AT: master at 0x20/0x21 (IRQ 0-7),
 * slave at 0xA0/0xA1 (IRQ 8-15) cascaded on the master's IR2, and the edge/level control
 * registers (ELCR, PIIX/EISA) at 0x4D0/0x4D1.
 *
 * Behaviour follows the Intel 8259A datasheet (231468): ICW1-ICW4 initialisation, OCW1 (mask),
 * OCW2 (EOI, specific EOI, rotation, set priority), OCW3 (IRR/ISR read, poll, special mask mode),
 * auto-EOI with optional rotation, special fully nested mode, and the spurious IR7 (vector base + 7,
 * no ISR bit) when a request goes away before the INTA cycle.
 *
 * Usage: devices call `setIrq(line, level)`; the CPU (through the interrupt router) calls
 * `hasInterrupt()` and, when it takes the interrupt, `acknowledge()` for the vector.
 */
import type { InterruptSource } from '../cpu/cpu.js';
import { ByteIoDevice } from './byte-io.js';
import type { IrqSink } from './types.js';

/** One 8259A. Priorities: level `lowest` has the lowest priority, (lowest+1)&7 the highest. */
export class Pic8259 {
  irr = 0;
  isr = 0;
  imr = 0;
  /** Current level of the eight IR input pins (for edge detection and level mode). */
  lines = 0;
  /** ELCR bits (1 = level-triggered), limited to `elcrMask`. */
  elcr = 0;
  vectorBase = 0;
  /** 0 = operating; 2/3/4 = the next byte written to the odd port is ICW2/ICW3/ICW4. */
  initStep = 0;
  needIcw4 = false;
  single = false;
  /** ICW1.LTIM: every input level-triggered. */
  ltim = false;
  icw3 = 0;
  autoEoi = false;
  rotateOnAutoEoi = false;
  specialFullyNested = false;
  specialMask = false;
  readIsr = false;
  pollPending = false;
  lowest = 7;

  constructor(
    readonly isMaster: boolean,
    readonly elcrMask: number,
  ) {}

  private levelMask(): number {
    return this.ltim ? 0xff : this.elcr;
  }

  /** Drive input pin `irq` (0-7). Edge mode latches IRR on a rising edge; level mode follows the pin. */
  setLine(irq: number, level: boolean): void {
    const bit = 1 << irq;
    if (level) {
      if ((this.levelMask() & bit) !== 0 || (this.lines & bit) === 0) this.irr |= bit;
      this.lines |= bit;
    } else {
      if ((this.levelMask() & bit) !== 0) this.irr &= ~bit;
      this.lines &= ~bit;
    }
  }

  /** Priority rank of `irq`: 0 is the highest. */
  private rank(irq: number): number {
    return (irq - this.lowest - 1) & 7;
  }

  /** Highest-priority set bit of `mask`, or -1. */
  private highest(mask: number): number {
    if (mask === 0) return -1;
    for (let r = 0; r < 8; r++) {
      const irq = (this.lowest + 1 + r) & 7;
      if ((mask & (1 << irq)) !== 0) return irq;
    }
    return -1;
  }

  /** The request the chip would present on INT now, or -1 (datasheet: priority resolver). */
  pending(): number {
    const req = this.irr & ~this.imr & 0xff;
    const best = this.highest(req);
    if (best < 0) return -1;
    if (this.specialMask) return (this.isr & (1 << best)) === 0 ? best : -1;
    let inService = this.isr;
    // Special fully nested mode: the slave's own in-service level does not block more slave requests.
    if (this.isMaster && this.specialFullyNested) inService &= ~(1 << 2);
    const cur = this.highest(inService);
    if (cur >= 0 && this.rank(cur) <= this.rank(best)) return -1;
    return best;
  }

  /** INTA for `irq` (from `pending()`): ISR set unless auto-EOI, edge IRR latch cleared. */
  ack(irq: number): void {
    const bit = 1 << irq;
    if ((this.levelMask() & bit) === 0) this.irr &= ~bit;
    if (this.autoEoi) {
      if (this.rotateOnAutoEoi) this.lowest = irq;
    } else this.isr |= bit;
  }

  private eoiHighest(rotate: boolean): void {
    const irq = this.highest(this.isr);
    if (irq < 0) return;
    this.isr &= ~(1 << irq);
    if (rotate) this.lowest = irq;
  }

  writeCommand(v: number): void {
    if ((v & 0x10) !== 0) {
      // ICW1 (datasheet "Initialization command words"): mask cleared, IR7 lowest, status = IRR,
      // special mask off, edge sense reset (a pin already high needs a new rising edge).
      this.ltim = (v & 0x08) !== 0;
      this.single = (v & 0x02) !== 0;
      this.needIcw4 = (v & 0x01) !== 0;
      this.imr = 0;
      this.isr = 0;
      this.irr = this.lines & this.levelMask();
      this.lowest = 7;
      this.specialMask = false;
      this.readIsr = false;
      this.pollPending = false;
      this.autoEoi = false;
      this.rotateOnAutoEoi = false;
      this.specialFullyNested = false;
      this.initStep = 2;
      return;
    }
    if ((v & 0x08) === 0) {
      // OCW2: R SL EOI in bits 7-5, level in bits 2-0.
      const level = v & 7;
      switch (v >> 5) {
        case 1: // non-specific EOI
          this.eoiHighest(false);
          break;
        case 3: // specific EOI
          this.isr &= ~(1 << level);
          break;
        case 5: // rotate on non-specific EOI
          this.eoiHighest(true);
          break;
        case 4: // set rotate in auto-EOI mode
          this.rotateOnAutoEoi = true;
          break;
        case 0: // clear rotate in auto-EOI mode
          this.rotateOnAutoEoi = false;
          break;
        case 7: // rotate on specific EOI
          this.isr &= ~(1 << level);
          this.lowest = level;
          break;
        case 6: // set priority
          this.lowest = level;
          break;
        default: // 2: no operation
          break;
      }
      return;
    }
    // OCW3: ESMM/SMM in bits 6-5, P in bit 2, RR/RIS in bits 1-0.
    if ((v & 0x40) !== 0) this.specialMask = (v & 0x20) !== 0;
    if ((v & 0x04) !== 0) this.pollPending = true;
    if ((v & 0x02) !== 0) this.readIsr = (v & 0x01) !== 0;
  }

  writeData(v: number): void {
    switch (this.initStep) {
      case 2:
        this.vectorBase = v & 0xf8;
        this.initStep = this.single ? (this.needIcw4 ? 4 : 0) : 3;
        return;
      case 3:
        this.icw3 = v;
        this.initStep = this.needIcw4 ? 4 : 0;
        return;
      case 4:
        this.autoEoi = (v & 0x02) !== 0;
        this.specialFullyNested = (v & 0x10) !== 0;
        this.initStep = 0;
        return;
      default:
        this.imr = v;
    }
  }

  readStatus(): number {
    return this.readIsr ? this.isr : this.irr;
  }

  setElcr(v: number): void {
    this.elcr = v & this.elcrMask;
    // Level inputs follow their pins; edge inputs keep whatever they latched.
    this.irr = (this.irr & ~this.elcr) | (this.lines & this.elcr);
  }
}

export const PicPorts = {
  MASTER: 0x20,
  SLAVE: 0xa0,
  ELCR: 0x4d0,
} as const;

/** The cascaded pair, its I/O ports, and the CPU's view of it (InterruptSource). */
export class PicPair extends ByteIoDevice implements IrqSink, InterruptSource {
  /** ELCR: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge (PIIX3 datasheet, ELCR). */
  readonly master = new Pic8259(true, 0xf8);
  readonly slave = new Pic8259(false, 0xde);
  spuriousCount = 0;

  constructor() {
    super();
    this.firmwareInit();
  }

  /**
   * Leave the pair as a PC BIOS does before it boots anything: master vectors 0x08-0x0F, slave
   * 0x70-0x77, cascade on IR2, 8086 mode, nothing masked. Guests that take over (Linux) run their
   * own ICW sequence; real-mode tests that set an IVT entry and raise an IRQ rely on this.
   */
  firmwareInit(masterBase = 0x08, slaveBase = 0x70): void {
    for (const [chip, base, icw3] of [
      [this.master, masterBase, 0x04],
      [this.slave, slaveBase, 0x02],
    ] as const) {
      chip.writeCommand(0x11);
      chip.writeData(base);
      chip.writeData(icw3);
      chip.writeData(0x01);
      chip.writeData(0x00);
    }
  }

  setIrq(line: number, level: boolean): void {
    if (line === 2) line = 9; // the AT bus's IRQ2 pin is wired to IRQ9
    if (line < 8) this.master.setLine(line, level);
    else this.slave.setLine(line & 7, level);
    this.updateCascade();
  }

  /**
   * The slave's INT output drives the master's IR2. It is treated as level-sensitive whatever the
   * master's mode: a second slave request that arrives while IR2 is in service is then not lost
   * for want of a new edge (the slave holds INT high until it is acknowledged).
   */
  private updateCascade(): void {
    if (this.slave.pending() >= 0) {
      this.master.irr |= 4;
      this.master.lines |= 4;
    } else {
      this.master.irr &= ~4;
      this.master.lines &= ~4;
    }
  }

  hasInterrupt(): boolean {
    return this.master.pending() >= 0;
  }

  /** INTA cycle: the vector of the highest-priority request, or the spurious IR7 vector. */
  acknowledge(): number {
    const irq = this.master.pending();
    if (irq < 0) {
      this.spuriousCount++;
      return this.master.vectorBase + 7;
    }
    this.master.ack(irq);
    let vector: number;
    if (irq === 2 && !this.master.single) {
      const sirq = this.slave.pending();
      if (sirq < 0) {
        this.spuriousCount++;
        vector = this.slave.vectorBase + 7;
      } else {
        this.slave.ack(sirq);
        vector = this.slave.vectorBase + sirq;
      }
    } else vector = this.master.vectorBase + irq;
    this.updateCascade();
    return vector;
  }

  /** Poll command (OCW3 P=1): the next read returns 0x80 | level and acknowledges it, or 0. */
  private poll(chip: Pic8259): number {
    chip.pollPending = false;
    const irq = chip.pending();
    if (irq < 0) return 0;
    chip.ack(irq);
    if (chip === this.master && irq === 2) {
      const sirq = this.slave.pending();
      if (sirq >= 0) this.slave.ack(sirq);
    }
    this.updateCascade();
    return 0x80 | irq;
  }

  read8(port: number): number {
    switch (port) {
      case 0x20:
        return this.master.pollPending ? this.poll(this.master) : this.master.readStatus();
      case 0x21:
        return this.master.imr;
      case 0xa0:
        return this.slave.pollPending ? this.poll(this.slave) : this.slave.readStatus();
      case 0xa1:
        return this.slave.imr;
      case 0x4d0:
        return this.master.elcr;
      case 0x4d1:
        return this.slave.elcr;
      default:
        return 0xff;
    }
  }

  write8(port: number, v: number): void {
    switch (port) {
      case 0x20:
        this.master.writeCommand(v);
        break;
      case 0x21:
        this.master.writeData(v);
        break;
      case 0xa0:
        this.slave.writeCommand(v);
        break;
      case 0xa1:
        this.slave.writeData(v);
        break;
      case 0x4d0:
        this.master.setElcr(v);
        break;
      case 0x4d1:
        this.slave.setElcr(v);
        break;
      default:
        return;
    }
    this.updateCascade();
  }
}
