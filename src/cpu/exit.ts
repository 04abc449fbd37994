/**
 * VM exits: how the CPU core leaves to the hypervisor layer (DESIGN.md "Hypervisor layer"). The
 * record and its reasons are the CPU's, as KVM's vCPU defines `kvm_run` and the VMM consumes it:
 * the hypervisor (src/hv) imports them from here, the CPU imports nothing of the hypervisor.
 *
 * The CPU owns one preallocated `VmExit` record. For every privileged or platform-visible action it
 * fills the record and calls `ExitHandler.handleExit` synchronously (no allocation, no promise), then
 * reads back the results the reason defines. This is KVM's `KVM_RUN`/`kvm_run` contract turned
 * inside out: the handler runs on the CPU's stack, the CPU resumes when it returns.
 */

export const ExitReason = {
  /** IN/INS: port, size (1/2/4) in; handler sets `value`. */
  IoIn: 0,
  /** OUT/OUTS: port, size, value in. */
  IoOut: 1,
  /** CPUID: eax (leaf), ecx (subleaf) in; handler sets eax/ebx/ecx/edx. */
  Cpuid: 2,
  /** RDMSR: ecx = MSR in; handler sets eax (low), edx (high), or `fault` = true for #GP(0). */
  Rdmsr: 3,
  /** WRMSR: ecx, eax, edx in; handler may set `fault`. */
  Wrmsr: 4,
  /** HLT at CPL 0: the CPU is halted after the handler returns unless it clears `cpu.halted`. */
  Hlt: 5,
  /** MOV to CR0/CR3/CR4 (and LMSW, CLTS): cr = number, value = new value (already applied). */
  MovCr: 6,
  /** INVLPG: value = linear address (already flushed from the TLB). */
  Invlpg: 7,
  /** VMCALL: eax..edx in/out per the hypercall ABI (src/hv/hypercall.ts). */
  Vmcall: 8,
  /** Triple fault: the CPU cannot deliver a double fault. The handler decides (reset or stop). */
  TripleFault: 9,
  /** A guest write into the hypervisor's reserved region (dropped). value = guest-physical addr. */
  ReservedWrite: 10,
  /** WBINVD/INVD, counted only. */
  CacheFlush: 11,
} as const;
export type ExitReasonValue = (typeof ExitReason)[keyof typeof ExitReason];
export const EXIT_REASON_COUNT = 12;
export const exitReasonName: readonly string[] = Object.keys(ExitReason);

export class VmExit {
  reason = 0;
  port = 0;
  size = 0;
  value = 0;
  cr = 0;
  eax = 0;
  ebx = 0;
  ecx = 0;
  edx = 0;
  /** Set by the handler: the instruction raises #GP(0) in the guest instead of completing. */
  fault = false;
}

export interface ExitHandler {
  handleExit(exit: VmExit): void;
}
