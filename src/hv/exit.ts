/**
 * Machine stops: thrown by exit handlers (src/hv), devices' callbacks and the console to end a run,
 * with how it ended. The VM exit record itself is the CPU's (src/cpu/exit.ts).
 */

/**
 * How a machine stopped (Machine.run's RunResult.kind): the guest powered off (ACPI, the
 * hypercall), asked for a reset, panicked, triple-faulted, wrote to isa-debug-exit, halted with
 * interrupts off; the instruction limit was reached; the user quit at the console; the setup was
 * refused (a bad option or file); or the emulator failed.
 */
export type StopKind = 'poweroff' | 'reset' | 'panic' | 'triple-fault' | 'debug-exit' | 'halt' | 'limit' | 'quit' | 'setup' | 'error';

/** Thrown (as an ordinary Error) by exit handlers to stop the machine, e.g. guest power-off. */
export class MachineStop extends Error {
  constructor(
    readonly exitCode: number,
    readonly why: string,
    readonly kind: StopKind = exitCode === 0 ? 'poweroff' : 'error',
  ) {
    super(why);
  }
}
