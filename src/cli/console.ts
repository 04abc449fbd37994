/**
 * Connects the terminal to the guest's serial console. On a TTY: raw mode, every key goes to the
 * guest, and Ctrl-A X quits (Ctrl-A Ctrl-A sends a literal Ctrl-A), as in QEMU's -nographic.
 * On a pipe: bytes are forwarded as they come, so scripts and tests can drive the guest.
 */
import { MachineStop } from '../hv/exit.js';
import type { Machine } from '../machine/machine.js';

const CTRL_A = 0x01;

export function attachConsole(machine: Machine, stdin: NodeJS.ReadStream): () => void {
  const tty = stdin.isTTY === true;
  let escape = false;
  const onData = (chunk: Buffer) => {
    if (!tty) {
      machine.input(chunk);
      return;
    }
    const out: number[] = [];
    for (const b of chunk) {
      if (escape) {
        escape = false;
        if (b === 0x78 || b === 0x58) {
          machine.requestStop(new MachineStop(0, 'quit from the console (Ctrl-A X)', 'quit'));
          continue;
        }
        if (b === CTRL_A) out.push(CTRL_A);
        continue;
      }
      if (b === CTRL_A) escape = true;
      else out.push(b);
    }
    if (out.length) machine.input(Uint8Array.from(out));
  };
  if (tty) stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.on('error', () => {});
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    if (tty) stdin.setRawMode(false);
    stdin.pause();
    stdin.unref?.();
  };
}
