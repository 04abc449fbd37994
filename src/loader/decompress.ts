/**
 * Unpack the compressed kernel inside a bzImage (boot.rst fields payload_offset/payload_length,
 * protocol 2.08+) into the vmlinux ELF the kernel's own decompressor would produce, on the host:
 * gzip, bzip2, lzma, xz, lzo, lz4 and zstd, every format the kernel build offers (unpack/formats.ts).
 *
 *   const r = hostUnpackKernel(file, name);  // { vmlinux, format } or { skipped: "why" }
 *   decompressKernel(file, name);            // the vmlinux, or a LoaderError
 *
 * Used to boot a kernel without running its decompressor in the guest (linux.ts `vmlinux`) and to
 * read its symbol table (guest/kallsyms.ts). A payload that is in a known format but does not
 * decode is a LoaderError naming the format and the file.
 */
import { SetupHeader, parseBzImage } from './bzimage.js';
import { LoaderError, formatSize, hex } from './errors.js';
import { getField, viewOf } from './fields.js';
import { DECODERS, detectPayloadFormat, streamOf, type PayloadFormat } from './unpack/formats.js';

/** Larger than any i386 vmlinux (the kernel's image must fit in its lowmem mapping, under 1 GiB); before protocol 2.10. */
const MAX_VMLINUX = 512 << 20;

export type HostUnpack = { vmlinux: Uint8Array; format: PayloadFormat } | { skipped: string };

/** The vmlinux of a bzImage unpacked on the host, or why it cannot be (for a one-line notice). */
export function hostUnpackKernel(file: Uint8Array, name = 'kernel'): HostUnpack {
  const img = parseBzImage(file, name);
  // payload_offset/payload_length exist from protocol 2.08 (boot.rst).
  if (img.version < 0x0208) return { skipped: `${name} has no payload_offset (boot protocol before 2.08)` };
  const v = viewOf(file);
  const off = getField(v, SetupHeader.payload_offset);
  const len = getField(v, SetupHeader.payload_length);
  const payload = img.kernel.subarray(off, off + len);
  if (payload.length < 8) return { skipped: `${name} has no compressed payload (payload_length ${len})` };
  const format = detectPayloadFormat(payload);
  if (format === null) {
    const magic = Array.from(payload.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    return { skipped: `kernel payload is in a format x86jit does not know (first bytes ${magic})` };
  }
  const decode = DECODERS[format];
  // The payload's last 4 bytes are the unpacked size (formats.ts).
  const size = new DataView(payload.buffer, payload.byteOffset + payload.length - 4, 4).getUint32(0, true);
  // Decoders allocate the output from this field, so it is checked first. vmlinux (stripped ELF +
  // relocations) is about the kernel's memory image, which init_size covers (boot.rst, 2.10+).
  const limit = img.initSize > 0 ? 2 * img.initSize : MAX_VMLINUX;
  if (size > limit) throw new LoaderError(`${name}: corrupt ${format}-compressed kernel payload (its size field says ${formatSize(size)}, over ${img.initSize > 0 ? "twice the kernel's init_size" : 'any 32-bit kernel'})`);
  let vmlinux: Uint8Array;
  try {
    vmlinux = decode(streamOf(format, payload), size);
  } catch (e) {
    throw new LoaderError(`${name}: corrupt ${format}-compressed kernel payload (${(e as Error).message || String(e)})`);
  }
  if (vmlinux.length !== size) throw new LoaderError(`${name}: corrupt ${format}-compressed kernel payload (unpacks to ${vmlinux.length} bytes, its size field says ${size})`);
  if (vmlinux[0] !== 0x7f || vmlinux[1] !== 0x45 || vmlinux[2] !== 0x4c || vmlinux[3] !== 0x46) {
    throw new LoaderError(`${name}: the ${format}-compressed kernel payload does not unpack to an ELF file (starts ${hex(new DataView(vmlinux.buffer, vmlinux.byteOffset).getUint32(0, false))})`);
  }
  return { vmlinux, format };
}

/** Decompress the protected-mode payload of a bzImage into the raw vmlinux ELF. */
export function decompressKernel(file: Uint8Array, name = 'kernel'): Uint8Array {
  const r = hostUnpackKernel(file, name);
  if ('skipped' in r) throw new LoaderError(`${name}: cannot unpack the kernel on the host: ${r.skipped}`);
  return r.vmlinux;
}
