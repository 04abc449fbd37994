/**
 * Fetches Debian bookworm i386 packages with the host's own apt (no root, no system change) and
 * unpacks them into a cache folder (DESIGN.md "The reference guest, as fetched on this machine").
 *
 * apt runs with its own list folder and APT::Architecture=i386, so an amd64 host needs no
 * `dpkg --add-architecture`. Everything lands under `cacheDir()` (default ~/.cache/x86jit,
 * overridable with X86JIT_CACHE); nothing is fetched when the unpacked package is already there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  const dir = process.env.X86JIT_CACHE || join(homedir(), '.cache', 'x86jit');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function aptOptions(dir: string): string[] {
  return [
    '-o', 'APT::Architecture=i386',
    '-o', 'APT::Architectures=i386',
    '-o', `Dir::State::Lists=${join(dir, 'apt-lists')}`,
    '-o', `Dir::Cache=${join(dir, 'apt-cache')}`,
    '-o', 'Debug::NoLocking=1',
  ];
}

function run(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    // apt-get update exits non-zero when one mirror list is mid-sync; the lists it did get are usable.
    if (cmd === 'apt-get' && args.includes('update')) return err.stdout ?? '';
    throw new Error(`${cmd} ${args.filter((a) => !a.startsWith('-o') && !a.includes('=')).join(' ')} failed: ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' / ')}`);
  }
}

let listsFresh = false;

/** Make sure the i386 package lists exist in our private list folder. */
function ensureLists(dir: string): void {
  if (listsFresh) return;
  mkdirSync(join(dir, 'apt-lists', 'partial'), { recursive: true });
  mkdirSync(join(dir, 'apt-cache', 'archives', 'partial'), { recursive: true });
  const haveLists = readdirSync(join(dir, 'apt-lists')).some((f) => f.endsWith('Packages') || f.includes('Packages.'));
  if (!haveLists) run('apt-get', [...aptOptions(dir), 'update']);
  listsFresh = true;
}

/** Resolve a virtual/meta package to the first concrete package it depends on matching `re`. */
export function resolveDependency(pkg: string, re: RegExp): string {
  const dir = cacheDir();
  ensureLists(dir);
  const out = run('apt-cache', [...aptOptions(dir), 'depends', pkg]);
  for (const line of out.split('\n')) {
    const m = /Depends:\s*(\S+)/.exec(line);
    if (m && re.test(m[1])) return m[1];
  }
  throw new Error(`apt-cache depends ${pkg}: no dependency matching ${re}`);
}

/**
 * Download (apt-get download) and unpack (dpkg-deb -x) an i386 package; returns the folder it was
 * unpacked into. Cached: a second call does nothing.
 */
export function ensureDebianPackage(pkg: string): string {
  const dir = cacheDir();
  const dest = join(dir, 'pkg', pkg);
  if (existsSync(join(dest, '.complete'))) return dest;
  ensureLists(dir);
  const dl = join(dir, 'downloads');
  mkdirSync(dl, { recursive: true });
  let deb = readdirSync(dl).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) {
    run('apt-get', [...aptOptions(dir), 'download', pkg], dl);
    deb = readdirSync(dl).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  run('dpkg-deb', ['-x', join(dl, deb), tmp]);
  writeFileSync(join(tmp, '.version'), debVersion(join(dl, deb)) + '\n');
  execFileSync('touch', [join(tmp, '.complete')]);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(join(dir, 'pkg'), { recursive: true });
  renameSync(tmp, dest);
  return dest;
}

/** The Version field of a .deb's control file, e.g. `6.1.192-3` or `1:1.35.0-4+deb12u1+b1`. */
function debVersion(deb: string): string {
  return run('dpkg-deb', ['-f', deb, 'Version']).trim();
}

/**
 * The exact Debian version of a package ensureDebianPackage unpacked (recorded next to its files
 * as `.version`), or null if it is not unpacked. A cache unpacked before versions were recorded
 * gets it from the downloaded .deb; null if that .deb is gone too.
 */
export function debianPackageVersion(pkg: string): string | null {
  const dir = cacheDir();
  const dest = join(dir, 'pkg', pkg);
  if (!existsSync(join(dest, '.complete'))) return null;
  const recorded = join(dest, '.version');
  if (existsSync(recorded)) return readFileSync(recorded, 'utf8').trim() || null;
  const dl = join(dir, 'downloads');
  const deb = existsSync(dl) ? readdirSync(dl).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb')) : undefined;
  if (!deb) return null;
  const version = debVersion(join(dl, deb));
  // Atomically: parallel test files may read it while it is written.
  writeFileSync(`${recorded}.tmp-${process.pid}`, version + '\n');
  renameSync(`${recorded}.tmp-${process.pid}`, recorded);
  return version;
}

/** Path of Debian's static i386 busybox binary (package busybox-static). */
export function busyboxStaticPath(): string {
  return join(ensureDebianPackage('busybox-static'), 'bin', 'busybox');
}
