import { describe, expect, it } from 'vitest';
import { Seg } from '../../src/frontend/insn.js';
import { CpuState } from '../../src/cpu/state.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { PhysMemory } from '../../src/mem/phys.js';
import { detectKernelFormat, loadBootImage } from '../../src/loader/boot-image.js';
import { buildE820 } from '../../src/loader/e820.js';
import { LoaderError } from '../../src/loader/errors.js';
import { makeBzImage } from './fake-bzimage.js';

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
