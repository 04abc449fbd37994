#!/usr/bin/env node
/**
 * x86jit command line (commander). Wiring only: parse options, build a Machine, connect the
 * terminal to the guest's serial console, report how the guest stopped.
 *
 *   x86jit boot [--kernel F] [--initrd F | --initrd-dir D] [--append S] [-m 128] [--mode jit|interp]
 *   x86jit prepare-guest
 *
 * QEMU's spellings are accepted too (qemu-argv.ts): -kernel, -initrd, -append, -m, -nographic,
 * -no-reboot, -serial stdio, -smp 1.
 */
import { Command, CommanderError, Option } from 'commander';
import { bootCommand, type BootOptions } from './boot.js';
import { prepareGuestCommand } from './prepare-guest.js';
import { addBootProfileOptions, registerProfileCommand } from './profile.js';
import { EXIT_STATUS_HELP } from '../hv/exit-status.js';
import { CLOCK_MODES, type ClockMode } from '../machine/clock.js';
import { DEFAULT_CLOCK, DEFAULT_JIT_THRESHOLD, DEFAULT_MEMORY } from '../machine/defaults.js';
import { intArg, memArg, serialArg, smpArg } from './option-args.js';
import { ArgvError, normaliseArgv } from './qemu-argv.js';

export { normaliseArgv };

export { DEFAULT_CLOCK };

const CLOCK_HELP = `Clocks (--clock):
  realtime       guest time is host time: a halted guest waits in real time (guest sleep 10
                 takes 10 s) and its date follows the host's
  fast           the default: idle time is skipped, a halted guest jumps to its next timer at
                 once, so delays and timeouts cost no wall time and guest time runs ahead of
                 the host's (by all the idle time skipped)
  deterministic  time counts guest instructions (10 ns each), idle time is skipped: the same
                 boot prints the same bytes`;

const CONSOLE_HELP = `Console: the guest's serial port (COM1) is this terminal (raw mode on a TTY: Ctrl-C goes to
the guest). Ctrl-A X quits, Ctrl-A H lists the keys, Ctrl-A Ctrl-A sends Ctrl-A. Input typed or
piped before the guest reads it waits on the host side.`;

/** The commands that take QEMU's spellings (the others' arguments are passed on as they are). */
const QEMU_STYLE_COMMANDS = new Set(['boot', 'profile']);

/** The long options of every command that take a value (their next argument is never rewritten). */
function valueOptions(program: Command): Set<string> {
  const out = new Set<string>();
  for (const c of [program, ...program.commands]) for (const o of c.options) if (o.required && o.long) out.add(o.long);
  return out;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('x86jit')
    .description('An x86 PC emulator that boots Linux by translating guest code to JavaScript')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str.startsWith('error:') ? `x86jit: ${str}` : str) });

  program
    .command('boot')
    .description('boot a guest (by default the reference Debian i386 kernel + busybox initramfs)')
    .option('--kernel <file>', 'Linux bzImage, multiboot kernel (default: the reference guest)')
    .option('--initrd <file>', 'initial ramdisk file')
    .option('--initrd-dir <dir>', 'build the initramfs from this directory (newc cpio)')
    .option('--append <cmdline>', 'kernel command line')
    .option('-m, --mem <size>', 'guest RAM: MiB as in QEMU (128), or with a unit (512K, 128M, 1G)', memArg, DEFAULT_MEMORY)
    .addOption(new Option('--mode <mode>', 'execution engine').choices(['jit', 'interp']).default('jit'))
    .addOption(new Option('--clock <clock>', 'guest time (see Clocks below)').choices(CLOCK_MODES).default(DEFAULT_CLOCK))
    .option('--no-reboot', `exit (status 6) when the guest resets, instead of booting it again (QEMU's -no-reboot)`)
    .option('--nographic', 'accepted for QEMU users: x86jit never opens a window (the console is this terminal)')
    .option('--serial <dev>', 'QEMU\'s -serial: only "stdio" or "mon:stdio" (COM1 is always this terminal)', serialArg)
    .option('--smp <n>', "QEMU's -smp: only 1 (x86jit emulates one CPU)", smpArg)
    .option('--reserve <spec>', 'hypervisor-reserved RAM, SIZE[@ADDR] (0 for none)', '8M')
    .option('--test-devices', "QEMU's isa-debug-exit (port 0xf4) and pc-testdev")
    .option('--flat <addr>', 'load --kernel as a raw binary at this address and start there in real mode')
    .option('--rom', 'load --kernel as a BIOS-style ROM just below 4 GiB and start at the reset vector')
    .option('--module <file...>', 'multiboot modules (file or "file args")')
    .option('--no-host-decompress', "bzImage: run the kernel's own decompressor in the guest (default: unpack it on the host and enter vmlinux at its link address, no KASLR)")
    .option('--stats', 'print VM exit and engine statistics when the guest stops')
    .option('--trace', 'print every VM exit as it happens (to stderr)')
    .option('--jit-threshold <n>', 'executions before a block is translated', intArg, DEFAULT_JIT_THRESHOLD)
    .option('--jit-verify', 'parse every generated block with acorn and check what it references')
    .option('--jit-source-maps [dir]', 'source maps from generated code to guest instructions (DevTools, node --cpu-prof); with DIR also write one .map per function there, for `profile --symbolize --source-maps DIR`')
    .option('--dump-reserved <file>', "write the hypervisor's reserved region (its host bytes) to this file when the guest stops")
    .option('--max-instructions <n>', 'stop (exit 124) after exactly this many guest instructions', intArg)
    .addHelpText('after', `\n${CLOCK_HELP}\n\n${CONSOLE_HELP}\n\n${EXIT_STATUS_HELP}\n`)
    .action(async (opts: BootOptions, cmd: Command) => {
      process.exitCode = await bootCommand({ ...opts, reserveIsDefault: cmd.getOptionValueSource('reserve') === 'default' });
    });

  addBootProfileOptions(program.commands.find((c) => c.name() === 'boot')!);
  registerProfileCommand(program);

  program
    .command('prepare-guest')
    .description('download (apt-get download) and build the reference guest into the cache')
    .action(async () => {
      process.exitCode = await prepareGuestCommand();
    });

  // `x86jit run` (issue 14 item 2), src/cli/run.ts; imported when used, so this block is the
  // command's whole registration.
  program
    .command('run')
    .description('boot a guest to its shell, run COMMAND there, print its output and exit with its status')
    .usage('[options] -- COMMAND...')
    .argument('<command...>', 'the command line for the guest shell (the words are joined with spaces, as ssh does)')
    .option('--kernel <file>', 'Linux bzImage (default: the reference guest)')
    .option('--initrd <file>', 'initial ramdisk file')
    .option('--append <cmdline>', 'kernel command line')
    .option('--mem <size>', 'guest RAM, e.g. 128M', '128M')
    .addOption(new Option('--mode <mode>', 'execution engine').choices(['jit', 'interp']).default('jit'))
    .option('--boot-timeout <seconds>', 'how long to wait for the shell prompt', intArg, 600)
    .option('--timeout <seconds>', 'stop (exit 124) if COMMAND runs longer (0: no limit)', intArg, 0)
    .addHelpText('after', '\nExit status: that of COMMAND; 124 if --timeout expired; 125 if x86jit failed (bad file, guest stopped before its prompt).')
    .action(async (command: string[], opts) => {
      const { runCommand } = await import('./run.js');
      process.exitCode = await runCommand(command, opts);
    });

  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    const args = process.argv.slice(2);
    await program.parseAsync(QEMU_STYLE_COMMANDS.has(args[0]) ? normaliseArgv(args, valueOptions(program)) : args, { from: 'user' });
  } catch (e) {
    if (e instanceof ArgvError) {
      process.stderr.write(`x86jit: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`x86jit: ${(e as Error).message ?? String(e)}\n`);
    process.exitCode = 1;
  }
}

void main();
