/**
 * A synthetic vmlinux for host-decompression tests: an ELF32 i386 executable with one PT_LOAD at
 * 16 MiB (makeBzImage's pref_address) and entry at its start, whose contents mix what makes each
 * decoder work: x86-like code full of E8/E9 rel32 (the xz x86 BCJ filter rewrites them), repeated
 * text (matches, long lengths), and pseudo-random bytes (literals; incompressible stretches become
 * LZMA2's uncompressed chunks), then a tail standing for the relocation table the kernel build
 * appends after vmlinux (arch/x86/boot/compressed/Makefile, vmlinux.relocs).
 */
export const VMLINUX_LOAD = 0x1000000;

export function makeVmlinux(size = 600 * 1024): Uint8Array {
  const f = new Uint8Array(size);
  const v = new DataView(f.buffer);
  f.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, VMLINUX_LOAD, true); // e_entry
  v.setUint32(28, 52, true); // e_phoff
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  const dataStart = 0x1000;
  const dataEnd = size - 0x1000; // the last 4 KiB is the "relocation table", outside the segment
  [1, dataStart, 0xc1000000, VMLINUX_LOAD, dataEnd - dataStart, dataEnd - dataStart + 0x2000, 7, 0x1000].forEach((x, i) => v.setUint32(52 + 4 * i, x, true));
  let seed = 0x12345678;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  const text = new TextEncoder().encode('Linux version 6.1.0 (x86jit test) #1 SMP PREEMPT_DYNAMIC ');
  let p = dataStart;
  while (p < dataEnd) {
    const kind = rnd() % 3;
    const n = Math.min(dataEnd - p, 0x400 + rnd() * 16);
    for (let i = 0; i < n; p++, i++) {
      if (kind === 0) f[p] = i % 5 === 0 ? 0xe8 + (rnd() & 1) : i % 5 === 3 || i % 5 === 4 ? (i & 8 ? 0xff : 0) : rnd();
      else if (kind === 1) f[p] = text[i % text.length];
      else f[p] = rnd();
    }
  }
  for (let i = dataEnd; i < size; i += 4) v.setUint32(i, i >= size - 4 ? 0 : 0xc1000000 + rnd() * 64, true);
  return f;
}
