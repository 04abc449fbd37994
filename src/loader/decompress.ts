/**
 * Unpack the compressed kernel inside a bzImage (boot.rst fields payload_offset/payload_length,
 * protocol 2.08+) into the vmlinux ELF the kernel's own decompressor would produce. gzip through
 * node:zlib, xz through the `xz` command (xz-utils), which node cannot do itself.
 *
 * Used to boot a kernel without running its decompressor in the guest (linux.ts `vmlinux`) and to
 * read its symbol table (guest/kallsyms.ts).
 */
import { execFileSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { SetupHeader, parseBzImage } from './bzimage.js';
import { LoaderError } from './errors.js';
import { getField, viewOf } from './fields.js';

/** Decompress the protected-mode payload of a bzImage into the raw vmlinux ELF. */
export function decompressKernel(file: Uint8Array, name = 'kernel'): Uint8Array {
  const img = parseBzImage(file, name);
  const v = viewOf(file);
  const off = getField(v, SetupHeader.payload_offset);
  const len = getField(v, SetupHeader.payload_length);
  const payload = img.kernel.subarray(off, off + len);
  if (payload[0] === 0x1f && payload[1] === 0x8b) return gunzipSync(payload);
  if (payload[0] === 0xfd && payload[1] === 0x37 && payload[2] === 0x7a && payload[3] === 0x58) {
    try {
      const out = execFileSync('xz', ['-dc', '--single-stream'], { input: payload, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'ignore'] });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      throw new LoaderError(`${name}: cannot unpack the xz-compressed kernel (is xz-utils installed?): ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new LoaderError(`${name}: compressed kernel is neither gzip nor xz (x86jit cannot unpack it on the host)`);
}
