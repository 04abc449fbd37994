import { describe, expect, it } from 'vitest';
import { Seg } from '../../src/frontend/insn.js';
import { CpuState } from '../../src/cpu/state.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { PhysMemory } from '../../src/mem/phys.js';
import { detectKernelFormat, loadBootImage } from '../../src/loader/boot-image.js';
import { buildE820 } from '../../src/loader/e820.js';
import { LoaderError } from '../../src/loader/errors.js';
import { Layout } from '../../src/loader/layout.js';
import { gzipSync } from 'node:zlib';
import { makeBzImage } from './fake-bzimage.js';
import { VMLINUX_LOAD, makeVmlinux } from './fake-vmlinux.js';

const MiB = 1 << 20;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof LoaderError) return e.message;
    throw e;
  }
  throw new Error('expected a LoaderError');
}

/** a.out-kludge multiboot image: header at 0, loaded at 1 MiB, entry at its byte 0x20 (HLT). */
function multibootImage(): Uint8Array {
  const f = new Uint8Array(0x40);
  const v = new DataView(f.buffer);
  const flags = 0x10000;
  v.setUint32(0, 0x1badb002, true);
  v.setUint32(4, flags, true);
  v.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
  [0x100000, 0x100000, 0, 0, 0x100020].forEach((x, i) => v.setUint32(12 + 4 * i, x, true));
  f[0x20] = 0xf4;
  return f;
}

describe('loadBootImage', () => {
  const machine = { e820: buildE820({ ramSize: 64 * MiB }) };
  const fresh = () => ({ phys: new PhysMemory(64 * MiB, new MmioBus()), cpu: new CpuState() });

  it('recognises bzImages and multiboot kernels', () => {
    expect(detectKernelFormat(makeBzImage())).toBe('bzimage');
    expect(detectKernelFormat(multibootImage())).toBe('multiboot');
    expect(detectKernelFormat(new Uint8Array(100))).toBe('unknown');
  });

  it('boots a multiboot kernel with EAX = 0x2BADB002', () => {
    const { phys, cpu } = fresh();
    expect(loadBootImage(phys, cpu, machine, { kernel: multibootImage(), kernelName: 'mb', cmdline: '' })).toMatch(/^multiboot kernel mb, entry 0x100020/);
    expect(cpu.regs[0] >>> 0).toBe(0x2badb002);
    expect(phys.read8(cpu.eip)).toBe(0xf4);
    // The command line starts with the kernel's name (argv[0] for kvm-unit-tests).
    const info = cpu.regs[3];
    let s = '';
    for (let a = phys.read32(info + 16); phys.read8(a) !== 0; a++) s += String.fromCharCode(phys.read8(a));
    expect(s).toBe('mb');
  });

  it('boots a bzImage and a flat binary', () => {
    const a = fresh();
    expect(loadBootImage(a.phys, a.cpu, machine, { kernel: makeBzImage(), kernelName: 'bz', cmdline: 'x' })).toMatch(/^Linux boot protocol 2\.15/);
    expect(a.cpu.segSel[Seg.CS]).toBe(0x10);
    const b = fresh();
    loadBootImage(b.phys, b.cpu, machine, { kernel: new Uint8Array([0xf4]), kernelName: 'f', cmdline: '', flatAddr: 0x7c00 });
    expect(b.cpu.segBase[Seg.CS]).toBe(0x7c00);
  });

  it('rejects what does not fit the image, and files that are no kernel', () => {
    const { phys, cpu } = fresh();
    const initrd = new Uint8Array(16);
    expect(messageOf(() => loadBootImage(phys, cpu, machine, { kernel: multibootImage(), kernelName: 'mb', cmdline: '', initrd }))).toBe('--initrd/--initrd-dir is for Linux kernels; mb is a multiboot kernel');
    expect(messageOf(() => loadBootImage(phys, cpu, machine, { kernel: makeBzImage(), kernelName: 'bz', cmdline: '', modules: [{ data: initrd, cmdline: 'm' }] }))).toMatch(/^--module is for multiboot kernels; bz is a Linux bzImage/);
    expect(messageOf(() => loadBootImage(phys, cpu, machine, { kernel: new TextEncoder().encode('hello'.repeat(300)), kernelName: 'notes.txt', cmdline: '' }))).toBe('notes.txt: not a Linux bzImage (no boot sector signature 0xAA55 at 0x1fe)');
  });
});

describe('loadBootImage: a bzImage unpacked on the host (hostDecompress)', () => {
  const machine = { e820: buildE820({ ramSize: 64 * MiB }) };
  const fresh = () => ({ phys: new PhysMemory(64 * MiB, new MmioBus()), cpu: new CpuState() });
  const vmlinux = makeVmlinux(64 * 1024);
  const kernel = makeBzImage({ payload: gzipSync(vmlinux) });

  it('loads vmlinux at its link address and enters startup_32 with ESI = boot_params, by default', () => {
    const { phys, cpu } = fresh();
    const bss = VMLINUX_LOAD + vmlinux.length - 0x2000;
    phys.u8.fill(0xcc, bss, bss + 0x3000);
    const notices: string[] = [];
    const what = loadBootImage(phys, cpu, machine, { kernel, kernelName: 'bz', cmdline: 'x', notice: (l) => notices.push(l) });
    expect(what).toMatch(/, unpacked on the host \(gzip, 64 KiB\), loaded at its link address 0x1000000 \(not randomized\), entered at 0x1000000,/);
    expect(notices).toEqual([]);
    expect(cpu.eip).toBe(VMLINUX_LOAD);
    expect(cpu.regs[6]).toBe(Layout.ZERO_PAGE);
    // The segment (file offset 0x1000) is at 16 MiB, its BSS zeroed; the compressed kernel is not at 1 MiB.
    expect(Buffer.compare(phys.hostView(VMLINUX_LOAD, 0x200), vmlinux.subarray(0x1000, 0x1200))).toBe(0);
    expect(phys.read8(bss + 0x1fff)).toBe(0);
    expect(phys.read8(bss + 0x2000)).toBe(0xcc);
    expect(phys.read8(Layout.KERNEL_LOAD + 0x100)).toBe(0);
  });

  it('runs the kernel\'s own decompressor with hostDecompress: false', () => {
    const { phys, cpu } = fresh();
    const notices: string[] = [];
    const what = loadBootImage(phys, cpu, machine, { kernel, kernelName: 'bz', cmdline: 'x', hostDecompress: false, notice: (l) => notices.push(l) });
    expect(what).toMatch(/ at 0x100000 \(runs at 0x1000000\)/);
    expect(notices).toEqual([]);
    expect(cpu.eip).toBe(Layout.KERNEL_LOAD);
    expect(phys.read8(Layout.KERNEL_LOAD + 0x100)).toBe(0x1f); // the gzip magic of the payload
  });

  it('falls back to the kernel\'s own decompressor, with one notice, for a payload it cannot unpack', () => {
    const { phys, cpu } = fresh();
    const notices: string[] = [];
    const fake = makeBzImage({ payload: new Uint8Array([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0x10, 0, 0, 0]) });
    loadBootImage(phys, cpu, machine, { kernel: fake, kernelName: 'bz', cmdline: 'x', notice: (l) => notices.push(l) });
    expect(notices).toEqual(["kernel payload is in a format x86jit does not know (first bytes 12 34 56 78); running the kernel's own decompressor"]);
    expect(cpu.eip).toBe(Layout.KERNEL_LOAD);
  });

  it('falls back for a 64-bit kernel, which only its decompressor enters from 32-bit mode', () => {
    const { phys, cpu } = fresh();
    const notices: string[] = [];
    const elf64 = vmlinux.slice();
    elf64[4] = 2;
    loadBootImage(phys, cpu, machine, { kernel: makeBzImage({ payload: gzipSync(elf64) }), kernelName: 'bz64', cmdline: 'x', notice: (l) => notices.push(l) });
    expect(notices).toEqual(["bz64 is a 64-bit kernel (ELF64 vmlinux); running the kernel's own decompressor"]);
    expect(cpu.eip).toBe(Layout.KERNEL_LOAD);
  });
});
