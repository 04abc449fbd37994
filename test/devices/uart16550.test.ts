import { beforeEach, describe, expect, it } from 'vitest';
import { COM1, Uart16550 } from '../../src/devices/uart16550.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { IrqRecorder } from './helpers.js';

const B = COM1.base;
const THR = B, IER = B + 1, IIR = B + 2, FCR = B + 2, LCR = B + 3, MCR = B + 4, LSR = B + 5, MSR = B + 6, SCR = B + 7;

describe('16550A UART', () => {
  let io: IoBus;
  let irq: IrqRecorder;
  let out: number[];
  let uart: Uart16550;
  const w = (p: number, v: number) => io.write(p, 1, v);
  const r = (p: number) => io.read(p, 1);

  beforeEach(() => {
    io = new IoBus();
    irq = new IrqRecorder();
    out = [];
    uart = new Uart16550(COM1.base, COM1.irq, irq, { write: (b) => (typeof b === 'number' ? out.push(b) : out.push(...b)) });
    io.register(B, 8, uart);
  });

  it('sends THR writes to the console and reports THRE|TEMT', () => {
    for (const c of 'hi\n') w(THR, c.charCodeAt(0));
    expect(String.fromCharCode(...out)).toBe('hi\n');
    expect(r(LSR) & 0x60).toBe(0x60);
  });

  it('maps offsets 0/1 to the divisor latch while DLAB is set', () => {
    w(LCR, 0x83);
    w(THR, 0x01);
    w(IER, 0x00);
    expect(r(THR)).toBe(0x01);
    w(LCR, 0x03);
    expect(out).toEqual([]);
    expect(r(IER)).toBe(0);
    expect(r(LCR)).toBe(0x03);
  });

  it('raises THRE when ETBEI is enabled, clears it on IIR read, re-arms on THR write', () => {
    w(MCR, 0x08); // OUT2: IRQ enabled
    expect(r(IIR)).toBe(0x01);
    w(IER, 0x02);
    expect(irq.levels[4]).toBe(true);
    expect(r(IIR)).toBe(0x02);
    expect(irq.levels[4]).toBe(false);
    expect(r(IIR)).toBe(0x01);
    w(THR, 0x41);
    expect(irq.levels[4]).toBe(true);
    expect(r(IIR)).toBe(0x02);
  });

  it('gives received data priority over THRE and clears it when the FIFO is read empty', () => {
    w(MCR, 0x08);
    w(IER, 0x03);
    uart.receive(0x61);
    expect(r(LSR) & 1).toBe(1);
    expect(r(IIR)).toBe(0x04);
    expect(r(THR)).toBe(0x61);
    expect(r(LSR) & 1).toBe(0);
    expect(r(IIR)).toBe(0x02);
  });

  it('in FIFO mode: IIR bits 7-6, trigger level, character timeout below it, 16 bytes deep', () => {
    w(FCR, 0x87); // enable + clear, trigger 8
    w(IER, 0x01);
    expect(r(IIR) & 0xc0).toBe(0xc0);
    for (let i = 0; i < 3; i++) uart.receive(0x30 + i);
    expect(r(IIR) & 0x0f).toBe(0x0c); // timeout: data below the trigger level
    for (let i = 3; i < 20; i++) uart.receive(0x30 + i);
    expect(r(IIR) & 0x0f).toBe(0x04);
    const got: number[] = [];
    while (r(LSR) & 1) got.push(r(THR));
    // 20 bytes arrive in order, none lost: the host queue refills the FIFO as it drains.
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => 0x30 + i));
    expect(r(LSR) & 0x02).toBe(0); // no overrun
  });

  it('holds one byte at a time without FIFO', () => {
    uart.receive(1);
    uart.receive(2);
    expect(r(THR)).toBe(1);
    expect(r(THR)).toBe(2);
    expect(r(LSR) & 1).toBe(0);
  });

  it('loopback: MSR mirrors MCR, THR feeds RBR, IRQ pin inactive', () => {
    w(MCR, 0x10 | 0x0a); // loop + OUT2 + RTS, Linux's autoconfig test
    expect(r(MSR) & 0xf0).toBe(0x90);
    w(MCR, 0x10 | 0x05); // loop + OUT1 + DTR
    expect(r(MSR) & 0xf0).toBe(0x60);
    w(IER, 0x01);
    w(THR, 0x5a);
    expect(out).toEqual([]);
    expect(r(IIR)).toBe(0x04);
    expect(irq.levels[4]).toBe(false);
    expect(r(THR)).toBe(0x5a);
    w(MCR, 0x0b);
    expect(r(MSR) & 0xf0).toBe(0xb0); // outside loopback: CTS DSR DCD of an attached terminal
  });

  it('reports modem-status deltas and the modem-status interrupt', () => {
    w(MCR, 0x10);
    r(MSR);
    w(IER, 0x08);
    w(MCR, 0x12); // RTS -> CTS changes
    expect(r(IIR)).toBe(0x00);
    expect(r(MSR) & 0x0f).toBe(0x01);
    expect(r(IIR)).toBe(0x01);
  });

  it('keeps the IRQ line low until OUT2 is set', () => {
    w(IER, 0x02);
    expect(irq.levels[4]).toBe(false);
    w(MCR, 0x08);
    expect(irq.levels[4]).toBe(true);
  });

  it('passes the probe sequence of Linux autoconfig (IER bits, loopback, FIFO type)', () => {
    w(IER, 0);
    expect(r(IER) & 0x0f).toBe(0);
    w(IER, 0x0f);
    expect(r(IER) & 0x0f).toBe(0x0f);
    w(IER, 0);
    w(MCR, 0x1a);
    expect(r(MSR) & 0xf0).toBe(0x90);
    w(MCR, 0);
    w(FCR, 0x01);
    expect(r(IIR) >> 6).toBe(3); // 16550A
    w(SCR, 0xa5);
    expect(r(SCR)).toBe(0xa5);
  });

  it('byte lanes of a 16-bit access reach consecutive registers', () => {
    io.write(LCR, 2, 0x0b03); // LCR = 3, MCR = 0x0b
    expect(r(MCR)).toBe(0x0b);
  });
});
