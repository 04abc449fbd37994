/**
 * Reading the user's input files with one-line errors ("initrd.img: no such file") instead of
 * Node's stack traces, and copying host bytes into guest-physical memory page by page.
 */
import { readFileSync, statSync } from 'node:fs';
import type { PhysMemory } from '../mem/phys.js';
import { PAGE_SIZE } from '../mem/phys.js';
import { LoaderError, formatSize, hex } from './errors.js';

/** Read a whole input file; `what` names it in messages ("kernel", "initrd"). */
export function readInputFile(path: string, what: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new LoaderError(`${path}: ${describeFsError(e, what)}`);
  }
  if (st.isDirectory()) throw new LoaderError(`${path}: is a directory, not a ${what} file`);
  if (st.size > 0x7fffffff) throw new LoaderError(`${path}: ${formatSize(st.size)} is too large for a ${what}`);
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new LoaderError(`${path}: ${describeFsError(e, what)}`);
  }
}

export function describeFsError(e: unknown, what: string): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT': return `no such ${what} file`;
    case 'EACCES':
    case 'EPERM': return `permission denied reading the ${what}`;
    case 'EISDIR': return `is a directory, not a ${what} file`;
    case 'ENOTDIR': return `a component of the path is not a directory`;
    default: return `cannot read the ${what} (${code ?? (e as Error).message})`;
  }
}

/**
 * Copy `data` to guest-physical `addr` through the nested page table. Every byte must land in RAM:
 * loading into a hole, MMIO or the reserved region is a loader bug or a map too small, reported as
 * a LoaderError naming `what`.
 */
export function copyToGuest(phys: PhysMemory, addr: number, data: Uint8Array, what: string): void {
  let done = 0;
  while (done < data.length) {
    const a = addr + done;
    const host = phys.hostOffset(a);
    if (host < 0) throw new LoaderError(`${what} does not fit in guest RAM (${hex(a)} is not RAM)`);
    const n = Math.min(PAGE_SIZE - (a & (PAGE_SIZE - 1)), data.length - done);
    phys.u8.set(data.subarray(done, done + n), host);
    done += n;
  }
}

/** Zero guest-physical [addr, addr+len) (BSS). */
export function zeroGuest(phys: PhysMemory, addr: number, len: number, what: string): void {
  let done = 0;
  while (done < len) {
    const a = addr + done;
    const host = phys.hostOffset(a);
    if (host < 0) throw new LoaderError(`${what} does not fit in guest RAM (${hex(a)} is not RAM)`);
    const n = Math.min(PAGE_SIZE - (a & (PAGE_SIZE - 1)), len - done);
    phys.u8.fill(0, host, host + n);
    done += n;
  }
}
