/**
 * QEMU's spellings of `x86jit boot` options. QEMU takes long options with one dash (`-m 128`,
 * `-nographic`), which commander would split into short flags (`-n -o -g...`): they are rewritten
 * to ours before commander parses the command line. Values of options that take one (`--append
 * "-s"`) are copied untouched.
 */

/** QEMU option -> ours (QEMU docs, "Standard options", "Display options", "Character devices"). */
const QEMU_ALIASES: Record<string, string> = {
  '-kernel': '--kernel',
  '-initrd': '--initrd',
  '-append': '--append',
  '-m': '--mem',
  '-nographic': '--nographic',
  '-no-reboot': '--no-reboot',
  '-serial': '--serial',
  '-smp': '--smp',
};

/** QEMU options refused with a reason. */
const REFUSED: Record<string, string> = {
  '-s': "QEMU's -s (a gdb stub on tcp::1234) is not supported: x86jit has no gdb stub",
  '-gdb': "QEMU's -gdb (a gdb stub) is not supported: x86jit has no gdb stub",
  '-S': "QEMU's -S (wait for the gdb stub or monitor) is not supported: x86jit has neither",
};

/** A command line refused before commander parses it (one line, exit status 1). */
export class ArgvError extends Error {}

/**
 * Rewrite QEMU spellings in `argv` (the arguments after the program name). `valueOptions`: our
 * options that take a value, whose next argument is never rewritten.
 */
export function normaliseArgv(argv: string[], valueOptions: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (a === '--') {
      out.push(...argv.slice(k));
      break;
    }
    const reason = REFUSED[a];
    if (reason !== undefined) throw new ArgvError(reason);
    const ours = QEMU_ALIASES[a] ?? a;
    out.push(ours);
    if (valueOptions.has(ours) && k + 1 < argv.length) out.push(argv[++k]);
  }
  return out;
}
