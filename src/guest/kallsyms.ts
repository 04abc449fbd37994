/**
 * Rebuild a System.map from a bzImage's own symbol table.
 *
 * Debian's linux-image package ships a placeholder System.map ("The real System.map is in the
 * linux-image-<version>-dbg package", a 760 MB download). The kernel carries its symbols anyway,
 * for /proc/kallsyms: with CONFIG_KALLSYMS the decompressed image holds, in .rodata and in this
 * order (scripts/kallsyms.c, CONFIG_KALLSYMS_BASE_RELATIVE as on i386):
 *   kallsyms_offsets[N] (s32), kallsyms_relative_base (u32), kallsyms_num_syms (u32),
 *   kallsyms_names (per symbol: length byte(s) + token indices), kallsyms_markers[ceil(N/256)] (u32,
 *   offset into names of every 256th symbol), kallsyms_token_table (256 NUL-terminated strings),
 *   kallsyms_token_index[256] (u16).
 * We unpack the payload on the host (loader/decompress.ts), find the token table by the
 * run of single-digit tokens "0".."9" it always contains, and walk back from it, checking every
 * structure against the next (markers must equal the parsed name offsets), so a wrong guess fails
 * instead of producing a wrong map. Only the symbols kallsyms keeps are listed (text symbols, no
 * data unless CONFIG_KALLSYMS_ALL): enough to name guest code addresses.
 */
import { decompressKernel } from '../loader/decompress.js';

export { decompressKernel };

export interface KernelSymbol {
  addr: number;
  type: string;
  name: string;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  for (let i = hay.indexOf(first, from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    let ok = true;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) { ok = false; break; }
    if (ok) return i;
  }
  return -1;
}

interface Tables {
  tokens: string[];
  namesStart: number;
  count: number;
  relativeBase: number;
  offsetsStart: number;
}

/**
 * Try to read the names table assuming kallsyms_num_syms sits at `p`: the markers that follow the
 * names must match the parsed offsets, and the token table must follow the markers, directly or
 * after kallsyms_seqs_of_names (3 bytes per symbol, in kernels that have it). Null if inconsistent.
 */
function tryNumSyms(d: Uint8Array, v: DataView, p: number, tokenTable: number): { count: number; namesStart: number } | null {
  const n = v.getUint32(p, true);
  if (n < 100 || n > 2_000_000) return null;
  const m = Math.ceil(n / 256);
  const namesStart = p + 4;
  for (const seqBytes of [0, 3 * n]) {
    for (const pad of [0, 1, 2, 3, 4, 5, 6, 7]) {
      const markers = tokenTable - pad - ((seqBytes + 3) & ~3) - 4 * m;
      if (markers % 4 !== 0 || markers <= namesStart) continue;
      if (v.getUint32(markers, true) !== 0) continue;
      if (v.getUint32(markers + 4 * (m - 1), true) >= markers - namesStart) continue;
      // Parse every entry, checking each 256th offset against the markers.
      let o = namesStart;
      let ok = true;
      for (let i = 0; i < n && ok; i++) {
        if ((i & 255) === 0 && v.getUint32(markers + 4 * (i >> 8), true) !== o - namesStart) ok = false;
        let len = d[o++];
        if (len & 0x80) len = (len & 0x7f) | (d[o++] << 7); // "big symbol" length encoding
        if (len === 0) ok = false;
        o += len;
        if (o > markers) ok = false;
      }
      if (ok && markers - o < 8) return { count: n, namesStart };
    }
  }
  return null;
}

/** A kernel virtual address on i386 (PAGE_OFFSET is 0xC0000000, or 0x80000000/0x40000000 with VMSPLIT). */
function plausibleBase(b: number): boolean {
  return b >= 0x40000000 && (b & 0xfff) === 0;
}

function findTables(d: Uint8Array): Tables {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const digits = new TextEncoder().encode('0\x001\x002\x003\x004\x005\x006\x007\x008\x009\x00');
  for (let at = indexOf(d, digits); at >= 0; at = indexOf(d, digits, at + 1)) {
    // Walk back 0x30 strings to token 0, then forward 256 strings to the end of the table.
    let start = at;
    let ok = true;
    for (let i = 0; i < 0x30 && ok; i++) {
      start--; // the NUL ending the previous token
      if (d[start] !== 0 || start === 0 || d[start - 1] === 0) ok = false;
      while (ok && start > 0 && d[start - 1] !== 0) start--;
    }
    if (!ok || start % 4 !== 0) continue;
    const tokens: string[] = [];
    let o = start;
    for (let i = 0; i < 256; i++) {
      const e = d.indexOf(0, o);
      if (e < 0 || e === o) break;
      tokens.push(new TextDecoder('latin1').decode(d.subarray(o, e)));
      o = e + 1;
    }
    if (tokens.length !== 256 || tokens[0x30] !== '0') continue;
    // kallsyms_token_index: 256 u16 offsets into the table, right after it (aligned).
    let tokenIndex = -1;
    for (let q = (o + 1) & ~1; q < o + 8; q += 2) {
      if (v.getUint16(q, true) === 0 && v.getUint16(q + 2 * 0x30, true) === at - start) {
        tokenIndex = q;
        break;
      }
    }
    if (tokenIndex < 0) continue;
    // Walk back from the token table to kallsyms_num_syms: names and markers lie in between.
    const lowest = Math.max(0, start - 16 * 1024 * 1024);
    for (let p = start - 8; p >= lowest; p -= 4) {
      const r = tryNumSyms(d, v, p, start);
      if (!r) continue;
      // Offsets and relative_base: before num_syms (older kernels) or after the token index.
      const before = { base: p - 4, offsets: p - 4 - 4 * r.count };
      const afterOffsets = (tokenIndex + 512 + 3) & ~3;
      const after = { base: afterOffsets + 4 * r.count, offsets: afterOffsets };
      for (const c of [before, after]) {
        if (c.offsets < 0 || c.base + 4 > d.length) continue;
        const relativeBase = v.getUint32(c.base, true);
        if (!plausibleBase(relativeBase)) continue;
        if (v.getUint32(c.offsets, true) > 0x1000000) continue;
        return { tokens, namesStart: r.namesStart, count: r.count, relativeBase, offsetsStart: c.offsets };
      }
    }
  }
  throw new Error('no kallsyms table found in the kernel image');
}

export function kernelSymbols(vmlinux: Uint8Array): KernelSymbol[] {
  const t = findTables(vmlinux);
  const v = new DataView(vmlinux.buffer, vmlinux.byteOffset, vmlinux.byteLength);
  const out: KernelSymbol[] = [];
  let o = t.namesStart;
  for (let i = 0; i < t.count; i++) {
    let len = vmlinux[o++];
    if (len & 0x80) len = (len & 0x7f) | (vmlinux[o++] << 7);
    let s = '';
    for (let j = 0; j < len; j++) s += t.tokens[vmlinux[o + j]];
    o += len;
    // Base-relative: address = relative_base + (u32)offset (no absolute per-CPU symbols on i386).
    const addr = (t.relativeBase + v.getUint32(t.offsetsStart + 4 * i, true)) >>> 0;
    out.push({ addr, type: s[0], name: s.slice(1) });
  }
  return out;
}

/** System.map text ("c1000000 T _text" per line, sorted by address) for a bzImage. */
export function systemMapFromKernel(bzImage: Uint8Array): string {
  return systemMapFromVmlinux(decompressKernel(bzImage));
}

/** The same, from the already decompressed kernel. */
export function systemMapFromVmlinux(vmlinux: Uint8Array): string {
  const syms = kernelSymbols(vmlinux);
  syms.sort((a, b) => a.addr - b.addr);
  return syms.map((s) => `${s.addr.toString(16).padStart(8, '0')} ${s.type} ${s.name}`).join('\n') + '\n';
}
