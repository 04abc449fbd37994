/**
 * Tiny real-mode guests for CLI tests that need no kernel (`x86jit boot --kernel F --flat 0x1000`),
 * assembled with test/support/asm.ts and written to a temporary file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assembleIntel } from '../support/asm.js';

export const FLAT_ADDR = 0x1000;
/** Arguments that boot `file` as a flat guest in 16 MiB without a reserved region. */
export const flatArgs = (file: string): string[] => ['boot', '--kernel', file, '--flat', '0x1000', '-m', '16', '--reserve', '0'];

let dir = '';

export function writeFlatGuest(name: string, src: string): string {
  if (!dir) dir = mkdtempSync(join(tmpdir(), 'x86jit-flat-'));
  const f = join(dir, `${name}.bin`);
  writeFileSync(f, assembleIntel(src, 16, FLAT_ADDR));
  return f;
}

/** Prints "HI" on COM1, then pulses the i8042 reset line (command 0xFE to port 0x64). */
export const RESET_GUEST = `
  mov dx, 0x3f8
  mov al, 'H'
  out dx, al
  mov al, 'I'
  out dx, al
  mov al, 10
  out dx, al
  mov al, 0xfe
  out 0x64, al
1: jmp 1b`;

/** Echoes every byte received on COM1, polling LSR (IER never written). */
export const ECHO_GUEST = `
1: mov dx, 0x3fd
2: in al, dx
  test al, 1
  jz 2b
  mov dx, 0x3f8
  in al, dx
  out dx, al
  jmp 1b`;

/** A loop of four instructions, forever. */
export const LOOP_GUEST = `
1: inc ax
  inc bx
  dec cx
  jmp 1b`;

/** Writes 5 to isa-debug-exit (--test-devices): exit status (5 << 1) | 1 = 11. */
export const DEBUG_EXIT_GUEST = `
  mov al, 5
  out 0xf4, al
1: jmp 1b`;
