/**
 * A small guest for profiler tests: `start` calls `f` 300 times, `f` calls `g`, `g` spins in a
 * loop; all with frame pointers, as Linux i386 code is. Assembled and linked with binutils, so the
 * ELF's own symbol table names the functions. Runs on the integer interpreter's test harness.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, CODE, STACK_TOP, type TestMachine } from '../cpu-int/harness.js';
import type { ProfiledEngine } from '../../src/profiler/sampler.js';
import type { ProfiledMachine } from '../../src/profiler/profiler.js';

export const GUEST_ASM = `
.globl start, f, g
.type start, @function
start:
  mov esp, ${STACK_TOP}
  xor ebp, ebp
  mov ecx, 300
1:
  call f
  dec ecx
  jnz 1b
  hlt
  nop            # EIP after HLT stays inside start
.size start, .-start
.type f, @function
f:
  push ebp
  mov ebp, esp
  call g
  add eax, 1
  pop ebp
  ret
.size f, .-f
.type g, @function
g:
  push ebp
  mov ebp, esp
  mov eax, 40
2:
  dec eax
  jnz 2b
  pop ebp
  ret
.size g, .-g
`;

export interface BuiltGuest {
  /** The linked ELF (with .symtab) and the raw .text to load at CODE. */
  elf: Uint8Array;
  elfPath: string;
  text: Uint8Array;
}

let cached: BuiltGuest | null = null;

export function buildGuest(): BuiltGuest {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-prof-'));
  const s = join(dir, 'g.s'), o = join(dir, 'g.o'), e = join(dir, 'g.elf'), b = join(dir, 'g.bin');
  writeFileSync(s, `.intel_syntax noprefix\n.code32\n.text\n${GUEST_ASM}\n`);
  execFileSync('as', ['--32', '-o', o, s]);
  execFileSync('ld', ['-m', 'elf_i386', `-Ttext=0x${CODE.toString(16)}`, '-e', 'start', '-o', e, o]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', e, b]);
  cached = { elf: new Uint8Array(readFileSync(e)), elfPath: e, text: new Uint8Array(readFileSync(b)) };
  return cached;
}

/** The guest loaded at CODE on a fresh harness machine, as a ProfiledMachine with `engine`. */
export function guestMachine(makeEngine: (t: TestMachine) => ProfiledEngine): ProfiledMachine & { t: TestMachine } {
  const g = buildGuest();
  const t = machine();
  t.phys.u8.set(g.text, CODE);
  t.cpu.eip = CODE;
  return { t, cpu: t.cpu, phys: t.phys, engine: makeEngine(t), hv: { statsLines: () => ['  HLT            1'] } };
}

/** Run until HLT in slices, as the Machine's run loop does. */
export function runToHalt(m: ProfiledMachine, slice = 5000): void {
  for (let n = 0; n < 1e6 && !m.cpu.halted; n++) m.engine.run(slice);
}
