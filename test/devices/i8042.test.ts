import { beforeEach, describe, expect, it } from 'vitest';
import { I8042 } from '../../src/devices/i8042.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { IrqRecorder } from './helpers.js';

describe('i8042 keyboard controller', () => {
  let io: IoBus;
  let irq: IrqRecorder;
  let resets: number;
  const cmd = (v: number) => io.write(0x64, 1, v);
  const data = () => io.read(0x60, 1);
  const status = () => io.read(0x64, 1);

  beforeEach(() => {
    io = new IoBus();
    irq = new IrqRecorder();
    resets = 0;
    const kbc = new I8042(irq, () => resets++);
    io.register(0x60, 1, kbc);
    io.register(0x64, 1, kbc);
  });

  it('passes its self-test (0xAA -> 0x55) and interface tests', () => {
    expect(status() & 1).toBe(0);
    cmd(0xaa);
    expect(status() & 1).toBe(1);
    expect(data()).toBe(0x55);
    expect(status() & 1).toBe(0);
    expect(data()).toBe(0x55); // an empty output buffer still holds its last byte
    cmd(0xab);
    expect(data()).toBe(0x00);
    cmd(0xa9);
    expect(data()).toBe(0x00);
    expect(status() & 0x04).toBe(0x04); // system flag after self-test
  });

  it('reads and writes the command byte; disable/enable bits follow 0xAD/0xAE/0xA7/0xA8', () => {
    cmd(0x60);
    io.write(0x60, 1, 0x45);
    cmd(0x20);
    expect(data()).toBe(0x45);
    cmd(0xad);
    cmd(0xa7);
    cmd(0x20);
    expect(data()).toBe(0x45 | 0x10 | 0x20);
    cmd(0xae);
    cmd(0xa8);
    cmd(0x20);
    expect(data()).toBe(0x45);
  });

  it('raises IRQ1 for controller output when enabled in the command byte', () => {
    cmd(0x60);
    io.write(0x60, 1, 0x01);
    const before = irq.edges[1];
    cmd(0xd2);
    io.write(0x60, 1, 0x1c); // echo as keyboard data
    expect(irq.edges[1]).toBe(before + 1);
    expect(data()).toBe(0x1c);
  });

  it('echoes aux data (0xD3) with the aux flag and IRQ12 when enabled', () => {
    cmd(0x60);
    io.write(0x60, 1, 0x02);
    cmd(0xd3);
    io.write(0x60, 1, 0x5a);
    expect(status() & 0x21).toBe(0x21);
    expect(irq.edges[12]).toBe(1);
    expect(data()).toBe(0x5a);
  });

  it('acknowledges keyboard commands like an AT keyboard', () => {
    io.write(0x60, 1, 0xff);
    expect([data(), data()]).toEqual([0xfa, 0xaa]);
    io.write(0x60, 1, 0xf2);
    expect([data(), data(), data()]).toEqual([0xfa, 0xab, 0x83]);
    io.write(0x60, 1, 0xed); // set LEDs: ack, then ack the argument
    expect(data()).toBe(0xfa);
    io.write(0x60, 1, 0x07);
    expect(data()).toBe(0xfa);
    io.write(0x60, 1, 0xee);
    expect(data()).toBe(0xee);
  });

  it('answers mouse commands sent with 0xD4', () => {
    cmd(0xd4);
    io.write(0x60, 1, 0xff);
    expect([data(), data(), data()]).toEqual([0xfa, 0xaa, 0x00]);
    cmd(0xd4);
    io.write(0x60, 1, 0xf2);
    expect([data(), data()]).toEqual([0xfa, 0x00]);
  });

  it('resets the machine on 0xFE and on an output-port write with bit 0 clear', () => {
    cmd(0xfe);
    expect(resets).toBe(1);
    cmd(0xff); // pulse nothing
    expect(resets).toBe(1);
    cmd(0xd0);
    expect(data() & 1).toBe(1);
    cmd(0xd1);
    io.write(0x60, 1, 0x02);
    expect(resets).toBe(2);
  });
});
