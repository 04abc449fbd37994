/**
 * Symbols for any kernel (issue 14 item 6): `--symbols` as a bzImage, a vmlinux, a System.map or
 * Debian's placeholder System.map, and the KASLR slide found in guest memory. On the reference
 * guest's files (prepared by prepareReferenceGuest, as the other reference tests do); no boot.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareReferenceGuest, type ReferenceGuest } from '../../src/guest/reference.js';
import { registerProfileCommand } from '../../src/cli/profile.js';
import { findKernelSlide, kernelTextSegment } from '../../src/profiler/kaslr.js';
import { parseBzImage } from '../../src/loader/bzimage.js';
import { functionName } from '../../src/profiler/profile-data.js';
import { loadGuestSymbols, SymbolFileError } from '../../src/profiler/symbol-source.js';
import { parseSystemMap, type SymbolTable } from '../../src/profiler/symbols.js';

let g: ReferenceGuest;
let map: SymbolTable;
let placeholder: string;
beforeAll(() => {
  g = prepareReferenceGuest();
  map = parseSystemMap(readFileSync(g.systemMap!, 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-syms-'));
  placeholder = join(dir, `System.map-${g.release}`);
  // What linux-image-*-686-unsigned installs as /boot/System.map-<release>.
  writeFileSync(placeholder, `ffffffffffffffff B The real System.map is in the linux-image-${g.release}-dbg package\n`);
});

/** The same names at the same addresses as the reference System.map, for a sample of it. */
function expectSameAsMap(t: SymbolTable): void {
  expect(t.size).toBe(map.size);
  for (let i = 0; i < map.size; i += 997) expect(t.format(map.starts[i])).toBe(map.format(map.starts[i]));
  const i = map.names.indexOf('start_kernel');
  expect(i).toBeGreaterThan(0);
  expect(t.format(map.starts[i] + 5)).toBe('start_kernel+0x5');
}

describe('--symbols', () => {
  it('reads the kallsyms of a bzImage and of its vmlinux, as the rebuilt System.map lists them', () => {
    const bz = loadGuestSymbols({ symbols: g.kernel });
    expect(bz.lines[0]).toMatch(/^symbols: \d+ from the kallsyms of vmlinuz-/);
    expectSameAsMap(bz.table);
    expect(bz.kernelImage).not.toBeNull();
    // Code the guest runs from a bzImage without symbols is its decompressor (physical addresses
    // up to the end of its buffer, LOAD_PHYSICAL_ADDR + init_size); the kernel's own code running
    // at its physical address (before paging) keeps its name.
    const img = parseBzImage(new Uint8Array(readFileSync(g.kernel)), g.kernel);
    const top = img.prefAddress + img.initSize;
    expect(functionName(bz.table, top - 0x800, false)).toBe('[kernel decompressor]');
    expect(functionName(bz.table, top, false)).toMatch(/-page$/);
    expect(functionName(bz.table, img.prefAddress, false)).toBe(`${map.nameOf(img.prefAddress + 0xc0000000)} (physical)`);
    expect(bz.table.slid(0x4000000).regionOf(top - 0x800)).toBe('[kernel decompressor]');
    const vm = loadGuestSymbols({ symbols: g.vmlinux! });
    expect(vm.lines[0]).toMatch(/from the kallsyms of vmlinux-/);
    expectSameAsMap(vm.table);
    const sm = loadGuestSymbols({ symbols: g.systemMap! });
    expect(sm.kernelImage).toBeNull();
    expectSameAsMap(sm.table);
  }, 60_000);

  it("names Debian's placeholder System.map, and falls back to the kernel's kallsyms when the kernel is known", () => {
    const s = loadGuestSymbols({ symbols: placeholder, kernel: g.kernel });
    expect(s.lines[0]).toContain(`${placeholder} is Debian's placeholder System.map (the real one is in the linux-image-${g.release}-dbg package): using the kernel's kallsyms instead`);
    expectSameAsMap(s.table);
    expect(() => loadGuestSymbols({ symbols: placeholder })).toThrow(SymbolFileError);
    expect(() => loadGuestSymbols({ symbols: placeholder })).toThrow(/placeholder System\.map .*pass the kernel itself/);
  }, 60_000);

  it('a --kernel names itself; unreadable kernels give a line, not a crash', () => {
    expectSameAsMap(loadGuestSymbols({ kernel: g.kernel }).table);
    const none = loadGuestSymbols({ kernel: g.initrd });
    expect(none.table.size).toBe(0);
    expect(none.lines[0]).toMatch(/^no symbols for initrd-.*: .*neither a System\.map, an ELF file nor a Linux bzImage; pass --symbols$/);
  }, 60_000);

  it('the profile command reports a bad symbol file in one line, with exit status 1', async () => {
    const program = new Command().exitOverride();
    registerProfileCommand(program, () => {});
    const err: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    const before = process.exitCode;
    try {
      await program.parseAsync(['profile', '--symbolize', '/nonexistent.cpuprofile', '--symbols', placeholder], { from: 'user' });
      expect(process.exitCode).toBe(1);
    } finally {
      process.stderr.write = write;
      process.exitCode = before;
    }
    expect(err.join('')).toMatch(/^x86jit: .*is Debian's placeholder System\.map .*\n$/);
  });
});

describe('KASLR slide', () => {
  /** Guest RAM of `size` bytes holding the reference kernel's text `slide` bytes above its link
   *  address, every 37th byte changed (standing in for relocated addresses and alternatives). */
  function ramWithKernel(size: number, slide: number | null) {
    const u8 = new Uint8Array(size);
    const text = kernelTextSegment(new Uint8Array(readFileSync(g.vmlinux!)))!;
    if (slide !== null) {
      u8.set(text.data, text.phys + slide);
      for (let a = text.phys + slide; a < text.phys + slide + text.data.length; a += 37) u8[a] ^= 0x5a;
    }
    return { u8, hostOffset: (a: number) => (a >= 0 && a < size ? a : -1) };
  }

  it('is found in guest memory, and the symbols move by it', () => {
    const vmlinux = new Uint8Array(readFileSync(g.vmlinux!));
    const size = 64 << 20;
    for (const slide of [0, 0x2000000, 0x1235000]) expect(findKernelSlide(vmlinux, ramWithKernel(size, slide), size)).toBe(slide);
    expect(findKernelSlide(vmlinux, ramWithKernel(size, null), size)).toBeNull();
    const slid = map.slid(0x2000000);
    const i = map.names.indexOf('start_kernel');
    expect(slid.format(map.starts[i] + 0x2000000 + 3)).toBe('start_kernel+0x3');
    expect(slid.nameOf(map.starts[i])).not.toBe('start_kernel');
  }, 60_000);
});
