/**
 * Host input is held until the guest listens and survives FIFO resets (issue 14 item 5: input piped
 * before the guest's driver starts was lost). The sequences are those of Linux's 8250 driver.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { COM1, Uart16550 } from '../../src/devices/uart16550.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { IrqRecorder } from './helpers.js';

const B = COM1.base;
const RBR = B, THR = B, IER = B + 1, FCR = B + 2, MCR = B + 4, LSR = B + 5;

describe('16550A UART host input', () => {
  let io: IoBus;
  let uart: Uart16550;
  const w = (p: number, v: number) => io.write(p, 1, v);
  const r = (p: number) => io.read(p, 1);
  const drain = () => {
    const got: number[] = [];
    while (r(LSR) & 1) got.push(r(RBR));
    return got;
  };
  const send = (s: string) => {
    for (const c of s) uart.receive(c.charCodeAt(0));
  };

  beforeEach(() => {
    io = new IoBus();
    uart = new Uart16550(COM1.base, COM1.irq, new IrqRecorder(), { write: () => {} });
    io.register(B, 8, uart);
  });

  it('holds input while the guest has set IER with the receive interrupt off', () => {
    w(IER, 0); // Linux: serial8250_console_write clears IER
    send('echo hi');
    expect(r(LSR) & 1).toBe(0);
    r(RBR); // serial8250_do_startup's discarding read
    w(FCR, 0x07); // clear both FIFOs
    w(IER, 0x05); // RLSI | RDI: the driver now takes input
    w(FCR, 0xc1); // FIFO on, trigger 14
    expect(String.fromCharCode(...drain())).toBe('echo hi');
  });

  it('returns unread bytes to the queue on a FIFO reset, in order', () => {
    w(FCR, 0x01);
    w(IER, 0x01);
    send('abcdefghijklmnopqrstu'); // 16 enter the FIFO, 5 wait
    w(IER, 0x00);
    w(FCR, 0x07); // reset: the 16 unread bytes go back
    expect(r(LSR) & 1).toBe(0);
    w(IER, 0x01);
    expect(String.fromCharCode(...drain())).toBe('abcdefghijklmnopqrstu');
  });

  it('does not return loopback bytes to the host queue', () => {
    w(MCR, 0x10); // loopback
    w(THR, 0x5a);
    w(MCR, 0x00);
    w(FCR, 0x07);
    w(IER, 0x01);
    send('x');
    expect(drain()).toEqual([0x78]);
  });

  it('feeds a guest that polls LSR with the receive interrupt off', () => {
    w(IER, 0);
    send('k');
    let seen = 0;
    for (let k = 0; k < 20 && !(seen & 1); k++) seen = r(LSR);
    expect(seen & 1).toBe(1);
    expect(r(RBR)).toBe(0x6b);
  });

  it('hands back what the guest never read (a reboot carries it over)', () => {
    w(IER, 0x01);
    send('ab');
    w(IER, 0);
    send('cd');
    expect(String.fromCharCode(...uart.takeUnread())).toBe('abcd');
    expect(r(LSR) & 1).toBe(0);
  });
});
