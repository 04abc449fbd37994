import { beforeEach, describe, expect, it } from 'vitest';
import { PicPair } from '../../src/devices/pic.js';
import { IoBus } from '../../src/hv/io-bus.js';

/** Initialise like Linux's init_8259A: vectors 0x20/0x28, cascade on IR2, 8086 mode. */
function initPair(io: IoBus, icw4 = 0x01): void {
  io.write(0x20, 1, 0x11);
  io.write(0x21, 1, 0x20);
  io.write(0x21, 1, 0x04);
  io.write(0x21, 1, icw4);
  io.write(0xa0, 1, 0x11);
  io.write(0xa1, 1, 0x28);
  io.write(0xa1, 1, 0x02);
  io.write(0xa1, 1, icw4);
  io.write(0x21, 1, 0x00);
  io.write(0xa1, 1, 0x00);
}

const readIrr = (io: IoBus, port: number) => (io.write(port, 1, 0x0a), io.read(port, 1));
const readIsr = (io: IoBus, port: number) => (io.write(port, 1, 0x0b), io.read(port, 1));

describe('8259A pair before the guest programs it', () => {
  it('is left as a BIOS leaves it: vectors 0x08 and 0x70, nothing masked', () => {
    const pic = new PicPair();
    pic.setIrq(0, true);
    expect(pic.acknowledge()).toBe(0x08);
    pic.setIrq(11, true);
    expect(pic.hasInterrupt()).toBe(false); // IR0 still in service, IR2 is lower
    pic.write8(0x20, 0x20);
    expect(pic.acknowledge()).toBe(0x73);
  });
});

describe('8259A pair', () => {
  let io: IoBus;
  let pic: PicPair;
  beforeEach(() => {
    io = new IoBus();
    pic = new PicPair();
    io.register(0x20, 2, pic);
    io.register(0xa0, 2, pic);
    io.register(0x4d0, 2, pic);
    initPair(io);
  });

  it('delivers an edge-triggered IRQ with the ICW2 vector and tracks IRR/ISR', () => {
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(0, true);
    expect(readIrr(io, 0x20)).toBe(0x01);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x20);
    expect(readIsr(io, 0x20)).toBe(0x01);
    expect(readIrr(io, 0x20)).toBe(0x00);
    // The line stays high: no new edge, no new request.
    expect(pic.hasInterrupt()).toBe(false);
    io.write(0x20, 1, 0x20); // non-specific EOI
    expect(readIsr(io, 0x20)).toBe(0);
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(0, false);
    pic.setIrq(0, true);
    expect(pic.acknowledge()).toBe(0x20);
  });

  it('resolves fixed priorities: IR0 highest, nesting only for higher levels', () => {
    pic.setIrq(3, true);
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    // IR3 is lower than IR1 in service: blocked.
    expect(pic.hasInterrupt()).toBe(false);
    pic.setIrq(0, true);
    expect(pic.acknowledge()).toBe(0x20); // IR0 nests above IR1
    io.write(0x20, 1, 0x20); // EOI clears the highest in service: IR0
    expect(readIsr(io, 0x20)).toBe(0x02);
    io.write(0x20, 1, 0x20);
    expect(pic.acknowledge()).toBe(0x23);
  });

  it('masks requests with OCW1 and keeps them in IRR', () => {
    io.write(0x21, 1, 0x10);
    expect(io.read(0x21, 1)).toBe(0x10);
    pic.setIrq(4, true);
    expect(pic.hasInterrupt()).toBe(false);
    expect(readIrr(io, 0x20)).toBe(0x10);
    io.write(0x21, 1, 0x00);
    expect(pic.acknowledge()).toBe(0x24);
  });

  it('cascades slave interrupts through IR2', () => {
    pic.setIrq(12, true);
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2c);
    expect(readIsr(io, 0x20)).toBe(0x04);
    expect(readIsr(io, 0xa0)).toBe(0x10);
    // Masking IR2 on the master blocks the whole slave.
    io.write(0xa0, 1, 0x20);
    io.write(0x20, 1, 0x20);
    io.write(0x21, 1, 0x04);
    pic.setIrq(8, true);
    expect(pic.hasInterrupt()).toBe(false);
    io.write(0x21, 1, 0x00);
    expect(pic.acknowledge()).toBe(0x28);
  });

  it('does not lose a second slave request that arrives while IR2 is in service', () => {
    pic.setIrq(12, true);
    expect(pic.acknowledge()).toBe(0x2c);
    pic.setIrq(8, true); // higher than IR12 on the slave
    expect(pic.hasInterrupt()).toBe(false); // master IR2 is in service
    io.write(0xa0, 1, 0x20);
    io.write(0x20, 1, 0x20);
    expect(pic.acknowledge()).toBe(0x28);
  });

  it('returns the spurious IR7 vector when the request went away before INTA', () => {
    io.write(0x4d0, 1, 0x20); // IRQ5 level-triggered
    pic.setIrq(5, true);
    expect(pic.hasInterrupt()).toBe(true);
    pic.setIrq(5, false);
    expect(pic.acknowledge()).toBe(0x27);
    expect(readIsr(io, 0x20)).toBe(0);
  });

  it('returns the slave spurious vector (IR15) and leaves master IR2 in service', () => {
    // The race: the master has latched IR2, then the slave's request goes away before INTA. Our
    // cascade follows the slave's INT at every register access, so the race is set up by hand.
    io.write(0xa1, 1, 0x02); // IRQ9 masked on the slave: the slave has nothing to offer
    pic.master.irr |= 4;
    expect(pic.hasInterrupt()).toBe(true);
    expect(pic.acknowledge()).toBe(0x2f);
    expect(readIsr(io, 0x20)).toBe(0x04);
    expect(readIsr(io, 0xa0)).toBe(0);
  });

  it('re-requests a level-triggered line after EOI while it stays high', () => {
    io.write(0x4d1, 1, 0x08); // IRQ11 level
    expect(io.read(0x4d1, 1)).toBe(0x08);
    pic.setIrq(11, true);
    expect(pic.acknowledge()).toBe(0x2b);
    io.write(0xa0, 1, 0x20);
    io.write(0x20, 1, 0x20);
    expect(pic.acknowledge()).toBe(0x2b);
    io.write(0xa0, 1, 0x20);
    io.write(0x20, 1, 0x20);
    pic.setIrq(11, false);
    expect(pic.hasInterrupt()).toBe(false);
  });

  it('limits ELCR to the lines that may be level-triggered', () => {
    io.write(0x4d0, 1, 0xff);
    io.write(0x4d1, 1, 0xff);
    expect(io.read(0x4d0, 1)).toBe(0xf8);
    expect(io.read(0x4d1, 1)).toBe(0xde);
  });

  it('honours specific EOI for a level that is not the highest in service', () => {
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    pic.setIrq(0, true);
    expect(pic.acknowledge()).toBe(0x20);
    expect(readIsr(io, 0x20)).toBe(0x03);
    io.write(0x20, 1, 0x61); // specific EOI, level 1
    expect(readIsr(io, 0x20)).toBe(0x01);
    io.write(0x20, 1, 0x20); // non-specific EOI clears IR0
    expect(readIsr(io, 0x20)).toBe(0x00);
  });

  it('auto-EOI leaves ISR clear', () => {
    initPair(io, 0x03);
    pic.setIrq(6, true);
    expect(pic.acknowledge()).toBe(0x26);
    expect(readIsr(io, 0x20)).toBe(0);
    pic.setIrq(7, true);
    expect(pic.acknowledge()).toBe(0x27);
  });

  it('rotates priorities with "set priority" and "rotate on non-specific EOI"', () => {
    io.write(0x20, 1, 0xc0 | 3); // IR3 lowest: IR4 highest
    pic.setIrq(1, true);
    pic.setIrq(4, true);
    expect(pic.acknowledge()).toBe(0x24);
    io.write(0x20, 1, 0xa0); // rotate on EOI: IR4 becomes lowest, IR5 highest
    expect(pic.acknowledge()).toBe(0x21);
    io.write(0x20, 1, 0x20);
    pic.setIrq(4, false);
    pic.setIrq(4, true);
    pic.setIrq(5, true);
    expect(pic.acknowledge()).toBe(0x25);
  });

  it('answers the poll command with 0x80 | level and acknowledges it', () => {
    pic.setIrq(3, true);
    io.write(0x20, 1, 0x0c);
    expect(io.read(0x20, 1)).toBe(0x83);
    expect(readIsr(io, 0x20)).toBe(0x08);
    io.write(0x20, 1, 0x0c);
    expect(io.read(0x20, 1)).toBe(0x00);
  });

  it('special mask mode enables lower levels while a higher one is in service', () => {
    pic.setIrq(1, true);
    expect(pic.acknowledge()).toBe(0x21);
    pic.setIrq(5, true);
    expect(pic.hasInterrupt()).toBe(false);
    io.write(0x21, 1, 0x02); // mask the in-service level
    io.write(0x20, 1, 0x68); // OCW3: set special mask mode
    expect(pic.acknowledge()).toBe(0x25);
    io.write(0x20, 1, 0x48); // reset special mask mode
    expect(pic.master.specialMask).toBe(false);
  });

  it('ICW1 clears the mask and requires a fresh edge', () => {
    io.write(0x21, 1, 0xff);
    pic.setIrq(3, true);
    initPair(io);
    expect(io.read(0x21, 1)).toBe(0);
    expect(pic.hasInterrupt()).toBe(false);
  });
});
