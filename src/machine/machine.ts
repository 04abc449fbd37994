/**
 * Machine: builds CPU + memory + hypervisor + devices from a config, loads a guest, and runs it
 * (DESIGN.md "Layers"). The run loop interleaves CPU slices with device timers on the virtual
 * clock, fast-forwards time while the guest halts, and yields to Node's event loop regularly so the
 * console keeps flowing.
 */
import { Cpu } from '../cpu/cpu.js';
import { EF } from '../cpu/state.js';
import { createPcPlatform, type PcPlatform } from '../devices/platform.js';
import { CpuidPolicy } from '../hv/cpuid.js';
import { MachineStop, type StopKind } from '../hv/exit.js';
import { EXIT_STATUS } from '../hv/exit-status.js';
import { Hypervisor } from '../hv/hypervisor.js';
import { IoBus } from '../hv/io-bus.js';
import { MmioBus } from '../hv/mmio-bus.js';
import { MsrTable } from '../hv/msr.js';
import { installReservedRegion, type ReservedRegion } from '../hv/reserved.js';
import { buildE820, type E820Entry } from '../loader/e820.js';
import { loadBootImage, type BootImageOptions } from '../loader/boot-image.js';
import { PhysMemory } from '../mem/phys.js';
import { VirtualClock, type ClockMode } from './clock.js';
import { formatCrashReport } from './crash-report.js';
import { disassembleAt } from './disasm-at.js';
import { PanicWatch } from './panic-watch.js';
import { createEngine, type Engine, type EngineMode, type JitOptions } from './engine.js';

export interface MachineOptions {
  memBytes: number;
  mode: EngineMode;
  clock: ClockMode;
  /** The hypervisor's reserved region, or null for none. */
  reserve: ReservedRegion | null;
  /** QEMU's isa-debug-exit and pc-testdev. */
  testDevices: boolean;
  /** Guest console output (the UART's transmitted bytes). */
  console: (bytes: Uint8Array) => void;
  jitThreshold: number;
  jitVerify: boolean;
  /** The JIT keeps per-block counts (`--stats`). */
  jitCounting?: boolean;
  /** Source maps for generated code (`--jit-source-maps`): see engine.ts JitOptions.sourceMaps. */
  jitSourceMaps?: JitOptions['sourceMaps'];
  /** Stop with exit status 124 after exactly this many guest instructions (like timeout(1)). */
  maxInstructions?: number;
  /** Print every VM exit to stderr. */
  trace?: boolean;
}

/** Largest guest RAM: below the PCI/MMIO hole at 3 GiB. */
export const MAX_MEM = 3 * 1024 * 1024 * 1024;
/** Smallest guest RAM we accept at all (a Linux guest needs far more; the loader says how much). */
export const MIN_MEM = 1024 * 1024;

/** Guest RAM sizes the machine takes: whole 4 KiB pages from MIN_MEM to MAX_MEM (the CLI's and the
 *  API's checks use this too, each with a message naming its own option). */
export function isValidMemSize(bytes: number): boolean {
  return Number.isInteger(bytes) && bytes >= MIN_MEM && bytes <= MAX_MEM && bytes % 4096 === 0;
}

/** How the run ended. */
export interface RunResult {
  exitCode: number;
  why: string;
  kind: StopKind;
}

/** A guest-visible problem reported as one clear message plus the guest register dump. */
export class GuestError extends MachineStop {}

const SLICE = 20_000;
const YIELD_MS = 15;
/** Longest real-time wait of a halted guest before the loop looks again (console, stop requests). */
const IDLE_WAIT_MAX_MS = 50;

export class Machine {
  readonly mmio = new MmioBus();
  readonly io = new IoBus();
  readonly phys: PhysMemory;
  readonly clock: VirtualClock;
  readonly cpu: Cpu;
  readonly hv: Hypervisor;
  readonly msrs: MsrTable;
  readonly platform: PcPlatform;
  engine!: Engine;
  readonly e820: E820Entry[];
  private stop: MachineStop | null = null;
  private consoleBuf: number[] = [];
  private readonly panicWatch = new PanicWatch();
  /** Ends a real-time idle wait early (console input, a stop request). */
  private wakeIdle: (() => void) | null = null;

  constructor(readonly opts: MachineOptions) {
    if (!isValidMemSize(opts.memBytes)) {
      throw new MachineStop(1, `--mem must be a multiple of 4K between 1M and 3G (got ${opts.memBytes} bytes)`, 'setup');
    }
    try {
      this.phys = new PhysMemory(opts.memBytes, this.mmio);
    } catch (e) {
      throw new MachineStop(1, `cannot allocate ${opts.memBytes >>> 20} MiB of guest RAM on this host (${(e as Error).message})`, 'setup');
    }
    this.clock = new VirtualClock(opts.clock);
    const timeSource = { tsc: () => this.clock.tsc() + this.msrs.tscOffset };
    this.cpu = new Cpu(this.phys, { handleExit: (x) => this.hv.handleExit(x) }, timeSource);
    this.clock.icount = () => this.cpu.icount;

    this.platform = createPcPlatform({
      io: this.io,
      mmio: this.mmio,
      phys: this.phys,
      clock: this.clock,
      ramBytes: opts.memBytes,
      console: { write: (b) => this.consoleOut(b) },
      testDevices: opts.testDevices,
      // The CPU stops at once, mid-instruction (the machine is thrown away, as a reset would).
      onReset: () => {
        throw this.panicWatch.panicLine !== null ? this.panicStop() : new MachineStop(EXIT_STATUS.reset, 'guest reset the machine (i8042 reset line)', 'reset');
      },
      onPowerOff: () => this.requestStop(new MachineStop(0, 'guest powered off')),
      onDebugExit: (code: number) => this.requestStop(new MachineStop((code << 1) | 1, `guest wrote ${code} to isa-debug-exit`, 'debug-exit')),
    });
    this.cpu.intr = this.platform.interrupts;
    this.mmio.onAccess = () => {
      this.cpu.intrDirty = true;
    };

    this.msrs = new MsrTable(this.cpu, this.clock, this.platform.apic ?? null);
    // The local APIC exists (kvm-unit-tests use it without asking CPUID), but CPUID does not
    // advertise it: 32-bit Linux 6.1 has no APIC driver for an unknown vendor, and with the bit set
    // it falls back to noop_apic_* and warns with call traces. Linux then keeps the 8259 (PIC mode).
    this.hv = new Hypervisor(this.cpu, this.io, new CpuidPolicy({ apic: false, fxsr: true }), this.msrs, {
      readPhys: (a, n) => this.phys.readBytes(a, n),
      consoleWrite: (b) => this.opts.console(b),
      powerOff: (status) => {
        throw new MachineStop(status, `guest powered off by hypercall (status ${status})`, 'poweroff');
      },
    });
    if (opts.trace) this.hv.trace = (line) => process.stderr.write(`[${this.cpu.icount}] ${line}\n`);
    if (opts.reserve) {
      this.hv.counts = installReservedRegion(this.phys, opts.reserve);
      this.phys.onReservedWrite = () => this.hv.countReservedWrite();
    }
    this.e820 = buildE820({ ramSize: opts.memBytes, reserved: opts.reserve ? [opts.reserve] : [] });
  }

  async init(): Promise<void> {
    this.engine = await createEngine(this.opts.mode, this.cpu, this.phys, { threshold: this.opts.jitThreshold, verify: this.opts.jitVerify, counting: this.opts.jitCounting, sourceMaps: this.opts.jitSourceMaps });
  }

  /**
   * Load a guest: a Linux bzImage (+ initrd) per the 32-bit boot protocol, a multiboot kernel (+
   * modules), a flat binary or a ROM (loader/boot-image.ts). Returns what was loaded, in one line.
   */
  load(o: BootImageOptions): string {
    return loadBootImage(this.phys, this.cpu, { e820: this.e820, acpiRsdp: this.platform.acpiRsdp || undefined }, o);
  }

  /** Load a Linux bzImage (+ initrd). */
  loadLinux(kernel: Uint8Array, kernelName: string, cmdline: string, initrd?: Uint8Array, initrdName?: string): void {
    this.load({ kernel, kernelName, cmdline, initrd, initrdName });
  }

  /** Send bytes to the guest console (UART receive). */
  input(bytes: Uint8Array | readonly number[]): void {
    for (const b of bytes) this.platform.uart.receive(b);
    this.wakeIdle?.();
  }

  /** Console input the guest has not read yet (to carry over into a fresh machine on reboot). */
  takeUnreadInput(): number[] {
    return this.platform.uart.takeUnread();
  }

  requestStop(s: MachineStop): void {
    if (!this.stop) this.stop = s;
    this.wakeIdle?.();
  }

  private panicStop(): MachineStop {
    return new MachineStop(EXIT_STATUS.panic, `guest kernel panic: ${this.panicWatch.panicLine}`, 'panic');
  }

  private consoleOut(b: Uint8Array | number): void {
    if (typeof b === 'number') this.consoleByte(b & 0xff);
    else for (const x of b) this.consoleByte(x);
  }

  private consoleByte(x: number): void {
    this.consoleBuf.push(x);
    if (this.panicWatch.feed(x)) this.requestStop(this.panicStop());
  }

  /** Wait in real time (a halted guest under `--clock realtime`) until `ns` pass or input arrives. */
  private idleWait(ns: number): Promise<void> {
    const ms = Math.min(IDLE_WAIT_MAX_MS, ns / 1e6);
    if (ms < 1) return new Promise<void>((r) => setImmediate(r));
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.wakeIdle = null;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakeIdle = done;
    });
  }

  private flushConsole(): void {
    if (this.consoleBuf.length === 0) return;
    const out = Uint8Array.from(this.consoleBuf);
    this.consoleBuf.length = 0;
    this.opts.console(out);
  }

  /** Run until the guest stops (power-off, reset, panic, debug exit, triple fault, limit) or an emulator error. */
  async run(): Promise<RunResult> {
    const { cpu, clock } = this;
    const timed = this.platform.timed;
    const limit = this.opts.maxInstructions ?? Infinity;
    let lastYield = Date.now();
    try {
      for (;;) {
        if (this.stop) break;
        const now = clock.now();
        let next = Infinity;
        for (let k = 0; k < timed.length; k++) {
          timed[k].advance(now);
          const t = timed[k].nextDeadline(now);
          if (t < next) next = t;
        }
        if (cpu.halted && !(cpu.eflags & EF.IF ? cpu.intr.hasInterrupt() : false)) {
          if ((cpu.eflags & EF.IF) === 0) {
            throw new GuestError(1, 'guest halted with interrupts disabled: nothing can wake it (machine stopped)', 'halt');
          }
          if (!clock.skipsIdle) {
            // --clock realtime: a halted CPU waits for its next timer in host time, as hardware does.
            this.flushConsole();
            await this.idleWait(next - clock.now());
            lastYield = Date.now();
          } else if (next !== Infinity) clock.skipTo(next);
          else {
            // Nothing scheduled: wait for console input.
            this.flushConsole();
            await sleep(10);
            lastYield = Date.now();
          }
          continue;
        }
        if (cpu.icount >= limit) {
          this.requestStop(new MachineStop(EXIT_STATUS.limit, `stopped after ${cpu.icount} guest instructions (--max-instructions)`, 'limit'));
          continue;
        }
        // The engine never retires more than its budget (engine.ts): the limit is exact.
        const budget = Math.min(SLICE, clock.insnsUntil(next), limit - cpu.icount);
        cpu.intrDirty = true; // devices may have raised lines in advance()
        this.engine.run(budget);
        if (Date.now() - lastYield >= YIELD_MS) {
          this.flushConsole();
          await new Promise<void>((r) => setImmediate(r));
          lastYield = Date.now();
        }
      }
    } catch (e) {
      this.flushConsole();
      if (e instanceof MachineStop) {
        if (e.exitCode === 0 || e.kind === 'debug-exit' || e.kind === 'poweroff' || e.kind === 'reset' || e.kind === 'panic') return { exitCode: e.exitCode, why: e.why, kind: e.kind };
        return { exitCode: e.exitCode || 1, why: formatCrashReport(cpu, e.why, disassembleAt), kind: e.kind };
      }
      const err = e as Error;
      return { exitCode: 2, kind: 'error', why: formatCrashReport(cpu, `emulator error: ${err?.message ?? String(e)}`, disassembleAt) + `\n--- host stack ---\n${err?.stack ?? ''}` };
    }
    this.flushConsole();
    return { exitCode: this.stop!.exitCode, why: this.stop!.why, kind: this.stop!.kind };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
