import { describe, expect, test } from 'vitest';
import { CpuidPolicy, Feat } from '../../src/hv/cpuid.js';
import { ExitReason, VmExit } from '../../src/cpu/exit.js';
import { MachineStop } from '../../src/hv/exit.js';
import { Hypervisor } from '../../src/hv/hypervisor.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { MmioBus } from '../../src/hv/mmio-bus.js';
import { Msr, MsrTable } from '../../src/hv/msr.js';
import { installReservedRegion, parseReserve, parseSize, RESERVED_MAGIC } from '../../src/hv/reserved.js';
import { CpuState } from '../../src/cpu/state.js';
import { PhysMemory } from '../../src/mem/phys.js';

function regsToString(...regs: number[]): string {
  let s = '';
  for (const r of regs) for (let k = 0; k < 4; k++) s += String.fromCharCode((r >>> (8 * k)) & 0xff);
  return s;
}

function makeHv(cpl = 0) {
  const cpu = new CpuState();
  cpu.cpl = cpl;
  const io = new IoBus();
  const written: Uint8Array[] = [];
  const phys = new PhysMemory(1 << 20, new MmioBus());
  const msrs = new MsrTable(cpu, { tsc: () => 1000 }, null);
  const hv = new Hypervisor(cpu, io, new CpuidPolicy({ apic: false, fxsr: false }), msrs, {
    readPhys: (a, n) => phys.readBytes(a, n),
    consoleWrite: (b) => written.push(b),
    powerOff: (s) => {
      throw new MachineStop(s, 'off');
    },
  });
  return { cpu, io, hv, phys, written, msrs };
}

describe('CPUID policy', () => {
  test('vendor, hypervisor bit and leaf, brand string', () => {
    const p = new CpuidPolicy({ apic: true, fxsr: false });
    const r = new Int32Array(4);
    p.query(0, 0, r);
    expect(r[0]).toBe(1);
    expect(regsToString(r[1], r[3], r[2])).toBe('x86jitx86jit');
    p.query(1, 0, r);
    expect((r[0] >> 8) & 0xf).toBe(6); // family 6: an i686
    expect(r[2] >>> 31).toBe(1); // hypervisor present
    expect(r[3] & Feat.APIC).toBe(Feat.APIC);
    expect(r[3] & (1 << 6)).toBe(0); // no PAE: we do not implement it
    expect(r[3] & (1 << 25)).toBe(0); // no SSE
    p.query(0x40000000, 0, r);
    expect(regsToString(r[1], r[2], r[3])).toBe('x86jitHVx86j');
    let brand = '';
    for (let l = 0x80000002; l <= 0x80000004; l++) {
      p.query(l, 0, r);
      brand += regsToString(r[0], r[1], r[2], r[3]);
    }
    expect(brand.replace(/\0+$/, '')).toBe('x86jit virtual i686 CPU');
  });
});

describe('VM exits', () => {
  test('port I/O goes to the bus; unclaimed ports float high and are counted', () => {
    const { io, hv } = makeHv();
    const seen: number[] = [];
    io.register(0x80, 1, { ioRead: () => 0x5a, ioWrite: (_p, _s, v) => void seen.push(v) }, 'post');
    const x = new VmExit();
    x.reason = ExitReason.IoOut; x.port = 0x80; x.size = 1; x.value = 0x42;
    hv.handleExit(x);
    x.reason = ExitReason.IoIn; x.port = 0x80;
    hv.handleExit(x);
    expect(seen).toEqual([0x42]);
    expect(x.value).toBe(0x5a);
    x.port = 0x1234; x.size = 2;
    hv.handleExit(x);
    expect(x.value).toBe(0xffff);
    expect(io.unclaimedReads).toBe(1);
    expect(hv.counts[ExitReason.IoIn]).toBe(2);
    expect(hv.counts[ExitReason.IoOut]).toBe(1);
  });

  test('overlapping port ranges are refused', () => {
    const io = new IoBus();
    const d = { ioRead: () => 0, ioWrite: () => {} };
    io.register(0x3f8, 8, d, 'com1');
    expect(() => io.register(0x3fc, 2, d, 'other')).toThrow(/overlaps com1/);
  });

  test('unknown MSRs fault, SYSENTER MSRs round-trip', () => {
    const { hv, cpu } = makeHv();
    const x = new VmExit();
    x.reason = ExitReason.Wrmsr; x.ecx = Msr.SYSENTER_EIP; x.eax = 0xc0001234 | 0; x.edx = 0;
    hv.handleExit(x);
    expect(x.fault).toBe(false);
    expect(cpu.sysenterEip >>> 0).toBe(0xc0001234);
    x.reason = ExitReason.Rdmsr; x.ecx = 0x1234;
    hv.handleExit(x);
    expect(x.fault).toBe(true);
    x.reason = ExitReason.Rdmsr; x.ecx = Msr.TSC;
    hv.handleExit(x);
    expect(x.fault).toBe(false);
    expect(x.eax).toBe(1000);
  });

  test('hypercalls: version, console write, power off, CPL 3 refused', () => {
    const { hv, phys, written } = makeHv();
    const x = new VmExit();
    x.reason = ExitReason.Vmcall; x.eax = 0;
    hv.handleExit(x);
    expect(x.eax).toBe(1);
    expect(regsToString(x.ebx, x.ecx, x.edx)).toBe('x86jitHVx86j');
    phys.writeBytes(0x5000, new TextEncoder().encode('hello'));
    x.eax = 1; x.ebx = 0x5000; x.ecx = 5;
    hv.handleExit(x);
    expect(x.eax).toBe(5);
    expect(new TextDecoder().decode(written[0])).toBe('hello');
    x.eax = 2; x.ebx = 7;
    expect(() => hv.handleExit(x)).toThrow(MachineStop);
    x.eax = 99;
    hv.handleExit(x);
    expect(x.eax).toBe(-1000);
    const user = makeHv(3);
    x.eax = 2; x.ebx = 0;
    user.hv.handleExit(x);
    expect(x.eax).toBe(-1);
  });
});

describe('reserved region', () => {
  test('parse', () => {
    expect(parseSize('128M')).toBe(128 << 20);
    expect(parseReserve('8M', 128 << 20)).toEqual({ addr: 120 << 20, size: 8 << 20 });
    expect(parseReserve('0', 128 << 20)).toBeNull();
    expect(parseReserve('1M@0x2000000', 128 << 20)).toEqual({ addr: 0x2000000, size: 1 << 20 });
    expect(() => parseReserve('bogus', 128 << 20)).toThrow(/SIZE\[@ADDR\]/);
    expect(() => parseReserve('256M', 128 << 20)).toThrow(/256M does not fit in 128 MiB of guest RAM/);
  });

  test('guest reads all-ones, writes are dropped and reported, host data stays', () => {
    const phys = new PhysMemory(16 << 20, new MmioBus());
    const r = { addr: 12 << 20, size: 4 << 20 };
    const counters = installReservedRegion(phys, r);
    counters[3] = 1234;
    let reported = 0;
    phys.onReservedWrite = () => reported++;
    expect(phys.read32(r.addr) >>> 0).toBe(0xffffffff);
    expect(phys.read8(r.addr + 5)).toBe(0xff);
    phys.write32(r.addr + 16 + 3 * 8, 0x12345678);
    phys.write8(r.addr, 0);
    // a 4-byte access straddling the boundary into the region: the RAM half lands, the rest does not
    phys.write32(r.addr - 2, 0x11223344);
    expect(reported).toBe(3); // one per guest write that reached the region
    expect(counters[3]).toBe(1234);
    expect(new TextDecoder().decode(phys.hostView(r.addr, 8))).toBe(RESERVED_MAGIC);
    expect(phys.read16(r.addr - 2)).toBe(0x3344);
    expect(phys.read32(r.addr - 2) >>> 0).toBe(0xffff3344);
  });
});
