/**
 * GNU objdump as the independent reference for decoder and disassembler tests, and the
 * normalisation applied before comparing texts (documented here, used by every comparison):
 *   1. runs of whitespace collapse to one space, leading/trailing space is dropped;
 *   2. a trailing symbol annotation ` <name+0x..>` is dropped (targets are compared as addresses).
 * Nothing else is rewritten: mnemonics, prefixes, size keywords and operands must match as printed.
 */
import { execFileSync } from 'node:child_process';

export interface RefInsn {
  addr: number;
  len: number;
  text: string;
}

export function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/ <[^>]*>$/, '').trim();
}

/** Parse `objdump -d -M intel --no-show-raw-insn` output; lengths come from address differences. */
export function parseObjdump(out: string, endAddr: number): RefInsn[] {
  const insns: RefInsn[] = [];
  for (const line of out.split('\n')) {
    const m = /^ *([0-9a-f]+):\t(.*)$/.exec(line);
    if (!m) continue;
    insns.push({ addr: parseInt(m[1], 16), len: 0, text: normalise(m[2]) });
  }
  for (let k = 0; k < insns.length; k++) insns[k].len = (k + 1 < insns.length ? insns[k + 1].addr : endAddr) - insns[k].addr;
  return insns;
}

/** Disassemble a section of an ELF file. */
export function objdumpSection(path: string, section: string, endAddr: number): RefInsn[] {
  const out = execFileSync('objdump', ['-d', '-z', '-M', 'intel', '--no-show-raw-insn', '-j', section, path], {
    encoding: 'utf8', maxBuffer: 1 << 30,
  });
  return parseObjdump(out, endAddr);
}

/** Disassemble raw 32-bit (or 16-bit) code bytes. */
export function objdumpRaw(file: string, code16 = false): RefInsn[] {
  const out = execFileSync('objdump', ['-D', '-z', '-b', 'binary', '-m', code16 ? 'i8086' : 'i386', '-M', 'intel', '--no-show-raw-insn', file], {
    encoding: 'utf8', maxBuffer: 1 << 30,
  });
  return parseObjdump(out, -1);
}
