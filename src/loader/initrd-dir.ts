/**
 * `--initrd-dir D`: an initramfs built on the fly from a host directory (newc cpio, uncompressed:
 * the kernel accepts it as is, and building it stays fast). Entries are root-owned with mtime 0 and
 * in sorted order, so the same tree always gives the same bytes (deterministic boots).
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { writeCpio, type CpioEntry } from './cpio.js';
import { LoaderError } from './errors.js';
import { describeFsError } from './files.js';

/** Linux dev_t split (glibc sysmacros: major/minor each spread over two bit ranges). */
function devMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
function devMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & ~0xff & 0xfffff);
}

function entryFor(path: string, rel: string, st: Stats): CpioEntry | undefined {
  const perm = st.mode & 0o7777;
  if (st.isDirectory()) return { name: rel, type: 'dir', perm };
  if (st.isSymbolicLink()) return { name: rel, type: 'symlink', target: readlinkSync(path), perm: 0o777 };
  if (st.isFile()) {
    const b = readFileSync(path);
    return { name: rel, type: 'file', perm, data: new Uint8Array(b.buffer, b.byteOffset, b.byteLength) };
  }
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    return { name: rel, type: st.isCharacterDevice() ? 'char' : 'block', perm, major: devMajor(st.rdev), minor: devMinor(st.rdev) };
  }
  if (st.isFIFO()) return { name: rel, type: 'fifo', perm };
  return undefined; // sockets cannot live in a cpio archive
}

/** Collect a directory tree as cpio entries (parents before children, names sorted). */
export function entriesFromDirectory(dir: string): CpioEntry[] {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (e) {
    const missing = (e as { code?: string }).code === 'ENOENT';
    throw new LoaderError(`${dir}: ${missing ? 'no such initrd directory' : describeFsError(e, 'initrd directory')}`);
  }
  if (!st.isDirectory()) throw new LoaderError(`${dir}: not a directory (--initrd-dir needs the root of the initramfs tree)`);
  const out: CpioEntry[] = [];
  const walk = (abs: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch (e) {
      throw new LoaderError(`${abs}: ${describeFsError(e, 'directory')}`);
    }
    for (const n of names) {
      const p = join(abs, n);
      const r = rel ? `${rel}/${n}` : n;
      let e: CpioEntry | undefined;
      let s: Stats;
      try {
        s = lstatSync(p);
        e = entryFor(p, r, s);
      } catch (err) {
        throw new LoaderError(`${p}: ${describeFsError(err, 'initramfs')}`);
      }
      if (!e) continue;
      out.push(e);
      if (s.isDirectory()) walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Build the initramfs for `--initrd-dir`. Without an /init the kernel would fall back to mounting a
 * root device and panic, so that is refused unless the command line names another init (rdinit=).
 */
export function initramfsFromDirectory(dir: string, cmdline = ''): Uint8Array {
  const entries = entriesFromDirectory(dir);
  const rdinit = /(?:^|\s)rdinit=(\S+)/.exec(cmdline)?.[1]?.replace(/^\/+/, '') ?? 'init';
  if (!entries.some((e) => e.name === rdinit)) throw new LoaderError(`${dir}: no /${rdinit} in the initramfs directory (the kernel runs it as the first process)`);
  return writeCpio(entries);
}
