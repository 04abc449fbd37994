/**
 * The library's Machine: a PC that boots a guest, with its serial console as a stream and as
 * expect-style text, wrapping the low-level machine/ class (which the CLI drives directly).
 *
 *   const m = await Machine.boot({ ...referenceGuest() });
 *   await m.waitFor('/root # ');
 *   m.write('uname -a\n');
 *   const { before } = await m.waitFor('/root # ');
 *   m.write('poweroff -f\n');
 *   const result = await m.run();   // { kind: 'poweroff', exitCode: 0, message }
 */
import { Readable } from 'node:stream';
import { MachineStop } from '../hv/exit.js';
import { Machine as MachineCore } from '../machine/machine.js';
import { ConsoleText, type WaitMatch, type WaitOptions } from './console-text.js';
import { SetupError } from './errors.js';
import { DEFAULT_APPEND, machineOptions, readImage, type InputImage, type MachineConfig } from './options.js';
import type { MachineStats, StopResult } from './result.js';

const encoder = new TextEncoder();

export class Machine {
  private readonly core: MachineCore;
  private readonly kernel: InputImage;
  private readonly initrd: InputImage | undefined;
  private readonly text = new ConsoleText();
  private stream: Readable | null = null;
  private setup: Promise<void> | null = null;
  private done: Promise<StopResult> | null = null;
  private final: StopResult | null = null;

  /**
   * Builds the machine and reads the kernel and initrd files. Throws LoaderError for a file it
   * cannot read, SetupError for an option it cannot use; nothing runs until start() or run().
   */
  constructor(readonly config: MachineConfig) {
    if (config === null || typeof config !== 'object' || config.kernel === undefined) throw new SetupError('kernel: required (a file path or its bytes)');
    this.kernel = readImage(config.kernel, 'kernel');
    this.initrd = config.initrd === undefined ? undefined : readImage(config.initrd, 'initrd');
    const opts = machineOptions(config, (b) => this.output(b));
    try {
      this.core = new MachineCore(opts);
    } catch (e) {
      if (e instanceof MachineStop) throw new SetupError(e.why.replace(/^--mem/, 'memory'));
      throw e;
    }
  }

  /** Build, load and start a machine; resolves once it runs (run() then resolves when it stops). */
  static async boot(config: MachineConfig): Promise<Machine> {
    const m = new Machine(config);
    await m.start();
    return m;
  }

  /**
   * Load the guest (a bad image rejects with LoaderError) and start it running in the background.
   * The guest executes from the next turn of the event loop, so a `console` stream taken right
   * after `await start()` sees every byte.
   */
  start(): Promise<void> {
    this.setup ??= this.loadAndStart().catch((e: unknown) => {
      // A guest that cannot be loaded has stopped: waitFor and console readers learn it too.
      this.finish({ kind: 'setup', exitCode: 1, message: (e as Error)?.message ?? String(e) });
      throw e;
    });
    return this.setup;
  }

  /** Start if need be; resolves with how the guest stopped (it never rejects once started). */
  async run(): Promise<StopResult> {
    await this.start();
    return this.done!;
  }

  /** Ask the guest to stop (kind 'quit'); resolves when it has. */
  async stop(): Promise<StopResult> {
    if (this.final) return this.final; // stopped already, or never loaded (kind 'setup')
    if (!this.setup) {
      const r: StopResult = { kind: 'quit', exitCode: 0, message: 'stopped before it was started' };
      this.setup = Promise.resolve();
      this.done = Promise.resolve(r);
      this.finish(r);
      return r;
    }
    this.core.requestStop(new MachineStop(0, 'stopped by Machine.stop()', 'quit'));
    return this.run();
  }

  /** Type into the guest console (the UART's receive side); strings are sent as UTF-8. */
  write(data: string | Uint8Array): void {
    this.core.input(typeof data === 'string' ? encoder.encode(data) : data);
  }

  /**
   * Wait until console output since the previous match contains `pattern`; resolves with the match
   * and the text before it. Rejects with WaitTimeoutError after `timeout` ms, GuestStoppedError if
   * the guest stops first. See console-text.ts for what the text is (UTF-8, no CSI sequences).
   */
  waitFor(pattern: string | RegExp, options?: WaitOptions): Promise<WaitMatch> {
    return this.text.waitFor(pattern, options);
  }

  /**
   * The console's raw bytes as a Node Readable (also an async iterator of Buffers), made on first
   * use and fed from then on; it ends when the guest stops. Read it, or data piles up in memory.
   */
  get console(): Readable {
    if (!this.stream) {
      this.stream = new Readable({ read() {} });
      if (this.final) this.stream.push(null);
    }
    return this.stream;
  }

  /** How the guest stopped, once it has (null while it runs). */
  get result(): StopResult | null {
    return this.final;
  }

  get stats(): MachineStats {
    return {
      instructions: this.core.cpu.icount,
      exits: this.core.hv.statsLines(),
      // The engine exists once start() has created it.
      engine: (this.core.engine as MachineCore['engine'] | undefined)?.statsLines?.() ?? [],
    };
  }

  private async loadAndStart(): Promise<void> {
    await this.core.init();
    const c = this.config;
    this.core.load({
      kernel: this.kernel.bytes,
      kernelName: this.kernel.name,
      initrd: this.initrd?.bytes,
      initrdName: this.initrd?.name,
      cmdline: c.append ?? DEFAULT_APPEND,
      flatAddr: c.flatAddr,
      rom: !!c.rom,
    });
    this.done = new Promise<void>((r) => setImmediate(r))
      .then(() => this.core.run())
      .then((r) => {
        const result: StopResult = { kind: r.kind, exitCode: r.exitCode, message: r.why };
        this.finish(result);
        return result;
      });
  }

  private output(bytes: Uint8Array): void {
    this.text.push(bytes);
    this.stream?.push(Buffer.from(bytes));
  }

  private finish(r: StopResult): void {
    this.final = r;
    this.text.end(r);
    this.stream?.push(null);
  }
}
