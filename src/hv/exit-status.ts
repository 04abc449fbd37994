/**
 * The exit status of `x86jit boot` for each way a guest stops (StopKind, hv/exit.ts), documented in
 * `x86jit boot --help` and the README. Our own statuses besides the historical 1 and 3 are even:
 * isa-debug-exit (--test-devices) makes the status `(value << 1) | 1` as QEMU does, always odd.
 */
export const EXIT_STATUS = {
  /** ACPI S5 power-off, or the power-off hypercall with status 0 (the hypercall's status else). */
  poweroff: 0,
  /** A setup error (bad option or file), or a guest stuck (halted with interrupts disabled). */
  setup: 1,
  /** An emulator error (a bug in x86jit: a crash report follows). */
  error: 2,
  /** The guest triple-faulted (SDM Vol. 3 §6.15, interrupt 8: shutdown). */
  tripleFault: 3,
  /** The guest kernel panicked ("Kernel panic - not syncing" on its console). */
  panic: 4,
  /** The guest reset the machine and --no-reboot was given. */
  reset: 6,
  /** --max-instructions reached (timeout(1)'s status). */
  limit: 124,
  /** The user quit at the console (Ctrl-A X): 128 + SIGINT, as for an interrupted program. */
  quit: 130,
} as const;

/** The help text's table of exit statuses (one line each). */
export const EXIT_STATUS_HELP = `Exit status:
  0    the guest powered off (ACPI, or the power-off hypercall with status 0)
  1    setup error (bad option or file), or the guest halted with interrupts disabled
  2    emulator error (a crash report follows)
  3    the guest triple-faulted
  4    the guest kernel panicked
  6    the guest reset the machine, with --no-reboot (without it: the guest boots again)
  124  --max-instructions reached
  130  quit from the console (Ctrl-A X)
  N    with --test-devices, a write of V to isa-debug-exit (port 0xf4): N = (V << 1) | 1;
       the power-off hypercall with status N`;
