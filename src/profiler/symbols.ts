/**
 * Guest symbol tables for profiles: address -> `function+0xoffset`.
 *
 *   const syms = loadSymbolFile('/path/System.map');   // or an ELF32 file (vmlinux, a test binary)
 *   syms.format(0xc10abcde);                            // "memset+0x1e"
 *
 * Sources: a System.map (`c1000000 T _text` lines, the format of the kernel's own map and of the
 * one src/guest/kallsyms.ts rebuilds from kallsyms; text symbols only: types t T w W), or the
 * .symtab (else .dynsym) of an ELF32 file (STT_FUNC symbols, plus STT_NOTYPE symbols in executable
 * sections, which hand-written assembly often has). Lookups are a binary search over a sorted
 * Float64Array of start addresses.
 */
import { readFileSync } from 'node:fs';

/** How far past the last symbol (or past a System.map symbol, whose size is unknown) an address is
 *  still attributed to it. */
const MAX_UNSIZED_SPAN = 0x10000;

export class SymbolTable {
  /** Sorted start addresses (unsigned). */
  readonly starts: Float64Array;
  /** End (exclusive) of each symbol: its size when known, else the next symbol's start. */
  readonly ends: Float64Array;
  readonly names: string[];
  /** Code without symbols but of known origin, named after the symbols failed (e.g. a bzImage's
   *  decompressor: symbol-source.ts): [lo, hi) and a label. */
  readonly regions: { lo: number; hi: number; name: string }[] = [];

  constructor(entries: { addr: number; name: string; size?: number }[]) {
    const sorted = entries
      .map((e) => ({ addr: e.addr >>> 0, name: e.name, size: e.size ?? 0 }))
      .sort((a, b) => a.addr - b.addr || a.name.localeCompare(b.name));
    // Several names at one address (aliases such as _text/_stext): keep the first, favouring names
    // that do not start with an underscore, which read better in a profile.
    const kept: typeof sorted = [];
    for (const e of sorted) {
      const last = kept[kept.length - 1];
      if (last !== undefined && last.addr === e.addr) {
        if (last.name.startsWith('_') && !e.name.startsWith('_')) kept[kept.length - 1] = e;
        if (e.size > last.size) kept[kept.length - 1].size = e.size;
        continue;
      }
      kept.push(e);
    }
    const n = kept.length;
    this.starts = new Float64Array(n);
    this.ends = new Float64Array(n);
    this.names = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const e = kept[i];
      this.starts[i] = e.addr;
      this.names[i] = e.name;
      const next = i + 1 < n ? kept[i + 1].addr : e.addr + MAX_UNSIZED_SPAN;
      this.ends[i] = e.size > 0 ? e.addr + e.size : Math.min(next, e.addr + MAX_UNSIZED_SPAN);
    }
  }

  get size(): number {
    return this.names.length;
  }

  /** The same symbols `delta` bytes higher (a kernel the decompressor moved, KASLR: kaslr.ts). */
  slid(delta: number): SymbolTable {
    if (delta === 0) return this;
    const t = new SymbolTable(this.names.map((name, i) => ({ addr: this.starts[i] + delta, name, size: this.ends[i] - this.starts[i] })));
    t.regions.push(...this.regions); // the decompressor does not move with the kernel
    return t;
  }

  /** Label of the region containing `addr`, or null. */
  regionOf(addr: number): string | null {
    const a = addr >>> 0;
    for (const r of this.regions) if (a >= r.lo && a < r.hi) return r.name;
    return null;
  }

  /** Index of the symbol containing `addr`, or -1. */
  indexOf(addr: number): number {
    const a = addr >>> 0;
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    if (hi < 0 || a < s[0]) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= a) lo = mid;
      else hi = mid - 1;
    }
    return a < this.ends[lo] ? lo : -1;
  }

  /** Name of the function containing `addr`, or null. */
  nameOf(addr: number): string | null {
    const i = this.indexOf(addr);
    return i < 0 ? null : this.names[i];
  }

  /** `name+0xoff` (`name` at offset 0), or the hex address when no symbol contains it. */
  format(addr: number): string {
    return this.formatKnown(addr) ?? hex32(addr);
  }

  /** `name+0xoff` (`name` at offset 0), or null when no symbol contains `addr`. */
  formatKnown(addr: number): string | null {
    const i = this.indexOf(addr);
    if (i < 0) return null;
    const off = (addr >>> 0) - this.starts[i];
    return off === 0 ? this.names[i] : `${this.names[i]}+0x${off.toString(16)}`;
  }
}

export function hex32(a: number): string {
  return '0x' + (a >>> 0).toString(16).padStart(8, '0');
}

/** An empty table (no symbols known): every address formats as hex. */
export function noSymbols(): SymbolTable {
  return new SymbolTable([]);
}

/** Text symbols of a System.map ("c1000000 T _text" per line; other lines are skipped). */
export function parseSystemMap(text: string): SymbolTable {
  const out: { addr: number; name: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-fA-F]{1,16})\s+([tTwW])\s+(\S+)/.exec(line);
    if (m === null) continue;
    const addr = parseInt(m[1], 16);
    if (!Number.isFinite(addr) || addr > 0xffffffff) continue;
    out.push({ addr, name: m[3] });
  }
  return new SymbolTable(out);
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHF_EXECINSTR = 4;
const STT_NOTYPE = 0;
const STT_FUNC = 2;

/**
 * Function symbols of an ELF32 little-endian file (System V ABI, "Symbol Table": Elf32_Sym is
 * name u32, value u32, size u32, info u8, other u8, shndx u16). Throws on anything else.
 */
export function parseElfSymbols(bytes: Uint8Array, name = 'file'): SymbolTable {
  if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw new Error(`${name}: not an ELF file`);
  if (bytes[4] !== 1 || bytes[5] !== 1) throw new Error(`${name}: not a 32-bit little-endian ELF file`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = v.getUint32(32, true);
  const shentsize = v.getUint16(46, true);
  const shnum = v.getUint16(48, true);
  if (shoff === 0 || shnum === 0 || shentsize < 40 || shoff + shnum * shentsize > bytes.length) throw new Error(`${name}: no section headers`);
  const sec = (i: number) => {
    const o = shoff + i * shentsize;
    return { type: v.getUint32(o + 4, true), flags: v.getUint32(o + 8, true), addr: v.getUint32(o + 12, true), offset: v.getUint32(o + 16, true), size: v.getUint32(o + 20, true), link: v.getUint32(o + 24, true), entsize: v.getUint32(o + 36, true) };
  };
  let symtab = -1;
  for (let i = 0; i < shnum; i++) if (sec(i).type === SHT_SYMTAB) symtab = i;
  if (symtab < 0) for (let i = 0; i < shnum; i++) if (sec(i).type === SHT_DYNSYM) symtab = i;
  if (symtab < 0) throw new Error(`${name}: ELF file without a symbol table (stripped?)`);
  const st = sec(symtab);
  const strs = sec(st.link);
  const entsize = st.entsize || 16;
  if (st.offset + st.size > bytes.length || strs.offset + strs.size > bytes.length) throw new Error(`${name}: symbol table outside the file`);
  const decoder = new TextDecoder();
  const out: { addr: number; name: string; size: number }[] = [];
  for (let o = st.offset; o + 16 <= st.offset + st.size; o += entsize) {
    const nameOff = v.getUint32(o, true);
    const value = v.getUint32(o + 4, true);
    const size = v.getUint32(o + 8, true);
    const type = bytes[o + 12] & 0xf;
    const shndx = v.getUint16(o + 14, true);
    if (shndx === 0 || shndx >= 0xff00 || nameOff === 0) continue;
    if (type !== STT_FUNC) {
      // Untyped labels count when they are inside an executable section; markers at its very end
      // (the linker's _etext, __bss_start, _end...) name no code.
      if (type !== STT_NOTYPE || shndx >= shnum) continue;
      const owner = sec(shndx);
      if ((owner.flags & SHF_EXECINSTR) === 0 || value >= owner.addr + owner.size) continue;
    }
    let end = strs.offset + nameOff;
    while (end < strs.offset + strs.size && bytes[end] !== 0) end++;
    const sym = decoder.decode(bytes.subarray(strs.offset + nameOff, end));
    if (sym === '' || sym.startsWith('$')) continue;
    out.push({ addr: value, name: sym, size });
  }
  return new SymbolTable(out);
}

/** A System.map or an ELF32 file, told apart by the ELF magic. */
export function loadSymbolFile(path: string): SymbolTable {
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) return parseElfSymbols(bytes, path);
  const table = parseSystemMap(new TextDecoder().decode(bytes));
  if (table.size === 0) throw new Error(`${path}: neither an ELF file nor a System.map with text symbols`);
  return table;
}
