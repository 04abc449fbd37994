/**
 * Connects the terminal to the guest's serial console, as QEMU's -nographic does (its character
 * device multiplexer, "mon:stdio"): every key goes to the guest (raw mode on a TTY, so Ctrl-C
 * reaches the guest too) except the escapes after Ctrl-A:
 *   Ctrl-A X        quit (exit status 130)
 *   Ctrl-A H or ?   list these keys
 *   Ctrl-A Ctrl-A   send Ctrl-A to the guest
 * The escapes work on a pipe as well (QEMU treats its stdio alike). Input that comes while no
 * machine is attached (between a guest reset and the next boot) waits here; once in a machine it
 * waits in the UART's host-side queue until the guest reads it.
 *
 *   const con = new GuestConsole(process.stdin, (s) => process.stderr.write(s));
 *   con.attach(machine); await machine.run(); con.detach(); ... con.close();
 */
import { MachineStop } from '../hv/exit.js';
import { EXIT_STATUS } from '../hv/exit-status.js';

const CTRL_A = 0x01;

/** What the console needs of a machine. */
export interface ConsoleTarget {
  input(bytes: readonly number[]): void;
  requestStop(s: MachineStop): void;
}

export const CONSOLE_KEYS = ['Ctrl-A X   quit', 'Ctrl-A H   this list', 'Ctrl-A Ctrl-A   send Ctrl-A to the guest'];

export class GuestConsole {
  private target: ConsoleTarget | null = null;
  private held: number[] = [];
  private escape = false;
  private readonly tty: boolean;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(
    private readonly stdin: NodeJS.ReadStream,
    /** Where the console's own lines go (stderr): never the guest's output stream. */
    private readonly say: (text: string) => void,
  ) {
    this.tty = stdin.isTTY === true;
    if (this.tty) stdin.setRawMode(true);
    stdin.on('data', this.onData);
    stdin.on('error', () => {});
    stdin.resume();
  }

  /** Input goes to `t` from now on, starting with what waited while none was attached. */
  attach(t: ConsoleTarget): void {
    this.target = t;
    if (this.held.length > 0) {
      t.input(this.held);
      this.held = [];
    }
  }

  detach(): void {
    this.target = null;
  }

  /** Give back the terminal (cooked mode) and stop reading it. */
  close(): void {
    this.target = null;
    this.stdin.off('data', this.onData);
    if (this.tty) this.stdin.setRawMode(false);
    this.stdin.pause();
    this.stdin.unref?.();
  }

  /** Bytes from the terminal: escapes handled, the rest to the guest. */
  receive(chunk: Uint8Array): void {
    const out: number[] = [];
    for (const b of chunk) {
      if (!this.escape) {
        if (b === CTRL_A) this.escape = true;
        else out.push(b);
        continue;
      }
      this.escape = false;
      if (b === 0x78 || b === 0x58) {
        this.forward(out);
        out.length = 0;
        this.line('x86jit: Ctrl-A X: quitting');
        this.target?.requestStop(new MachineStop(EXIT_STATUS.quit, 'quit from the console (Ctrl-A X)', 'quit'));
        continue;
      }
      if (b === 0x68 || b === 0x48 || b === 0x3f) this.line(`x86jit console keys:\n  ${CONSOLE_KEYS.join('\n  ')}`);
      else if (b === CTRL_A) out.push(CTRL_A);
      // Any other key after Ctrl-A is dropped, as QEMU does.
    }
    this.forward(out);
  }

  private forward(bytes: number[]): void {
    if (bytes.length === 0) return;
    if (this.target) this.target.input(bytes);
    else this.held.push(...bytes);
  }

  /** Node's raw mode keeps the terminal's output processing (libuv leaves ONLCR on): \n is enough. */
  private line(text: string): void {
    this.say(`\n${text}\n`);
  }
}

/** One machine, one console: attach, and get the function that gives the terminal back. */
export function attachConsole(machine: ConsoleTarget, stdin: NodeJS.ReadStream): () => void {
  const con = new GuestConsole(stdin, (s) => process.stderr.write(s));
  con.attach(machine);
  return () => con.close();
}
