/**
 * The reference guest as prepared into the cache (downloads Debian packages on first run; later
 * runs read the cache). Checks what the loader will see: a bzImage with a modern boot protocol, an
 * initramfs our own reader accepts with /init and /bin/busybox, and a System.map whose symbols
 * really point at code.
 *
 * Debian publishes a new 6.1.0-N kernel build every few weeks and a fresh machine fetches whichever
 * is current, so nothing here may depend on one build's bytes or addresses: fixed figures (load
 * address, versions, __fentry__) are read off the kernel and packages this machine was given.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBzImage } from '../../src/loader/bzimage.js';
import { checkInitramfs } from '../../src/loader/cpio.js';
import { buildE820 } from '../../src/loader/e820.js';
import { planLinux } from '../../src/loader/linux.js';
import { BANNER, BOOT_OK, INIT_SCRIPT } from '../../src/guest/init-script.js';
import { DEFAULT_CMDLINE, prepareReferenceGuest, referenceGuestLabel } from '../../src/guest/reference.js';
import { decompressKernel } from '../../src/guest/kallsyms.js';

const MiB = 1 << 20;

describe('reference guest', () => {
  const g = prepareReferenceGuest();

  it('has a Debian 6.1 686 kernel with boot protocol 2.15 or later', () => {
    expect(g.kernelPackage).toMatch(/^linux-image-6\.1\.0-\d+-686-unsigned$/);
    const img = parseBzImage(new Uint8Array(readFileSync(g.kernel)), g.kernel);
    expect(img.version).toBeGreaterThanOrEqual(0x020f);
    expect(img.relocatable).toBe(true);
    expect(img.kernelVersion.startsWith(g.release)).toBe(true);
    expect(img.cmdlineSize).toBeGreaterThanOrEqual(DEFAULT_CMDLINE.length);
    expect(img.kernel.length).toBeGreaterThan(4 * MiB);
  });

  it('records the exact package versions it was made from', () => {
    // The kernel's own version string names the Debian package version it was built as
    // ("6.1.0-57-686 (debian-kernel@...) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)").
    expect(g.kernelPackageVersion).toMatch(/^6\.1\.\d+-\S+$/);
    const img = parseBzImage(new Uint8Array(readFileSync(g.kernel)), g.kernel);
    expect(img.kernelVersion).toContain(`Debian ${g.kernelPackageVersion} `);
    // busybox-static [epoch:]upstream-revision; the binary in the initramfs says "BusyBox v<upstream>".
    const upstream = /^(?:\d+:)?([^-]+)-/.exec(g.busyboxVersion ?? '')?.[1];
    expect(upstream).toBeDefined();
    const bb = checkInitramfs(new Uint8Array(readFileSync(g.initrd)), g.initrd).find((e) => e.name === 'bin/busybox')!;
    expect(Buffer.from(bb.data!).includes(`BusyBox v${upstream}\0`)).toBe(true);
    expect(referenceGuestLabel(g)).toBe(`${g.kernelPackage} ${g.kernelPackageVersion}, busybox-static ${g.busyboxVersion}`);
  });

  it('has an initramfs with /init, busybox and the console nodes', () => {
    const entries = checkInitramfs(new Uint8Array(readFileSync(g.initrd)), g.initrd);
    const byName = new Map(entries.map((e) => [e.name, e]));
    const init = byName.get('init')!;
    expect(init.type).toBe('file');
    expect(init.perm! & 0o111).not.toBe(0);
    expect(new TextDecoder().decode(init.data)).toBe(INIT_SCRIPT);
    const bb = byName.get('bin/busybox')!;
    expect(bb.type).toBe('file');
    expect([...bb.data!.subarray(0, 5)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 1]); // ELF, 32-bit
    expect(bb.data!.length).toBeGreaterThan(MiB);
    expect(byName.get('bin/sh')).toMatchObject({ type: 'symlink', target: 'busybox' });
    expect(byName.get('dev/console')).toMatchObject({ type: 'char', major: 5, minor: 1 });
    expect(byName.get('dev/ttyS0')).toMatchObject({ type: 'char', major: 4, minor: 64 });
  });

  it('/init mounts proc, sys and dev, prints the banner and BOOT-OK, then runs a shell on the console', () => {
    const lines = INIT_SCRIPT.split('\n');
    const idx = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(idx(/mount -t proc proc \/proc/)).toBeGreaterThan(0);
    expect(idx(/mount -t sysfs sysfs \/sys/)).toBeGreaterThan(0);
    expect(idx(/mount -t devtmpfs devtmpfs \/dev/)).toBeGreaterThan(0);
    expect(idx(new RegExp(`echo "${BANNER}"`))).toBeLessThan(idx(new RegExp(`echo ${BOOT_OK}`)));
    expect(idx(/setsid cttyhack sh/)).toBeGreaterThan(idx(new RegExp(`echo ${BOOT_OK}`)));
  });

  // The kernel as decompressed from the bzImage (independently of the cached vmlinux), its PT_LOAD
  // segments (ELF32 program headers) and the System.map.
  const vmlinux = decompressKernel(new Uint8Array(readFileSync(g.kernel)));
  const v = new DataView(vmlinux.buffer, vmlinux.byteOffset, vmlinux.byteLength);
  const phoff = v.getUint32(28, true);
  const segs = Array.from({ length: v.getUint16(44, true) }, (_, i) => phoff + 32 * i)
    .filter((p) => v.getUint32(p, true) === 1)
    .map((p) => ({ off: v.getUint32(p + 4, true), vaddr: v.getUint32(p + 8, true), paddr: v.getUint32(p + 12, true), filesz: v.getUint32(p + 16, true) }));
  /** The file offset of virtual address `a`, which must lie in a segment's file image. */
  const fileOffset = (a: number): number => {
    const s = segs.find((x) => a >= x.vaddr && a < x.vaddr + x.filesz);
    if (!s) throw new Error(`0x${a.toString(16)} is in no PT_LOAD segment of the kernel`);
    return s.off + a - s.vaddr;
  };
  const mapLines = () => readFileSync(g.systemMap!, 'utf8').trim().split('\n');
  const symbols = () => new Map(mapLines().map((l) => l.split(' ')).map(([a, , n]) => [n, parseInt(a, 16)]));

  it('has a System.map rebuilt from the kernel symbols', () => {
    expect(g.systemMap).not.toBeNull();
    const map = mapLines();
    expect(map.length).toBeGreaterThan(10_000);
    const sym = symbols();
    // _text is where the kernel's first segment is linked: LOAD_PHYSICAL_ADDR (the bzImage's
    // pref_address) plus PAGE_OFFSET, both read off this kernel.
    const img = parseBzImage(new Uint8Array(readFileSync(g.kernel)), g.kernel);
    expect(segs[0].paddr).toBe(img.prefAddress);
    expect(sym.get('_text')).toBe(segs[0].vaddr);
    expect(segs[0].vaddr - segs[0].paddr).toBe(0xc0000000); // CONFIG_VMSPLIT_3G: the i386 default
    expect(sym.get('start_kernel')).toBeGreaterThan(sym.get('_text')!);
    for (let i = 1; i < map.length; i++) expect(parseInt(map[i], 16)).toBeGreaterThanOrEqual(parseInt(map[i - 1], 16));
  });

  it('System.map symbols point at function entries in the decompressed kernel', () => {
    // Debian builds with ftrace (-mfentry): every traceable function starts with `call __fentry__`
    // (e8 rel32), whatever the compiler does after it. The call's target is computed from the
    // kernel's bytes and must be the address System.map gives __fentry__.
    const sym = symbols();
    const fentry = sym.get('__fentry__');
    expect(fentry).toBeDefined();
    const checked = ['start_kernel', 'schedule', 'do_idle', '_printk', 'kernel_init', 'do_sys_open', 'vfs_read', 'kmalloc_trace'];
    const targets: Record<string, string> = {};
    for (const name of checked) {
      const addr = sym.get(name);
      if (addr === undefined) throw new Error(`${name} is not in System.map`);
      const off = fileOffset(addr);
      expect(vmlinux[off], `${name}: first byte`).toBe(0xe8);
      targets[name] = ((addr + 5 + v.getInt32(off + 1, true)) >>> 0).toString(16);
    }
    expect(targets).toEqual(Object.fromEntries(checked.map((n) => [n, fentry!.toString(16)])));
  });

  it('fits the loader in 128 MiB with an 8 MiB reserved region', () => {
    const e820 = buildE820({ ramSize: 128 * MiB, reserved: [{ addr: 120 * MiB, size: 8 * MiB }] });
    const plan = planLinux({ kernel: new Uint8Array(readFileSync(g.kernel)), kernelName: 'vmlinuz', initrd: new Uint8Array(readFileSync(g.initrd)), cmdline: g.cmdline, e820 });
    expect(plan.initrd!.addr + plan.initrd!.size).toBeLessThanOrEqual(120 * MiB);
    expect(plan.initrd!.addr).toBeGreaterThanOrEqual(plan.footprint.end);
    // The same with the kernel unpacked on the host: its segments start at LOAD_PHYSICAL_ADDR.
    expect(g.vmlinux).not.toBeNull();
    const fast = planLinux({ kernel: new Uint8Array(readFileSync(g.kernel)), kernelName: 'vmlinuz', vmlinux: new Uint8Array(readFileSync(g.vmlinux!)), cmdline: g.cmdline, e820 });
    expect(fast.entry).toBe(parseBzImage(new Uint8Array(readFileSync(g.kernel)), g.kernel).prefAddress);
    expect(fast.segments!.length).toBeGreaterThanOrEqual(2);
  });

  it('fills in the versions of a manifest written before they were recorded, without apt', () => {
    // A cache as an older x86jit left it: reference.json without versions, packages unpacked with
    // no .version; only the downloaded .debs know. No apt lists: resolving again would fail.
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-cache-'));
    const real = dirname(dirname(g.kernel));
    mkdirSync(join(dir, 'reference'));
    mkdirSync(join(dir, 'downloads'));
    for (const pkg of [g.kernelPackage, 'busybox-static']) {
      mkdirSync(join(dir, 'pkg', pkg), { recursive: true });
      writeFileSync(join(dir, 'pkg', pkg, '.complete'), '');
      const deb = readdirSync(join(real, 'downloads')).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'))!;
      symlinkSync(join(real, 'downloads', deb), join(dir, 'downloads', deb));
    }
    const { kernelPackageVersion: _k, busyboxVersion: _b, ...old } = g;
    writeFileSync(join(dir, 'reference', 'reference.json'), JSON.stringify(old));
    const saved = process.env.X86JIT_CACHE;
    process.env.X86JIT_CACHE = dir;
    try {
      expect(prepareReferenceGuest()).toEqual(g);
      expect(JSON.parse(readFileSync(join(dir, 'reference', 'reference.json'), 'utf8'))).toMatchObject({ kernelPackageVersion: g.kernelPackageVersion, busyboxVersion: g.busyboxVersion });
      expect(readFileSync(join(dir, 'pkg', 'busybox-static', '.version'), 'utf8').trim()).toBe(g.busyboxVersion);
    } finally {
      if (saved === undefined) delete process.env.X86JIT_CACHE;
      else process.env.X86JIT_CACHE = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is cached: a second call returns the same files, and a refresh finds the same ones', () => {
    expect(prepareReferenceGuest()).toEqual(g);
    const lines: string[] = [];
    expect(prepareReferenceGuest({ refresh: true, log: (l) => lines.push(l) })).toEqual(g);
    expect(lines[0]).toMatch(/^resolving the Debian bookworm i386 kernel package/);
  });
});
