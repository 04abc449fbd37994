/**
 * Test code assembled at test time with GNU binutils (`as --32`, Intel syntax), as a flat binary of
 * its .text. Results are cached per process, keyed by the whole request.
 *
 *   const code = assembleIntel('add eax, 3', 32, 0x1000); // linked at 0x1000
 *   const raw = assembleIntel('fld1', 32, null);          // not linked: offsets from 0
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = new Map<string, Uint8Array>();
let dir = '';

/**
 * Assemble `src` as `bits`-bit Intel-syntax code. With `org`, the object is linked so that the
 * code starts there (absolute label references such as `lea eax, [label]` are right); with null
 * the unlinked section is taken as it is.
 */
export function assembleIntel(src: string, bits: 16 | 32, org: number | null): Uint8Array {
  const key = `${bits} ${org}\n${src}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!dir) dir = mkdtempSync(join(tmpdir(), 'x86jit-asm-'));
  const s = join(dir, 'a.s'), o = join(dir, 'a.o'), e = join(dir, 'a.elf'), b = join(dir, 'a.bin');
  writeFileSync(s, `.intel_syntax noprefix\n.code${bits}\n${src}\n`);
  execFileSync('as', ['--32', '-o', o, s]);
  if (org !== null) execFileSync('ld', ['-m', 'elf_i386', `-Ttext=0x${org.toString(16)}`, '-e', '0', '-o', e, o]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', org !== null ? e : o, b]);
  const out = new Uint8Array(readFileSync(b));
  cache.set(key, out);
  return out;
}
