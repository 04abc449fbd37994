import { describe, expect, it } from 'vitest';
import { Seg } from '../../src/frontend/insn.js';
import { CpuState } from '../../src/cpu/state.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { PhysMemory } from '../../src/mem/phys.js';
import { BOOT_PARAMS_SIZE, BootParams } from '../../src/loader/boot-params.js';
import { SetupHeader } from '../../src/loader/bzimage.js';
import { buildE820, E820Type } from '../../src/loader/e820.js';
import { LoaderError } from '../../src/loader/errors.js';
import { checkStruct, getField } from '../../src/loader/fields.js';
import { Layout } from '../../src/loader/layout.js';
import { loadLinux, planLinux } from '../../src/loader/linux.js';
import { makeBzImage } from './fake-bzimage.js';
import { writeCpio } from '../../src/loader/cpio.js';

/** A valid initramfs of about `size` bytes. */
function initramfs(size: number): Uint8Array {
  return writeCpio([{ name: 'init', type: 'file', perm: 0o755, data: new Uint8Array(size).fill(0x5a) }]);
}

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

describe('boot_params', () => {
  it('is one 4096-byte page with the documented offsets', () => {
    expect(BOOT_PARAMS_SIZE).toBe(4096);
    expect(checkStruct('boot_params', BootParams, 4096)).toBe(0xd00 + 6 * 0x52);
    expect(BootParams.e820_entries.off).toBe(0x1e8);
    expect(BootParams.hdr.off).toBe(0x1f1);
    expect(BootParams.e820_table.off).toBe(0x2d0);
    expect(BootParams.hdr.off + BootParams.hdr.size).toBe(0x26c);
  });
});

describe('Linux 32-bit boot protocol loader', () => {
  const kernel = makeBzImage({ kernelSize: 0x6000, initSize: 0x1800000 });
  const initrd = initramfs(0x12345);
  const reserved = { addr: 120 * MiB, size: 8 * MiB };
  const e820 = buildE820({ ramSize: 128 * MiB, reserved: [reserved] });

  it('loads kernel, initrd, command line and boot_params, and enters at 1 MiB', () => {
    const plan = planLinux({ kernel, kernelName: 'k', initrd, cmdline: 'console=ttyS0 quiet', e820 });
    const phys = new PhysMemory(128 * MiB, new MmioBus());
    const cpu = new CpuState();
    loadLinux(phys, cpu, plan);

    // Initrd: page-aligned, as high as possible below the reserved region.
    expect(plan.initrd!.addr % 4096).toBe(0);
    expect(plan.initrd!.addr + initrd.length).toBeLessThanOrEqual(reserved.addr);
    expect(plan.initrd!.addr + initrd.length).toBeGreaterThan(reserved.addr - 4096);
    expect(phys.readBytes(plan.initrd!.addr, initrd.length)).toEqual(initrd);
    // Protected-mode kernel at 1 MiB, byte for byte.
    expect(phys.readBytes(0x100000, 0x6000)).toEqual(kernel.subarray(5 * 512));

    const bp = phys.readBytes(Layout.ZERO_PAGE, 4096);
    const v = new DataView(bp.buffer);
    expect(getField(v, SetupHeader.header)).toBe(0x53726448);
    expect(getField(v, SetupHeader.type_of_loader)).toBe(0xff);
    expect(getField(v, SetupHeader.loadflags) & 0x81).toBe(0x81);
    expect(getField(v, SetupHeader.ramdisk_image)).toBe(plan.initrd!.addr);
    expect(getField(v, SetupHeader.ramdisk_size)).toBe(initrd.length);
    const cmdPtr = getField(v, SetupHeader.cmd_line_ptr);
    expect(new TextDecoder().decode(phys.readBytes(cmdPtr, 20))).toBe('console=ttyS0 quiet\0');
    expect(getField(v, BootParams.e820_entries)).toBe(e820.length);
    for (let i = 0; i < e820.length; i++) {
      const o = BootParams.e820_table.off + 20 * i;
      expect([Number(v.getBigUint64(o, true)), Number(v.getBigUint64(o + 8, true)), v.getUint32(o + 16, true)]).toEqual([e820[i].addr, e820[i].size, e820[i].type]);
    }

    // CPU: flat protected mode per boot.rst.
    expect(cpu.eip).toBe(0x100000);
    expect(cpu.regs[6]).toBe(Layout.ZERO_PAGE); // ESI
    expect([cpu.regs[3], cpu.regs[5], cpu.regs[7]]).toEqual([0, 0, 0]); // EBX EBP EDI
    expect(cpu.segSel[Seg.CS]).toBe(0x10);
    for (const s of [Seg.DS, Seg.ES, Seg.SS]) expect(cpu.segSel[s]).toBe(0x18);
    expect(cpu.segAttr[Seg.CS]).toBe(0xcf9b);
    expect(cpu.segAttr[Seg.DS]).toBe(0xcf93);
    expect(cpu.segLimit[Seg.CS] >>> 0).toBe(0xffffffff);
    expect(cpu.cr0 & 0x80000001).toBe(1);
    expect(cpu.eflags & 0x200).toBe(0);
    expect(cpu.code32 && cpu.stack32).toBe(true);
    // The GDT in memory matches the cached descriptors.
    const d = (sel: number) => [phys.read32(cpu.gdtBase + sel), phys.read32(cpu.gdtBase + sel + 4) >>> 0];
    expect(d(0x10)).toEqual([0x0000ffff, 0x00cf9b00]);
    expect(d(0x18)).toEqual([0x0000ffff, 0x00cf9300]);
    expect(cpu.gdtLimit).toBeGreaterThanOrEqual(0x1f);
  });

  it('keeps the initrd below initrd_addr_max', () => {
    const k = makeBzImage({ initrdAddrMax: 0x37ffffff });
    const big = buildE820({ ramSize: 2048 * MiB });
    const plan = planLinux({ kernel: k, kernelName: 'k', initrd, cmdline: '', e820: big });
    expect(plan.initrd!.addr + initrd.length).toBeLessThanOrEqual(0x38000000);
    expect(plan.initrd!.addr).toBeGreaterThan(0x38000000 - 0x20000);
  });

  it('rejects RAM too small for the kernel', () => {
    const small = buildE820({ ramSize: 16 * MiB });
    expect(messageOf(() => planLinux({ kernel, kernelName: 'vmlinuz', cmdline: '', e820: small }))).toMatch(/^not enough guest RAM for vmlinuz: the kernel needs RAM up to 40 MiB .*\(raise --mem\)$/);
  });

  it('rejects RAM too small for kernel + initrd', () => {
    const tight = buildE820({ ramSize: 41 * MiB });
    const big = initramfs(2 * MiB);
    expect(messageOf(() => planLinux({ kernel, kernelName: 'vmlinuz', initrd: big, initrdName: 'initrd.gz', cmdline: '', e820: tight }))).toMatch(/^not enough guest RAM for vmlinuz \+ initrd.gz: .* the initrd 2 MiB more/);
  });

  it('rejects a corrupt initrd before loading anything', () => {
    const bad = initrd.slice(0, 200);
    expect(messageOf(() => planLinux({ kernel, kernelName: 'k', initrd: bad, initrdName: 'initrd.cpio', cmdline: '', e820 }))).toMatch(/^initrd\.cpio: corrupt cpio archive at byte 0 \(/);
  });

  it('loads a pre-decompressed kernel at its physical addresses and enters its startup_32', () => {
    // ELF32 with one PT_LOAD at 16 MiB (pref_address) of 0x100 bytes + 0x300 BSS, entry at its start.
    const elf = new Uint8Array(0x200);
    const ev = new DataView(elf.buffer);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
    ev.setUint16(16, 2, true);
    ev.setUint16(18, 3, true);
    ev.setUint32(24, 0x1000000, true);
    ev.setUint32(28, 52, true);
    ev.setUint16(42, 32, true);
    ev.setUint16(44, 1, true);
    [1, 0x100, 0xc1000000, 0x1000000, 0x100, 0x400].forEach((x, i) => ev.setUint32(52 + 4 * i, x, true));
    elf.fill(0x90, 0x100);
    const plan = planLinux({ kernel, kernelName: 'k', vmlinux: elf, initrd, cmdline: '', e820 });
    const phys = new PhysMemory(128 * MiB, new MmioBus());
    phys.u8.fill(0xcc, 0x1000000, 0x1001000);
    const cpu = new CpuState();
    loadLinux(phys, cpu, plan);
    expect(cpu.eip).toBe(0x1000000);
    expect(cpu.regs[6]).toBe(Layout.ZERO_PAGE);
    expect(phys.read8(0x10000ff)).toBe(0x90);
    expect(phys.read8(0x1000100)).toBe(0); // BSS zeroed
    expect(phys.read8(0x1000400)).toBe(0xcc);
    expect(phys.read8(0x100000)).toBe(0); // the bzImage's own code is not loaded
    expect(plan.footprint.end).toBe(0x1000000 + 0x1800000); // init_size still reserves the kernel's early memory
    // A vmlinux from another kernel (other load address) is refused.
    ev.setUint32(52 + 12, 0x2000000, true);
    expect(messageOf(() => planLinux({ kernel, kernelName: 'k', vmlinux: elf, cmdline: '', e820 }))).toBe('k (decompressed): loads at 0x2000000, but k runs at 0x1000000: not the same kernel');
  });

  it('rejects a command line longer than the kernel accepts', () => {
    const k = makeBzImage({ cmdlineSize: 16 });
    expect(messageOf(() => planLinux({ kernel: k, kernelName: 'k', cmdline: 'x'.repeat(17), e820 }))).toBe('kernel command line is 17 bytes; k accepts at most 16');
  });

  it('never lets the reserved region count as usable', () => {
    const map = buildE820({ ramSize: 48 * MiB, reserved: [{ addr: 40 * MiB, size: 8 * MiB }] });
    expect(map.find((e) => e.addr === 40 * MiB)?.type).toBe(E820Type.RESERVED);
    expect(messageOf(() => planLinux({ kernel, kernelName: 'k', initrd: initramfs(MiB), cmdline: '', e820: map }))).toMatch(/not enough guest RAM/);
  });
});
