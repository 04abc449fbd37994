/**
 * The reference guest's kernel (Debian 6.1 686) against objdump: every code section of the
 * decompressed vmlinux, decoded and disassembled by us and by `objdump -d -M intel`. This covers
 * the system instructions (MOV CR, LGDT, IRET, WRMSR, SYSEXIT...) that busybox never uses.
 *
 * Allowed differences, counted and listed: objdump folds FWAIT (9B) into the next x87 instruction
 * (`finit`), which the processor executes as two; and a few later-extension encodings that share
 * an opcode with i686 ones and differ only by a 66 prefix (tpause, clflushopt) are not in our
 * table (they execute as #UD or as the i686 form).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareReferenceGuest } from '../../src/guest/reference.js';
import { decompressKernel } from '../../src/guest/kallsyms.js';
import { decode } from '../../src/frontend/decoder.js';
import { formatInsn } from '../../src/frontend/disasm.js';
import { Insn } from '../../src/frontend/insn.js';
import { Mn } from '../../src/frontend/mnemonics.js';
import { elfSection } from './elf32.js';
import { objdumpSection } from './objdump.js';
import { ArraySource } from './helpers.js';

const CODE_SECTIONS = ['.text', '.init.text', '.altinstr_replacement', '.altinstr_aux', '.exit.text'];

describe('Debian 686 kernel code against objdump', () => {
  // Fetching the reference guest (first run only) may take longer than a test: do it in the hook.
  let kernelPath = '';
  beforeAll(() => {
    kernelPath = prepareReferenceGuest().kernel;
  });

  it('lengths agree except FWAIT folding, text on >= 99.99%', () => {
    const vmlinux = decompressKernel(new Uint8Array(readFileSync(kernelPath)));
    const path = join(mkdtempSync(join(tmpdir(), 'x86jit-kernel-')), 'vmlinux');
    writeFileSync(path, vmlinux);
    const insn = new Insn();
    let total = 0, folded = 0;
    const lenDiffs: string[] = [];
    const textDiffs: string[] = [];
    for (const name of CODE_SECTIONS) {
      const sec = elfSection(vmlinux, name);
      const ref = objdumpSection(path, name, sec.addr + sec.size);
      const src = new ArraySource(vmlinux.subarray(sec.offset, sec.offset + sec.size + 16), sec.addr);
      total += ref.length;
      for (const r of ref) {
        decode(insn, src, r.addr, true);
        if (insn.mn === Mn.WAIT && r.len > insn.len) { folded++; continue; }
        const ours = formatInsn(insn, r.addr);
        if (insn.len !== r.len) lenDiffs.push(`${name} ${r.addr.toString(16)}: length ${insn.len} "${ours}" vs objdump ${r.len} "${r.text}"`);
        else if (ours !== r.text) textDiffs.push(`${name} ${r.addr.toString(16)}: ours "${ours}" objdump "${r.text}"`);
      }
    }
    const agree = 1 - (lenDiffs.length + textDiffs.length) / total;
    console.log(`kernel code: ${total} instructions, ${folded} FWAIT folded by objdump, ${lenDiffs.length} length ` +
      `and ${textDiffs.length} text differences (${(agree * 100).toFixed(4)}% agree)`);
    for (const d of [...lenDiffs, ...textDiffs].slice(0, 100)) console.log('  ' + d);
    expect(total).toBeGreaterThan(1_000_000);
    expect(lenDiffs).toEqual([]);
    expect(agree).toBeGreaterThanOrEqual(0.9999);
  }, 300_000);
});
