/**
 * Acceptance: decode every instruction of Debian's busybox-static (i386) `.text` and compare with
 * `objdump -d -M intel` on the same bytes: lengths on 100% of instructions, text (after the
 * normalisation in objdump.ts) on at least 99.9%; remaining differences are listed by address.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { busyboxStaticPath } from '../../src/guest/debian.js';
import { decode } from '../../src/frontend/decoder.js';
import { formatInsn } from '../../src/frontend/disasm.js';
import { Insn } from '../../src/frontend/insn.js';
import { elfSection } from './elf32.js';
import { objdumpSection } from './objdump.js';
import { ArraySource } from './helpers.js';

describe('busybox-static .text against objdump', () => {
  // Fetching the package (first run only) may take longer than a test: do it in the hook.
  let path = '';
  beforeAll(() => {
    path = busyboxStaticPath();
  });

  it('lengths agree on 100%, text on >= 99.9%', () => {
    const file = new Uint8Array(readFileSync(path));
    const text = elfSection(file, '.text');
    const ref = objdumpSection(path, '.text', text.addr + text.size);
    const src = new ArraySource(file.subarray(text.offset, text.offset + text.size), text.addr);
    const insn = new Insn();
    let lenDiff = 0;
    const textDiffs: string[] = [];
    for (const r of ref) {
      decode(insn, src, r.addr, true);
      if (insn.len !== r.len) {
        lenDiff++;
        textDiffs.push(`${r.addr.toString(16)}: length ${insn.len} vs objdump ${r.len} (${r.text})`);
        continue;
      }
      const ours = formatInsn(insn, r.addr);
      if (ours !== r.text) textDiffs.push(`${r.addr.toString(16)}: ours "${ours}" objdump "${r.text}"`);
    }
    const agree = 1 - textDiffs.length / ref.length;
    console.log(`busybox .text: ${ref.length} instructions, ${lenDiff} length differences, ` +
      `${textDiffs.length} text differences (${(agree * 100).toFixed(4)}% agree)`);
    for (const d of textDiffs.slice(0, 200)) console.log('  ' + d);
    expect(ref.length).toBeGreaterThan(100_000);
    expect(lenDiff).toBe(0);
    expect(agree).toBeGreaterThanOrEqual(0.999);
  }, 120_000);
});
