import { describe, expect, it } from 'vitest';
import { AcpiPorts, AML_S5, buildAcpiTables, SLP_TYP_S5 } from '../../src/devices/acpi.js';
import { AcpiPm, PM_TIMER_HZ } from '../../src/devices/acpi-pm.js';
import { IoBus } from '../../src/hv/io-bus.js';
import { ManualClock } from './helpers.js';

const BASE = 0xe0000;

function image(localApic: number | null) {
  const img = buildAcpiTables({ base: BASE, localApic });
  const mem = new Uint8Array(0x20000); // 0xE0000-0xFFFFF
  mem.set(img.bytes, 0);
  const dv = new DataView(mem.buffer);
  const at = (phys: number) => phys - BASE;
  const sig = (phys: number) => String.fromCharCode(...mem.subarray(at(phys), at(phys) + 4));
  const u32 = (phys: number) => dv.getUint32(at(phys), true);
  const u16 = (phys: number) => dv.getUint16(at(phys), true);
  const sum = (phys: number, len: number) => mem.subarray(at(phys), at(phys) + len).reduce((a, b) => a + b, 0) & 0xff;
  return { img, mem, sig, u32, u16, sum };
}

/** What an OS does (ACPI §5.2.5.1): scan 16-byte boundaries of 0xE0000-0xFFFFF for the RSDP. */
function findRsdp(mem: Uint8Array): number {
  for (let off = 0; off + 20 <= mem.length; off += 16) {
    if (String.fromCharCode(...mem.subarray(off, off + 8)) !== 'RSD PTR ') continue;
    if ((mem.subarray(off, off + 20).reduce((a, b) => a + b, 0) & 0xff) === 0) return BASE + off;
  }
  return -1;
}

describe('ACPI tables', () => {
  it('are found by the BIOS-area scan and every checksum is right', () => {
    const { img, mem, sig, u32, sum } = image(0xfee00000);
    const rsdp = findRsdp(mem);
    expect(rsdp).toBe(img.rsdp);
    const rsdt = u32(rsdp + 16);
    expect(sig(rsdt)).toBe('RSDT');
    const rsdtLen = u32(rsdt + 4);
    expect(sum(rsdt, rsdtLen)).toBe(0);
    const entries = (rsdtLen - 36) / 4;
    const sigs: string[] = [];
    for (let i = 0; i < entries; i++) {
      const t = u32(rsdt + 36 + 4 * i);
      sigs.push(sig(t));
      expect(sum(t, u32(t + 4))).toBe(0);
    }
    expect(sigs.sort()).toEqual(['APIC', 'FACP']);
    const fadt = img.tables.FACP;
    const dsdt = u32(fadt + 40);
    expect(sig(dsdt)).toBe('DSDT');
    expect(sum(dsdt, u32(dsdt + 4))).toBe(0);
    const facs = u32(fadt + 36);
    expect(sig(facs)).toBe('FACS');
    expect(facs % 64).toBe(0);
    expect(u32(facs + 4)).toBe(64);
  });

  it('FADT points at the PM1a blocks, SCI 9, no SMI port, century 0x32', () => {
    const { img, mem, u32, u16 } = image(null);
    const f = img.tables.FACP;
    expect(u32(f + 4)).toBe(116);
    expect(u16(f + 46)).toBe(9);
    expect(u32(f + 48)).toBe(0);
    expect(u32(f + 56)).toBe(AcpiPorts.PM1A_EVT);
    expect(u32(f + 64)).toBe(AcpiPorts.PM1A_CNT);
    expect(u32(f + 76)).toBe(AcpiPorts.PM_TMR);
    expect(mem[f - BASE + 88]).toBe(4);
    expect(mem[f - BASE + 89]).toBe(2);
    expect(mem[f - BASE + 91]).toBe(4);
    expect(mem[f - BASE + 108]).toBe(0x32);
    expect(img.tables.APIC).toBeUndefined();
  });

  it('DSDT holds exactly the \\_S5 package AML', () => {
    const { img, mem, u32 } = image(null);
    const d = img.tables.DSDT;
    const len = u32(d + 4);
    const aml = mem.subarray(d - BASE + 36, d - BASE + len);
    expect([...aml]).toEqual([...AML_S5]);
    // NameOp "_S5_" PackageOp PkgLength NumElements, then SLP_TYPa/b as BytePrefix constants.
    expect(aml[0]).toBe(0x08);
    expect(String.fromCharCode(...aml.subarray(1, 5))).toBe('_S5_');
    expect(aml[5]).toBe(0x12);
    expect(aml[6]).toBe(aml.length - 6); // PkgLength counts itself and what follows
    expect(aml[8]).toBe(0x0a);
    expect(aml[9]).toBe(SLP_TYP_S5);
  });

  it('MADT lists one enabled local APIC and the 8259 compatibility flag', () => {
    const { img, mem, u32 } = image(0xfee00000);
    const m = img.tables.APIC;
    expect(u32(m + 36)).toBe(0xfee00000);
    expect(u32(m + 40) & 1).toBe(1);
    expect([...mem.subarray(m - BASE + 44, m - BASE + 48)]).toEqual([0, 8, 0, 0]);
    expect(u32(m + 48) & 1).toBe(1);
  });
});

describe('ACPI PM1 registers', () => {
  function pm() {
    const io = new IoBus();
    const clock = new ManualClock();
    let off = 0;
    const dev = new AcpiPm(clock, () => off++);
    io.register(AcpiPorts.PM1A_EVT, AcpiPorts.LENGTH, dev);
    return { io, clock, dev, offs: () => off };
  }

  it('powers off on SLP_EN with SLP_TYP = S5 only', () => {
    const { io, offs } = pm();
    expect(io.read(AcpiPorts.PM1A_CNT, 2) & 1).toBe(1); // SCI_EN: already in ACPI mode
    io.write(AcpiPorts.PM1A_CNT, 2, (1 << 10) | (1 << 13)); // S1: not supported, ignored
    expect(offs()).toBe(0);
    io.write(AcpiPorts.PM1A_CNT, 2, SLP_TYP_S5 << 10); // type without SLP_EN
    expect(offs()).toBe(0);
    io.write(AcpiPorts.PM1A_CNT, 2, (SLP_TYP_S5 << 10) | (1 << 13));
    expect(offs()).toBe(1);
    expect(io.read(AcpiPorts.PM1A_CNT, 2) & (1 << 13)).toBe(0); // SLP_EN reads 0
  });

  it('runs the 24-bit PM timer at 3.579545 MHz from the clock', () => {
    const { io, clock } = pm();
    clock.t = 1e9;
    expect(io.read(AcpiPorts.PM_TMR, 4)).toBe(PM_TIMER_HZ);
    clock.t = 10e9;
    expect(io.read(AcpiPorts.PM_TMR, 4)).toBe((PM_TIMER_HZ * 10) & 0xffffff);
  });

  it('PM1_STS is write-one-to-clear and PM1_EN read/write', () => {
    const { io, dev } = pm();
    dev.pm1Status = 0x8101;
    io.write(AcpiPorts.PM1A_EVT, 2, 0x0100);
    expect(io.read(AcpiPorts.PM1A_EVT, 2)).toBe(0x8001);
    io.write(AcpiPorts.PM1A_EVT + 2, 2, 0x0120);
    expect(io.read(AcpiPorts.PM1A_EVT + 2, 2)).toBe(0x0120);
  });
});
