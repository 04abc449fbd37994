/**
 * Tiny guests for the API and CLI tests, no assembler needed: a multiboot kernel (a.out kludge, so
 * the file is loaded as it is at 1 MiB and entered in flat 32-bit protected mode) that prints a
 * banner on COM1 and then either echoes console input until it reads 'q' and powers off by
 * hypercall, powers off at once, or halts with interrupts off (the machine stops, kind 'halt').
 * Booting one costs milliseconds, where the reference guest costs ~30 s of a core.
 */

const LOAD = 0x100000;
const HEADER = 0x20; // the code starts right after the 32-byte multiboot header

export type TinyGuestEnd = 'echo' | 'halt' | { powerOff: number };

export function tinyGuest(banner: string, end: TinyGuestEnd): Uint8Array {
  const code: number[] = [0x66, 0xba, 0xf8, 0x03]; // mov dx, 0x3f8 (COM1 data)
  for (const c of new TextEncoder().encode(banner)) code.push(0xb0, c, 0xee); // mov al, c; out dx, al
  if (end === 'echo') {
    const loop = code.length;
    code.push(0x66, 0xba, 0xfd, 0x03, 0xec, 0xa8, 0x01, 0x74, 0); // mov dx, LSR; in al, dx; test al, 1; jz loop
    code[code.length - 1] = (loop - code.length) & 0xff;
    code.push(0x66, 0xba, 0xf8, 0x03, 0xec, 0xee, 0x3c, 0x71, 0x75, 0); // mov dx, RBR; in; out; cmp al, 'q'; jne loop
    code[code.length - 1] = (loop - code.length) & 0xff;
  }
  if (end === 'echo' || typeof end === 'object') {
    const status = end === 'echo' ? 0 : end.powerOff;
    code.push(0xb8, 2, 0, 0, 0, 0xbb, ...le32(status), 0x0f, 0x01, 0xc1); // mov eax, POWER_OFF; mov ebx, status; vmcall
  }
  code.push(0xf4); // hlt (interrupts are off at a multiboot entry)
  const magic = 0x1badb002, flags = 1 << 16;
  const header = [magic, flags, (-(magic + flags)) >>> 0, LOAD, LOAD, 0, 0, LOAD + HEADER].flatMap(le32);
  return Uint8Array.from([...header, ...code]);
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
