/**
 * The reference guest (issue 5, DESIGN.md "The reference guest, as fetched on this machine"):
 * Debian bookworm's i386 kernel (linux-image-6.1.*-686-unsigned) and an initramfs of its own
 * making (busybox-static + init-script.ts), prepared into the cache folder on first use.
 *
 *   const g = prepareReferenceGuest();   // { kernel, initrd, systemMap, vmlinux, cmdline, ... }
 *   // boot g.kernel with g.initrd and g.cmdline (optionally vmlinux: skip the decompressor)
 *
 * Cache (cacheDir()/reference): vmlinuz-<release>, vmlinux-<release> (the kernel unpacked on the
 * host), System.map-<release> (see kallsyms.ts: Debian ships only a placeholder System.map outside
 * the 760 MB -dbg package, so the map is rebuilt from the kernel's own kallsyms table),
 * initrd-<recipe hash>.gz and reference.json naming them and the exact Debian package versions they
 * came from. A second call reads reference.json and touches neither apt nor the network.
 *
 * Debian replaces the kernel package (linux-image-6.1.0-N-686) every few weeks, so "the reference
 * guest" is a different build on a machine prepared on another day: anything that reports figures
 * measured on it names it with referenceGuestLabel().
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeCpio, type CpioEntry } from '../loader/cpio.js';
import { busyboxStaticPath, cacheDir, debianPackageVersion, ensureDebianPackage, resolveDependency } from './debian.js';
import { INIT_SCRIPT } from './init-script.js';
import { decompressKernel } from '../loader/decompress.js';
import { systemMapFromVmlinux } from './kallsyms.js';

/**
 * Default kernel command line: serial console on COM1, quiet log (errors and warnings only), and
 * nokaslr: the Debian kernel has CONFIG_RANDOMIZE_BASE, and its decompressor would otherwise move
 * the kernel to a random physical (= virtual - PAGE_OFFSET) address, so System.map addresses and
 * profiles would be off by a per-boot offset.
 */
// cryptomgr.notests: the kernel's crypto self-tests are ~3e9 guest instructions of a ~4e9 boot;
// they test the kernel's own code, not the machine, so the reference guest skips them.
export const DEFAULT_CMDLINE = 'console=ttyS0 quiet nokaslr cryptomgr.notests';

/** Bump when the initramfs layout changes so cached images are rebuilt. */
const RECIPE_VERSION = 1;

export interface ReferenceGuest {
  /** Path of the bzImage. */
  kernel: string;
  /** Path of the gzip-compressed newc initramfs. */
  initrd: string;
  /** Path of a System.map ("c1000000 T _text" lines), or null if it could not be made. */
  systemMap: string | null;
  /**
   * The kernel decompressed on the host (an ELF), or null if it could not be unpacked. Passing it
   * to planLinux as `vmlinux` skips the guest-side decompressor (about 2.2 billion guest
   * instructions for this xz kernel); the boot is otherwise the same.
   */
  vmlinux: string | null;
  /** Default command line (DEFAULT_CMDLINE). */
  cmdline: string;
  /** Debian package the kernel came from, e.g. linux-image-6.1.0-50-686-unsigned. */
  kernelPackage: string;
  /** Kernel release, e.g. 6.1.0-50-686. */
  release: string;
  /** Exact Debian version of kernelPackage, e.g. 6.1.192-3 (null if it could not be read). */
  kernelPackageVersion: string | null;
  /** Exact Debian version of busybox-static in the initramfs, e.g. 1:1.35.0-4+deb12u1+b1. */
  busyboxVersion: string | null;
}

/**
 * One line naming the exact guest, for reports and benchmark output: "linux-image-6.1.0-57-686-unsigned
 * 6.1.192-3, busybox-static 1:1.35.0-4+deb12u1+b1". Figures measured on different lines are not
 * figures of the same guest. Without `g`, the reference guest of this machine (prepared if need be).
 */
export function referenceGuestLabel(g: ReferenceGuest = prepareReferenceGuest()): string {
  return `${g.kernelPackage} ${g.kernelPackageVersion ?? '(version unknown)'}, busybox-static ${g.busyboxVersion ?? '(version unknown)'}`;
}

export interface PrepareOptions {
  /** Progress lines ("fetching linux-image-..."); silent by default. */
  log?: (line: string) => void;
  /** Ignore the cached manifest and resolve/build again. */
  refresh?: boolean;
}

function referenceDir(): string {
  const d = join(cacheDir(), 'reference');
  mkdirSync(d, { recursive: true });
  return d;
}

function writeAtomically(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** The initramfs contents: busybox, /bin/sh, device nodes the kernel needs before devtmpfs, /init. */
export function referenceInitramfsEntries(busybox: Uint8Array): CpioEntry[] {
  const enc = new TextEncoder();
  return [
    { name: 'bin', type: 'dir' },
    { name: 'bin/busybox', type: 'file', perm: 0o755, data: busybox },
    { name: 'bin/sh', type: 'symlink', target: 'busybox' },
    { name: 'dev', type: 'dir' },
    // The kernel opens /dev/console for init's stdio before /init runs (init/main.c
    // console_on_rootfs), so it must exist in the archive itself.
    { name: 'dev/console', type: 'char', major: 5, minor: 1, perm: 0o600 },
    { name: 'dev/ttyS0', type: 'char', major: 4, minor: 64, perm: 0o660 },
    { name: 'dev/tty', type: 'char', major: 5, minor: 0, perm: 0o666 },
    { name: 'dev/null', type: 'char', major: 1, minor: 3, perm: 0o666 },
    { name: 'init', type: 'file', perm: 0o755, data: enc.encode(INIT_SCRIPT) },
    { name: 'proc', type: 'dir' },
    { name: 'root', type: 'dir', perm: 0o700 },
    { name: 'sys', type: 'dir' },
    { name: 'tmp', type: 'dir', perm: 0o1777 },
  ];
}

/** Build the gzip'd initramfs bytes (reproducible: fixed order, mtime 0, fixed gzip level). */
export function buildReferenceInitramfs(busybox: Uint8Array): Uint8Array {
  return gzipSync(writeCpio(referenceInitramfsEntries(busybox)), { level: 9 });
}

/** Identifies the initramfs recipe (layout + /init), so a changed recipe rebuilds the image. */
function recipeHash(): string {
  const layout = JSON.stringify(referenceInitramfsEntries(new Uint8Array(0)), (k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
  return createHash('sha256').update(`${RECIPE_VERSION}\n${layout}`).digest('hex').slice(0, 12);
}

function readManifest(dir: string): ReferenceGuest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as ReferenceGuest;
    if (!existsSync(m.kernel) || !existsSync(m.initrd)) return null;
    if (!m.initrd.endsWith(`initrd-${recipeHash()}.gz`)) return null;
    if (m.systemMap !== null && !existsSync(m.systemMap)) return null;
    if (m.vmlinux === undefined || (m.vmlinux !== null && !existsSync(m.vmlinux))) return null;
    if (m.kernelPackageVersion === undefined || m.busyboxVersion === undefined) {
      // A manifest written before versions were recorded: read them off the packages it was made
      // from (no apt, no network) rather than resolve the kernel again, which may name a newer one.
      m.kernelPackageVersion = debianPackageVersion(m.kernelPackage);
      m.busyboxVersion = debianPackageVersion('busybox-static');
      writeAtomically(join(dir, 'reference.json'), JSON.stringify(m, null, 2) + '\n');
    }
    // The command line is not a cached artifact: always today's default.
    return { ...m, cmdline: DEFAULT_CMDLINE };
  } catch {
    return null;
  }
}

/**
 * Fetch (once) and return the reference guest. `options` may be just the progress logger. Throws
 * an Error with one clear line when apt or the network is unavailable on first use.
 */
export function prepareReferenceGuest(options: PrepareOptions | ((line: string) => void) = {}): ReferenceGuest {
  const opts: PrepareOptions = typeof options === 'function' ? { log: options } : options;
  const log = opts.log ?? (() => {});
  const dir = referenceDir();
  if (!opts.refresh) {
    const cached = readManifest(dir);
    if (cached) return cached;
  }
  // Several processes (parallel test files, two terminals) may prepare at once: one does the work
  // under a lock folder, the others wait and then read its manifest.
  const lock = join(dir, '.lock');
  for (const t0 = Date.now(); ; ) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw new Error(`cannot create ${lock}: ${(e as Error).message}`);
      const age = Date.now() - (statIfAny(lock)?.mtimeMs ?? 0);
      if (age > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - t0 > LOCK_STALE_MS) throw new Error(`${lock} is held by another x86jit preparing the reference guest; remove it if no such process runs`);
      else sleepSync(250);
      if (!opts.refresh) {
        const cached = readManifest(dir);
        if (cached) return cached;
      }
    }
  }
  try {
    return prepareLocked(dir, log);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const LOCK_STALE_MS = 15 * 60 * 1000;

function statIfAny(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function prepareLocked(dir: string, log: (line: string) => void): ReferenceGuest {
  log('resolving the Debian bookworm i386 kernel package (linux-image-686)');
  const meta = resolveDependency('linux-image-686', /^linux-image-6\.1.*-686$/);
  const kernelPackage = `${meta}-unsigned`;
  const release = meta.replace(/^linux-image-/, '');
  log(`fetching ${kernelPackage}`);
  const kdir = ensureDebianPackage(kernelPackage);
  const bootDir = join(kdir, 'boot');
  const vmlinuzName = existsSync(bootDir) ? readdirSync(bootDir).find((f) => f.startsWith('vmlinuz-')) : undefined;
  if (!vmlinuzName) throw new Error(`${kernelPackage} has no boot/vmlinuz-*: cannot prepare the reference guest`);
  const kernel = join(dir, `vmlinuz-${release}`);
  if (!existsSync(kernel)) copyFileSync(join(bootDir, vmlinuzName), kernel);

  // The kernel unpacked on the host: for fast boots, and for the symbols (Debian's System.map is
  // a placeholder unless the 760 MB -dbg package is installed; kallsyms.ts).
  const vmlinuxPath = join(dir, `vmlinux-${release}`);
  let vmlinux: Uint8Array | null = null;
  let vmlinuxResult: string | null = vmlinuxPath;
  if (!existsSync(vmlinuxPath)) {
    log('unpacking the kernel on the host (vmlinux)');
    try {
      vmlinux = decompressKernel(new Uint8Array(readFileSync(kernel)), kernel);
      writeAtomically(vmlinuxPath, vmlinux);
    } catch (e) {
      log(`no vmlinux: ${(e as Error).message}`);
      vmlinuxResult = null;
    }
  }
  const systemMap = join(dir, `System.map-${release}`);
  let systemMapPath: string | null = systemMap;
  if (!existsSync(systemMap)) {
    const shipped = join(bootDir, `System.map-${release}`);
    const shippedText = existsSync(shipped) ? readFileSync(shipped, 'utf8') : '';
    if (shippedText.length > 4096) writeAtomically(systemMap, shippedText);
    else if (vmlinuxResult === null) systemMapPath = null;
    else {
      log('rebuilding System.map from the kernel symbol table (kallsyms)');
      try {
        writeAtomically(systemMap, systemMapFromVmlinux(vmlinux ?? new Uint8Array(readFileSync(vmlinuxPath))));
      } catch (e) {
        log(`no System.map: ${(e as Error).message}`);
        systemMapPath = null;
      }
    }
  }

  log('fetching busybox-static');
  const bb = busyboxStaticPath();
  const initrd = join(dir, `initrd-${recipeHash()}.gz`);
  if (!existsSync(initrd)) {
    log('building the initramfs');
    const b = readFileSync(bb);
    writeAtomically(initrd, buildReferenceInitramfs(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  }
  // Images of older recipes are never used again.
  for (const f of readdirSync(dir)) if (/^initrd-[0-9a-f]+\.gz$/.test(f) && join(dir, f) !== initrd) rmSync(join(dir, f), { force: true });

  const guest: ReferenceGuest = {
    kernel, initrd, systemMap: systemMapPath, vmlinux: vmlinuxResult, cmdline: DEFAULT_CMDLINE, kernelPackage, release,
    kernelPackageVersion: debianPackageVersion(kernelPackage),
    busyboxVersion: debianPackageVersion('busybox-static'),
  };
  writeAtomically(join(dir, 'reference.json'), JSON.stringify(guest, null, 2) + '\n');
  return guest;
}
