/**
 * The "newc" cpio format the Linux initramfs unpacker reads (Documentation/driver-api/
 * early-userspace/buffer-format.rst): per entry a 110-byte ASCII header "070701" + 13 fields of 8
 * hex digits (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
 * rdevminor, namesize including the NUL, check), the name, NUL, padding to 4 bytes, the data,
 * padding to 4 bytes; the archive ends with an entry named "TRAILER!!!".
 *
 * writeCpio builds an archive from entries (files, directories, symlinks, device nodes, FIFOs);
 * readCpio parses one back and rejects anything malformed with a LoaderError, which is how a
 * corrupt initramfs is caught before the guest sees it (checkInitramfs also looks through gzip).
 */
import { gunzipSync } from 'node:zlib';
import { LoaderError } from './errors.js';

/** File type bits of st_mode (POSIX <sys/stat.h>). */
export const S_IF = { FIFO: 0o010000, CHR: 0o020000, DIR: 0o040000, BLK: 0o060000, REG: 0o100000, LNK: 0o120000, SOCK: 0o140000, MASK: 0o170000 } as const;

export type CpioType = 'file' | 'dir' | 'symlink' | 'char' | 'block' | 'fifo';

export interface CpioEntry {
  /** Path inside the archive, without a leading "/" ("bin/busybox"). */
  name: string;
  type: CpioType;
  /** Permission bits (default 0755 for dirs, 0644 for files, 0777 for symlinks, 0600 for nodes). */
  perm?: number;
  /** File contents (type 'file'). */
  data?: Uint8Array;
  /** Link target (type 'symlink'). */
  target?: string;
  /** Device numbers (types 'char' and 'block'). */
  major?: number;
  minor?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; 0 by default so that archives are reproducible. */
  mtime?: number;
}

const MAGIC = '070701';
const MAGIC_CRC = '070702';
const HEADER_SIZE = 110;
export const TRAILER = 'TRAILER!!!';

const TYPE_BITS: Record<CpioType, number> = { file: S_IF.REG, dir: S_IF.DIR, symlink: S_IF.LNK, char: S_IF.CHR, block: S_IF.BLK, fifo: S_IF.FIFO };
const DEFAULT_PERM: Record<CpioType, number> = { file: 0o644, dir: 0o755, symlink: 0o777, char: 0o600, block: 0o600, fifo: 0o644 };

function pad4(n: number): number {
  return (4 - (n & 3)) & 3;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export function writeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const push = (b: Uint8Array) => {
    chunks.push(b);
    total += b.length;
  };
  const emit = (name: string, mode: number, nlink: number, body: Uint8Array, e: Partial<CpioEntry>, ino: number) => {
    const nameBytes = enc.encode(name);
    const fields = [ino, mode, e.uid ?? 0, e.gid ?? 0, nlink, e.mtime ?? 0, body.length, 0, 0, e.major ?? 0, e.minor ?? 0, nameBytes.length + 1, 0];
    push(enc.encode(MAGIC + fields.map(hex8).join('')));
    const nameField = new Uint8Array(nameBytes.length + 1 + pad4(HEADER_SIZE + nameBytes.length + 1));
    nameField.set(nameBytes);
    push(nameField);
    push(body);
    push(new Uint8Array(pad4(body.length)));
  };
  let ino = 1;
  for (const e of entries) {
    const name = e.name.replace(/^\/+/, '');
    if (name === '' || name === TRAILER) throw new LoaderError(`cpio: invalid entry name "${e.name}"`);
    const perm = (e.perm ?? DEFAULT_PERM[e.type]) & 0o7777;
    let body: Uint8Array = new Uint8Array(0);
    if (e.type === 'file') body = e.data ?? body;
    else if (e.type === 'symlink') {
      if (!e.target) throw new LoaderError(`cpio: symlink ${name} has no target`);
      body = enc.encode(e.target);
    }
    emit(name, TYPE_BITS[e.type] | perm, e.type === 'dir' ? 2 : 1, body, e, ino++);
  }
  emit(TRAILER, 0, 1, new Uint8Array(0), {}, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function typeOfMode(mode: number): CpioType | undefined {
  switch (mode & S_IF.MASK) {
    case S_IF.REG: return 'file';
    case S_IF.DIR: return 'dir';
    case S_IF.LNK: return 'symlink';
    case S_IF.CHR: return 'char';
    case S_IF.BLK: return 'block';
    case S_IF.FIFO: return 'fifo';
    default: return undefined;
  }
}

export interface CpioReadResult {
  entries: CpioEntry[];
  /** Offset just past the trailer entry (and its padding). */
  end: number;
}

/**
 * Parse one newc archive starting at `start`; every malformed header, name or size is a
 * LoaderError naming `what` and the offset.
 */
export function readCpio(data: Uint8Array, what: string, start = 0): CpioReadResult {
  const dec = new TextDecoder('latin1');
  const entries: CpioEntry[] = [];
  let off = start;
  const bad = (why: string) => new LoaderError(`${what}: corrupt cpio archive at byte ${off} (${why})`);
  for (;;) {
    if (off + HEADER_SIZE > data.length) throw bad(entries.length === 0 ? 'too short for a header' : 'archive ends without a TRAILER!!! entry');
    const magic = dec.decode(data.subarray(off, off + 6));
    if (magic !== MAGIC && magic !== MAGIC_CRC) throw bad(`bad magic "${magic.replace(/[^\x20-\x7e]/g, '?')}", expected 070701`);
    const f: number[] = [];
    for (let i = 0; i < 13; i++) {
      const s = dec.decode(data.subarray(off + 6 + i * 8, off + 14 + i * 8));
      if (!/^[0-9a-fA-F]{8}$/.test(s)) throw bad(`header field ${i} "${s.replace(/[^\x20-\x7e]/g, '?')}" is not hexadecimal`);
      f.push(parseInt(s, 16));
    }
    const [, mode, uid, gid, , mtime, filesize, , , rmaj, rmin, namesize] = f;
    if (namesize < 1 || namesize > 4096) throw bad(`name size ${namesize}`);
    const nameStart = off + HEADER_SIZE;
    const dataStart = nameStart + namesize + pad4(HEADER_SIZE + namesize);
    if (nameStart + namesize > data.length) throw bad('name runs past the end');
    if (data[nameStart + namesize - 1] !== 0) throw bad('name is not NUL-terminated');
    const name = dec.decode(data.subarray(nameStart, nameStart + namesize - 1));
    if (dataStart + filesize > data.length) throw bad(`${name}: ${filesize} bytes of data run past the end (${data.length})`);
    const body = data.subarray(dataStart, dataStart + filesize);
    const next = dataStart + filesize + pad4(filesize);
    if (name === TRAILER) return { entries, end: Math.min(next, data.length) };
    const type = typeOfMode(mode);
    if (!type) throw bad(`${name}: unknown file type in mode ${mode.toString(8)}`);
    const e: CpioEntry = { name, type, perm: mode & 0o7777, uid, gid, mtime };
    if (type === 'file') e.data = body;
    else if (type === 'symlink') e.target = dec.decode(body);
    else if (type === 'char' || type === 'block') {
      e.major = rmaj;
      e.minor = rmin;
    }
    entries.push(e);
    off = next;
  }
}

const GZIP = [0x1f, 0x8b];
/** Compressions the kernel can unpack that node:zlib cannot check: accepted as they are. */
const OTHER_COMPRESSED: { name: string; magic: number[] }[] = [
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'lz4', magic: [0x02, 0x21, 0x4c, 0x18] },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68] },
  { name: 'lzma', magic: [0x5d, 0x00, 0x00] },
  { name: 'lzo', magic: [0x89, 0x4c, 0x5a, 0x4f] },
];

function startsWith(d: Uint8Array, off: number, magic: number[]): boolean {
  return magic.every((b, i) => d[off + i] === b);
}

/**
 * Validate an initramfs image the way the kernel reads it (init/initramfs.c): a sequence of newc
 * archives, each optionally gzip-compressed, separated by zero padding. Returns the entries found
 * (for gzip/uncompressed parts). Throws a LoaderError for a corrupt cpio or gzip stream or a file
 * that is no initramfs at all.
 */
export function checkInitramfs(data: Uint8Array, what: string): CpioEntry[] {
  const all: CpioEntry[] = [];
  let off = 0;
  let parts = 0;
  while (off < data.length) {
    if (data[off] === 0) {
      off++;
      continue;
    }
    if (startsWith(data, off, [0x30, 0x37, 0x30, 0x37, 0x30])) {
      const r = readCpio(data, what, off);
      all.push(...r.entries);
      off = r.end;
    } else if (startsWith(data, off, GZIP)) {
      let raw: Uint8Array;
      try {
        raw = gunzipSync(data.subarray(off));
      } catch (e) {
        throw new LoaderError(`${what}: corrupt gzip data at byte ${off} (${(e as Error).message})`);
      }
      all.push(...checkInitramfs(raw, `${what} (gunzipped)`));
      return all; // gunzipSync consumed every concatenated member up to the end.
    } else {
      const other = OTHER_COMPRESSED.find((c) => startsWith(data, off, c.magic));
      if (other) return all; // cannot check without a decompressor; the kernel will.
      if (parts === 0) throw new LoaderError(`${what}: not an initramfs (neither a newc cpio archive nor compressed data)`);
      throw new LoaderError(`${what}: corrupt initramfs: unexpected data at byte ${off} after the archive`);
    }
    parts++;
  }
  if (parts === 0) throw new LoaderError(`${what}: empty initramfs`);
  return all;
}
