/**
 * Which file names the guest's code, and how it is read: `--symbols FILE`, else the kernel itself.
 *
 *   const s = loadGuestSymbols({ symbols: opts.symbols, kernel: opts.kernel });
 *   s.table.format(eip); s.lines;  // "symbols: 31012 from the kallsyms of vmlinuz-6.1.0-57-686"
 *
 * A symbol file may be
 * - a System.map ("c1000000 T _text" lines), except Debian's placeholder (one line saying "The real
 *   System.map is in the linux-image-<version>-dbg package"): it gets a line of its own, and the
 *   kernel's kallsyms are read instead when the kernel is known;
 * - an ELF file with a symbol table (a test binary, a vmlinux built with symbols);
 * - a kernel without one: a bzImage (its payload is unpacked on the host, loader/decompress.ts) or
 *   its vmlinux (stripped, as distributions ship it): the kallsyms table the kernel carries for
 *   /proc/kallsyms is read (guest/kallsyms.ts).
 * When the names come from a kernel image, that image is kept (`kernelImage`) to find where the
 * kernel runs in guest memory (kaslr.ts).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { kernelSymbols } from '../guest/kallsyms.js';
import { parseBzImage } from '../loader/bzimage.js';
import { decompressKernel } from '../loader/decompress.js';
import { readInputFile } from '../loader/files.js';
import { noSymbols, parseElfSymbols, parseSystemMap, SymbolTable } from './symbols.js';

export interface GuestSymbols {
  table: SymbolTable;
  /** Lines for the report: where the names come from, and anything the user should know. */
  lines: string[];
  /** The decompressed kernel (vmlinux ELF) the names belong to, or null (a System.map, a non-Linux
   *  ELF, no symbols). */
  kernelImage: Uint8Array | null;
}

export interface SymbolRequest {
  /** `--symbols FILE`. */
  symbols?: string;
  /** The kernel being run (`--kernel FILE`), when it is not the reference guest. */
  kernel?: string;
  /** That kernel already unpacked (the profile command unpacks it to boot it), to save the work. */
  kernelImage?: Uint8Array;
  /** A System.map to use when neither is given (the reference guest's). */
  fallbackMap?: string | null;
}

/** A bad symbol file: one line for the user (no stack trace). */
export class SymbolFileError extends Error {}

const isElf = (b: Uint8Array) => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
/** A Linux boot image: "HdrS" at 0x202 (Documentation/arch/x86/boot.rst). */
const isBzImage = (b: Uint8Array) => b.length > 0x206 && b[0x202] === 0x48 && b[0x203] === 0x64 && b[0x204] === 0x72 && b[0x205] === 0x53;

/** Debian's stand-in System.map; returns the package it points to, or null for any other text. */
export function placeholderPackage(text: string): string | null {
  const m = /The real System\.map is in the (\S+) package/.exec(text.slice(0, 4096));
  return m === null ? null : m[1];
}

function readFile(path: string, what: string): Uint8Array {
  try {
    return readInputFile(path, what);
  } catch (e) {
    throw new SymbolFileError((e as Error).message);
  }
}

/** Text symbols of a kernel's kallsyms table, as a System.map would list them. */
function kallsymsTable(vmlinux: Uint8Array, name: string): SymbolTable {
  let syms;
  try {
    syms = kernelSymbols(vmlinux);
  } catch (e) {
    throw new SymbolFileError(`${name}: ${(e as Error).message} (a kernel built without CONFIG_KALLSYMS? pass its System.map with --symbols)`);
  }
  return new SymbolTable(syms.filter((s) => /^[tTwW]$/.test(s.type)).map((s) => ({ addr: s.addr, name: s.name })));
}

/**
 * Where a bzImage's own decompressor runs when the guest runs it (`boot`, `--no-host-decompress`):
 * from its load address (code32_start) up to the end of the buffer it decompresses into, which it
 * moves itself to the top of (LOAD_PHYSICAL_ADDR + init_size; boot.rst). It has no symbols in the
 * bzImage; kernel code there (head_32.S before paging) is still named from the kernel's symbols.
 */
function decompressorRegion(bytes: Uint8Array, path: string): { lo: number; hi: number; name: string } {
  const img = parseBzImage(bytes, path);
  return { lo: Math.min(img.code32Start, img.prefAddress), hi: img.prefAddress + img.initSize, name: '[kernel decompressor]' };
}

/** Names from a kernel or ELF file's bytes: ELF symbol table if it has one, else kallsyms. */
function fromImage(bytes: Uint8Array, path: string, unpacked?: Uint8Array): GuestSymbols {
  const name = basename(path);
  if (isBzImage(bytes)) {
    let vmlinux = unpacked;
    if (vmlinux === undefined) {
      try {
        vmlinux = decompressKernel(bytes, path);
      } catch (e) {
        throw new SymbolFileError((e as Error).message);
      }
    }
    const table = kallsymsTable(vmlinux, path);
    table.regions.push(decompressorRegion(bytes, path));
    return { table, lines: [`symbols: ${table.size} from the kallsyms of ${name}`], kernelImage: vmlinux };
  }
  if (!isElf(bytes)) throw new SymbolFileError(`${path}: neither a System.map, an ELF file nor a Linux bzImage`);
  let elf: SymbolTable | null = null;
  try {
    elf = parseElfSymbols(bytes, path);
  } catch {
    // Stripped (a distribution's vmlinux): its kallsyms, below.
  }
  if (elf !== null && elf.size > 0) return { table: elf, lines: [`symbols: ${elf.size} from the ELF symbol table of ${name}`], kernelImage: bytes };
  const table = kallsymsTable(bytes, path);
  return { table, lines: [`symbols: ${table.size} from the kallsyms of ${name}`], kernelImage: bytes };
}

/**
 * The guest's symbols. A bad `--symbols` file throws SymbolFileError; a kernel whose own symbols
 * cannot be read gives an empty table and a line saying why (the profile is still worth having).
 */
export function loadGuestSymbols(r: SymbolRequest): GuestSymbols {
  if (r.symbols) {
    const bytes = readFile(r.symbols, 'symbol');
    if (isElf(bytes) || isBzImage(bytes)) return fromImage(bytes, r.symbols);
    const text = new TextDecoder().decode(bytes);
    const pkg = placeholderPackage(text);
    if (pkg !== null) {
      const why = `${r.symbols} is Debian's placeholder System.map (the real one is in the ${pkg} package)`;
      if (!r.kernel) throw new SymbolFileError(`${why}: pass the kernel itself (--symbols vmlinuz or vmlinux), whose kallsyms name its functions`);
      const own = ofKernel(r.kernel, r.kernelImage);
      return { ...own, lines: [`${why}: using the kernel's kallsyms instead`, ...own.lines] };
    }
    const table = parseSystemMap(text);
    if (table.size === 0) throw new SymbolFileError(`${r.symbols}: neither a System.map with text symbols, an ELF file nor a Linux bzImage`);
    return { table, lines: [`symbols: ${table.size} from ${basename(r.symbols)}`], kernelImage: null };
  }
  if (r.kernel) return ofKernel(r.kernel, r.kernelImage);
  if (r.fallbackMap) {
    try {
      const table = parseSystemMap(readFileSync(r.fallbackMap, 'utf8'));
      return { table, lines: [`symbols: ${table.size} from ${basename(r.fallbackMap)} (the reference guest's, rebuilt from its kallsyms)`], kernelImage: null };
    } catch (e) {
      return { table: noSymbols(), lines: [`no symbols: ${(e as Error).message}`], kernelImage: null };
    }
  }
  return { table: noSymbols(), lines: ['no symbols (pass --symbols): addresses are shown as hex'], kernelImage: null };
}

/** The running kernel's own names, or none with a line saying why. */
function ofKernel(kernel: string, unpacked: Uint8Array | undefined): GuestSymbols {
  try {
    return fromImage(readFile(kernel, 'kernel'), kernel, unpacked);
  } catch (e) {
    return { table: noSymbols(), lines: [`no symbols for ${basename(kernel)}: ${(e as Error).message}; pass --symbols`], kernelImage: null };
  }
}
