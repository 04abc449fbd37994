#!/usr/bin/env node
/**
 * x86jit command line (commander). Wiring only: parse options, build a Machine, connect the
 * terminal to the guest's serial console, report how the guest stopped.
 *
 *   x86jit boot [--kernel F] [--initrd F | --initrd-dir D] [--append S] [--mem 128M] [--mode jit|interp]
 *   x86jit prepare-guest
 *
 * QEMU's spellings are accepted as aliases: -kernel, -initrd, -append, -m.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { bootCommand, type BootOptions } from './boot.js';
import { prepareGuestCommand } from './prepare-guest.js';
import { addBootProfileOptions, registerProfileCommand } from '../profiler/cli.js';
import { parseSize } from '../hv/reserved.js';

/** QEMU-style single-dash options mapped to ours. */
const QEMU_ALIASES: Record<string, string> = {
  '-kernel': '--kernel',
  '-initrd': '--initrd',
  '-append': '--append',
  '-m': '--mem',
};

export function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => QEMU_ALIASES[a] ?? a);
}

function sizeArg(v: string): number {
  try {
    return parseSize(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${v}"`);
  return n;
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
    .option('--mem <size>', 'guest RAM, e.g. 128M', sizeArg, 128 * 1024 * 1024)
    .addOption(new Option('--mode <mode>', 'execution engine').choices(['jit', 'interp']).default('jit'))
    .addOption(new Option('--clock <clock>', 'virtual clock source').choices(['realtime', 'deterministic']).default('realtime'))
    .option('--reserve <spec>', 'hypervisor-reserved RAM, SIZE[@ADDR] (0 for none)', '8M')
    .option('--test-devices', "QEMU's isa-debug-exit (port 0xf4) and pc-testdev")
    .option('--flat <addr>', 'load --kernel as a raw binary at this address and start there in real mode')
    .option('--rom', 'load --kernel as a BIOS-style ROM just below 4 GiB and start at the reset vector')
    .option('--module <file...>', 'multiboot modules (file or "file args")')
    .option('--no-host-decompress', "bzImage: run the kernel's own decompressor in the guest (default: unpack it on the host and enter vmlinux at its link address, no KASLR)")
    .option('--stats', 'print VM exit and engine statistics when the guest stops')
    .option('--trace', 'print every VM exit as it happens (to stderr)')
    // 3000: measured best on the reference boot (src/jit/README.md, "Threshold"): kernel init code is
    // wide and warm, and translating blocks that run a few hundred times costs more than it saves.
    .option('--jit-threshold <n>', 'executions before a block is translated', intArg, 3000)
    .option('--jit-verify', 'parse every generated block with acorn and check what it references')
    .option('--jit-source-maps [dir]', 'source maps from generated code to guest instructions (DevTools, node --cpu-prof); with DIR also write one .map per function there, for `profile --symbolize --source-maps DIR`')
    .option('--dump-reserved <file>', "write the hypervisor's reserved region (its host bytes) to this file when the guest stops")
    .option('--max-instructions <n>', 'stop (exit 124) after this many guest instructions', intArg)
    .action(async (opts: BootOptions) => {
      process.exitCode = await bootCommand(opts);
    });

  addBootProfileOptions(program.commands.find((c) => c.name() === 'boot')!);
  registerProfileCommand(program);

  program
    .command('prepare-guest')
    .description('download (apt-get download) and build the reference guest into the cache')
    .action(async () => {
      process.exitCode = await prepareGuestCommand();
    });

  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(normaliseArgv(process.argv.slice(2)), { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`x86jit: ${(e as Error).message ?? String(e)}\n`);
    process.exitCode = 1;
  }
}

void main();
