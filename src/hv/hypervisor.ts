/**
 * The one place every VM exit is handled (STYLE.md §7, Firecracker's single match on VcpuExit):
 * port I/O to the I/O bus, CPUID to the policy, MSRs to the table, VMCALL to the hypercalls,
 * triple fault to a clear machine stop. Every exit is counted per reason; the counters live in the
 * hypervisor's reserved region of host memory (reserved.ts), out of the guest's reach.
 */
import { ExitHandler, ExitReason, VmExit, exitReasonName, EXIT_REASON_COUNT } from '../cpu/exit.js';
import { MachineStop } from './exit.js';
import type { CpuidPolicy } from './cpuid.js';
import type { MsrTable } from './msr.js';
import type { IoBus } from './io-bus.js';
import { hypercall, HypercallEnv } from './hypercall.js';

/** Thrown when the guest triple-faults: the machine reports registers and stops (non-zero). */
export class TripleFault extends MachineStop {
  constructor() {
    super(3, 'guest triple fault (an exception occurred while delivering a double fault)', 'triple-fault');
  }
}

export interface HvCpuView {
  cpl: number;
}

export class Hypervisor implements ExitHandler {
  /** Exit counters by reason (a view into the reserved region, or plain memory if none). */
  counts: Float64Array = new Float64Array(EXIT_REASON_COUNT);
  private readonly scratch = new Int32Array(4);
  onHalt: () => void = () => {};
  /** What the guest did on a triple fault: 'stop' (default, an error) or 'reset'. */
  onTripleFault: () => void = () => {
    throw new TripleFault();
  };

  constructor(
    private readonly cpu: HvCpuView,
    private readonly io: IoBus,
    private readonly cpuid: CpuidPolicy,
    private readonly msrs: MsrTable,
    private readonly hc: HypercallEnv,
  ) {}

  /** --trace: one line per exit on stderr (before it is handled, plus the result for reads). */
  trace: ((line: string) => void) | null = null;

  handleExit(x: VmExit): void {
    this.counts[x.reason]++;
    if (this.trace !== null) {
      this.handleTraced(x);
      return;
    }
    this.dispatch(x);
  }

  private handleTraced(x: VmExit): void {
    const h = (v: number) => (v >>> 0).toString(16);
    const name = exitReasonName[x.reason];
    const what =
      x.reason === ExitReason.IoIn || x.reason === ExitReason.IoOut ? `port=${h(x.port)} size=${x.size}` + (x.reason === ExitReason.IoOut ? ` value=${h(x.value)}` : '')
      : x.reason === ExitReason.Cpuid ? `eax=${h(x.eax)} ecx=${h(x.ecx)}`
      : x.reason === ExitReason.Rdmsr || x.reason === ExitReason.Wrmsr ? `msr=${h(x.ecx)}` + (x.reason === ExitReason.Wrmsr ? ` value=${h(x.edx)}:${h(x.eax)}` : '')
      : x.reason === ExitReason.MovCr ? `cr${x.cr}=${h(x.value)}`
      : x.reason === ExitReason.Vmcall ? `eax=${h(x.eax)} ebx=${h(x.ebx)} ecx=${h(x.ecx)}`
      : `value=${h(x.value)}`;
    this.dispatch(x);
    const result =
      x.reason === ExitReason.IoIn ? ` -> ${h(x.value)}`
      : x.reason === ExitReason.Cpuid ? ` -> ${h(x.eax)} ${h(x.ebx)} ${h(x.ecx)} ${h(x.edx)}`
      : x.reason === ExitReason.Rdmsr ? (x.fault ? ' -> #GP' : ` -> ${h(x.edx)}:${h(x.eax)}`)
      : x.reason === ExitReason.Wrmsr && x.fault ? ' -> #GP'
      : '';
    this.trace!(`exit ${name} ${what}${result}`);
  }

  private dispatch(x: VmExit): void {
    switch (x.reason) {
      case ExitReason.IoIn:
        x.value = this.io.read(x.port, x.size);
        return;
      case ExitReason.IoOut:
        this.io.write(x.port, x.size, x.value);
        return;
      case ExitReason.Cpuid: {
        const r = this.scratch;
        this.cpuid.query(x.eax, x.ecx, r);
        x.eax = r[0];
        x.ebx = r[1];
        x.ecx = r[2];
        x.edx = r[3];
        return;
      }
      case ExitReason.Rdmsr: {
        const r = this.scratch;
        x.fault = !this.msrs.read(x.ecx, r);
        if (!x.fault) {
          x.eax = r[0];
          x.edx = r[1];
        }
        return;
      }
      case ExitReason.Wrmsr:
        x.fault = !this.msrs.write(x.ecx, x.eax, x.edx);
        return;
      case ExitReason.Hlt:
        this.onHalt();
        return;
      case ExitReason.Vmcall: {
        const r = this.scratch;
        r[0] = x.eax;
        r[1] = x.ebx;
        r[2] = x.ecx;
        r[3] = x.edx;
        hypercall(r, this.cpu.cpl, this.hc);
        x.eax = r[0];
        x.ebx = r[1];
        x.ecx = r[2];
        x.edx = r[3];
        return;
      }
      case ExitReason.TripleFault:
        this.onTripleFault();
        return;
      case ExitReason.MovCr:
      case ExitReason.Invlpg:
      case ExitReason.ReservedWrite:
      case ExitReason.CacheFlush:
        return; // counted only
      default:
        throw new Error(`hypervisor: unexpected VM exit reason ${x.reason}`);
    }
  }

  /** Count a reserved-region write (called by the memory layer, not through the CPU). */
  countReservedWrite(): void {
    this.counts[ExitReason.ReservedWrite]++;
  }

  /** "reason count" lines for --stats, busiest first. */
  statsLines(): string[] {
    const rows: [string, number][] = [];
    for (let r = 0; r < EXIT_REASON_COUNT; r++) if (this.counts[r] > 0) rows.push([exitReasonName[r], this.counts[r]]);
    rows.sort((a, b) => b[1] - a[1]);
    return rows.map(([n, c]) => `  ${n.padEnd(14)} ${c}`);
  }
}
