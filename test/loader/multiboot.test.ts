import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oracle } from '../support/oracle.js';
import { Seg } from '../../src/frontend/insn.js';
import { CpuState } from '../../src/cpu/state.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { PhysMemory } from '../../src/mem/phys.js';
import { buildE820 } from '../../src/loader/e820.js';
import { LoaderError } from '../../src/loader/errors.js';
import { getField, viewOf } from '../../src/loader/fields.js';
import { loadMultiboot, MbInfo, planMultiboot } from '../../src/loader/multiboot.js';
import { loadFlat, loadRom } from '../../src/loader/flat.js';

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

function header(flags: number, fields: number[] = []): Uint8Array {
  const h = new Uint8Array(12 + 4 * fields.length);
  const v = new DataView(h.buffer);
  v.setUint32(0, 0x1badb002, true);
  v.setUint32(4, flags, true);
  v.setUint32(8, (-(0x1badb002 + flags)) >>> 0, true);
  fields.forEach((f, i) => v.setUint32(12 + 4 * i, f, true));
  return h;
}

/** A minimal ELF32 i386 executable: one PT_LOAD of `code` at `paddr` with `bss` extra bytes. */
function elf(paddr: number, code: Uint8Array, bss: number, mbFlags = 0): Uint8Array {
  const codeOff = 0x100;
  const f = new Uint8Array(codeOff + code.length);
  const v = new DataView(f.buffer);
  f.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 3, true); // EM_386
  v.setUint32(20, 1, true);
  v.setUint32(24, paddr + 0x10, true); // entry
  v.setUint32(28, 52, true); // phoff
  v.setUint16(40, 52, true);
  v.setUint16(42, 32, true);
  v.setUint16(44, 1, true);
  v.setUint32(52, 1, true); // PT_LOAD
  v.setUint32(56, codeOff, true);
  v.setUint32(60, paddr, true);
  v.setUint32(64, paddr, true);
  v.setUint32(68, code.length, true);
  v.setUint32(72, code.length + bss, true);
  f.set(code, codeOff);
  f.set(header(mbFlags), 0x90); // header inside the first 8 KiB, not in the loaded part
  return f;
}

describe('multiboot v1', () => {
  const e820 = buildE820({ ramSize: 32 * MiB });

  it('loads ELF segments, zeroes BSS, places modules and fills the info block', () => {
    const code = new Uint8Array(0x40).fill(0x90);
    const image = elf(0x400000, code, 0x2000);
    const env = new TextEncoder().encode('NR_CPUS=1\nMEMSIZE=128\n');
    const plan = planMultiboot({ image, name: 't.flat', cmdline: 't.flat -v', modules: [{ data: env, cmdline: 'env-1cpu.txt' }], e820 });
    const phys = new PhysMemory(32 * MiB, new MmioBus());
    phys.u8.fill(0xcc, 0x400000, 0x403000); // BSS must be zeroed, not assumed zero
    const cpu = new CpuState();
    loadMultiboot(phys, cpu, plan);

    expect(phys.readBytes(0x400000, 0x40)).toEqual(code);
    expect(phys.readBytes(0x400040, 0x2000).every((b) => b === 0)).toBe(true);
    expect(cpu.eip).toBe(0x400010);
    expect(cpu.regs[0] >>> 0).toBe(0x2badb002);
    const info = cpu.regs[3];
    const v = viewOf(phys.readBytes(info, 88));
    const flags = getField(v, MbInfo.flags);
    expect(flags & 0x24d).toBe(0x24d); // mem, cmdline, mods, mmap, loader name
    expect(getField(v, MbInfo.mem_lower)).toBe(639);
    expect(getField(v, MbInfo.mem_upper)).toBe(31 * 1024);
    const cstr = (a: number) => {
      let s = '';
      for (let c = phys.read8(a); c !== 0; c = phys.read8(++a)) s += String.fromCharCode(c);
      return s;
    };
    expect(cstr(getField(v, MbInfo.cmdline))).toBe('t.flat -v');
    expect(cstr(getField(v, MbInfo.boot_loader_name))).toBe('x86jit');
    expect(getField(v, MbInfo.mods_count)).toBe(1);
    const mods = getField(v, MbInfo.mods_addr);
    const start = phys.read32(mods);
    const end = phys.read32(mods + 4);
    expect(start % 4096).toBe(0);
    expect(start).toBeGreaterThanOrEqual(0x402040);
    expect(new TextDecoder().decode(phys.readBytes(start, end - start))).toBe('NR_CPUS=1\nMEMSIZE=128\n');
    expect(cstr(phys.read32(mods + 8))).toBe('env-1cpu.txt');
    // mmap: entries of { size=20, base u64, len u64, type }, the same as the e820 map.
    const mmap = getField(v, MbInfo.mmap_addr);
    expect(getField(v, MbInfo.mmap_length)).toBe(24 * e820.length);
    for (let i = 0; i < e820.length; i++) {
      const e = mmap + 24 * i;
      expect([phys.read32(e), phys.read32(e + 4), phys.read32(e + 12), phys.read32(e + 20)]).toEqual([20, e820[i].addr, e820[i].size, e820[i].type]);
    }
    // Flat protected mode, interrupts off.
    expect(cpu.segSel[Seg.CS]).toBe(0x10);
    expect(cpu.segLimit[Seg.DS] >>> 0).toBe(0xffffffff);
    expect(cpu.cr0 & 0x80000001).toBe(1);
    expect(cpu.eflags & 0x20200).toBe(0);
    expect(phys.read32(cpu.gdtBase + 0x14) >>> 0).toBe(0x00cf9b00);
  });

  it('loads a.out-kludge images from the header address fields', () => {
    // File: 0x20 bytes of padding, header at file offset 0x20 = address 0x100020, code after it.
    const file = new Uint8Array(0x200);
    const h = header(0x10003, [0x100020, 0x100000, 0x100200, 0x101000, 0x100040]);
    file.set(h, 0x20);
    file.fill(0xf4, 0x40);
    const plan = planMultiboot({ image: file, name: 'k.bin', cmdline: '', e820 });
    expect(plan.entry).toBe(0x100040);
    expect(plan.segments).toHaveLength(1);
    expect(plan.segments[0]).toMatchObject({ addr: 0x100000, zero: 0xe00 });
    expect(plan.segments[0].data.length).toBe(0x200);
    expect(messageOf(() => planMultiboot({ image: file.subarray(0, 0x100), name: 'k.bin', cmdline: '', e820 }))).toBe('k.bin: truncated multiboot image (256 bytes; its header says 512)');
  });

  it('moves the info block away from an image loaded over it', () => {
    const plan = planMultiboot({ image: elf(0x1000, new Uint8Array(0x8000), 0), name: 'low', cmdline: '', e820 });
    expect(plan.infoAddr).toBeGreaterThanOrEqual(0x9000);
    expect(plan.gdtAddr).toBeGreaterThan(plan.infoAddr);
  });

  it('rejects images it cannot load, with one clear line', () => {
    expect(messageOf(() => planMultiboot({ image: new Uint8Array(9000), name: 'zero.bin', cmdline: '', e820 }))).toBe('zero.bin: not a multiboot kernel (no multiboot header in the first 8 KiB)');
    const noElf = new Uint8Array(64);
    noElf.set(header(0), 0);
    expect(messageOf(() => planMultiboot({ image: noElf, name: 'x', cmdline: '', e820 }))).toMatch(/^x: not a loadable multiboot kernel \(no ELF header/);
    expect(messageOf(() => planMultiboot({ image: elf(0x400000, new Uint8Array(16), 0, 0x8), name: 'x', cmdline: '', e820 }))).toMatch(/requires features x86jit does not provide \(flags 0x8\)/);
    expect(messageOf(() => planMultiboot({ image: elf(0x400000, new Uint8Array(16), 64 * MiB), name: 'big', cmdline: '', e820 }))).toMatch(/^big: segment 0x400000-0x4400010 is not in usable guest RAM \(raise --mem/);
  });

  const kut = join(__dirname, '../../../shared/testsuites/kvm-unit-tests');
  const haveKut = oracle('kvm-unit-tests (multiboot plans)', existsSync(kut), `${kut} is absent beside the repository`);
  it.skipIf(!haveKut)('plans every kvm-unit-tests image with the env module (suite from ../shared/testsuites)', () => {
    const env = new Uint8Array(readFileSync(join(kut, 'env-1cpu.txt')));
    for (const t of ['realmode', 'emulator', 'taskswitch', 'cmpxchg8b', 'setjmp', 'eventinj', 'tsc', 'sieve']) {
      const image = new Uint8Array(readFileSync(join(kut, `${t}.flat`)));
      const plan = planMultiboot({ image, name: t, cmdline: `${t}.flat`, modules: [{ data: env, cmdline: 'env-1cpu.txt' }], e820: buildE820({ ramSize: 128 * MiB }) });
      expect(plan.segments.length).toBeGreaterThan(0);
      for (const s of plan.segments) expect(s.addr + s.data.length + s.zero <= plan.infoAddr || plan.infoAddr + plan.info.length <= s.addr).toBe(true);
      expect(plan.modules[0].addr % 4096).toBe(0);
    }
  });
});

describe('flat binaries and ROMs', () => {
  it('aliases a 64 KiB ROM at 0xF0000 and 0xFFFF0000 onto the same memory', () => {
    const phys = new PhysMemory(2 * MiB, new MmioBus());
    const rom = new Uint8Array(0x10000);
    for (let i = 0; i < rom.length; i++) rom[i] = (i * 13) & 0xff;
    expect(loadRom(phys, rom, 'test386.bin')).toEqual({ low: 0xf0000, high: 0xffff0000 });
    expect(phys.readBytes(0xffff0000, 0x10000)).toEqual(rom);
    expect(phys.readBytes(0xf0000, 0x10000)).toEqual(rom);
    phys.write8(0xfffffff0, 0xea);
    expect(phys.read8(0xffff0)).toBe(0xea);
    expect(phys.read8(0xfffeffff)).toBe(0xff); // below the alias: unmapped
  });

  it('maps a 128 KiB ROM at 0xE0000 and 0xFFFE0000, and rejects odd sizes', () => {
    const phys = new PhysMemory(2 * MiB, new MmioBus());
    expect(loadRom(phys, new Uint8Array(0x20000).fill(7), 'r')).toEqual({ low: 0xe0000, high: 0xfffe0000 });
    expect(phys.read8(0xfffe0000)).toBe(7);
    expect(messageOf(() => loadRom(phys, new Uint8Array(1000), 'odd.bin'))).toBe('odd.bin: a ROM image must be a multiple of 4 KiB up to 128 KiB (this one is 1000 bytes)');
  });

  it('loads a flat binary and enters it in protected or real mode', () => {
    const phys = new PhysMemory(2 * MiB, new MmioBus());
    const cpu = new CpuState();
    loadFlat(phys, cpu, { data: new Uint8Array([0xf4]), name: 'hlt.bin', addr: 0x100000 });
    expect(phys.read8(0x100000)).toBe(0xf4);
    expect([cpu.eip, cpu.segSel[Seg.CS], cpu.code32]).toEqual([0x100000, 0x10, true]);
    const rm = new CpuState();
    loadFlat(phys, rm, { data: new Uint8Array([0xf4]), name: 'boot.bin', addr: 0x7c00, start: 'real' });
    expect([rm.segSel[Seg.CS], rm.segBase[Seg.CS], rm.eip]).toEqual([0x7c0, 0x7c00, 0]);
    expect(messageOf(() => loadFlat(phys, cpu, { data: new Uint8Array(16), name: 'far.bin', addr: 3 * MiB }))).toMatch(/^far\.bin: 16 bytes at 0x300000 does not fit in guest RAM/);
  });
});
