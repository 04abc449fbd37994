/**
 * ACPI tables for the guest (ACPI Specification 6.5, chapter 5 "ACPI Software Programming Model"),
 * built into guest memory at a given address in the BIOS area so that the kernel's scan of
 * 0xE0000-0xFFFFF finds the RSDP:
 *
 *   RSDP (rev 0, 20 bytes, 16-byte aligned)  -> RSDT
 *   RSDT  -> FADT, and MADT when there is a local APIC
 *   FADT (rev 1, 116 bytes): SCI on IRQ 9, no SMI command port (the machine is always in ACPI
 *         mode), PM1a event block, PM1a control block and PM timer at the ports of acpi-pm.ts,
 *         CMOS century at 0x32, no C2/C3; -> FACS, DSDT
 *   FACS (64 bytes, 64-byte aligned)
 *   DSDT: the header and one AML statement, `Name (_S5, Package (2) { 5, 5 })`, which tells the OS
 *         to write SLP_TYP = 5 with SLP_EN to PM1a_CNT to enter S5 (soft off, §7.4.2). Its bytes
 *         (ACPI §20.2, AML grammar):
 *           08              NameOp
 *           5F 53 35 5F     NameString "_S5_"
 *           12              PackageOp
 *           06              PkgLength: 6 bytes from here to the end of the package
 *           02              NumElements
 *           0A 05           BytePrefix 5   (SLP_TYPa)
 *           0A 05           BytePrefix 5   (SLP_TYPb)
 *   MADT ("APIC"): local APIC address, PCAT_COMPAT (8259s present), one enabled processor local
 *         APIC (ACPI processor UID 0, APIC ID 0); no I/O APIC, so the OS keeps the 8259s.
 * Each table's bytes sum to 0 mod 256 (the checksum field makes it so); the RSDP checksum covers
 * its first 20 bytes.
 */

export const AcpiPorts = {
  PM1A_EVT: 0x600,
  PM1A_CNT: 0x604,
  PM_TMR: 0x608,
  /** Number of ports the PM device claims from PM1A_EVT. */
  LENGTH: 12,
} as const;

/** SLP_TYP value for S5 (must match the DSDT's \_S5 package above). */
export const SLP_TYP_S5 = 5;
export const SCI_IRQ = 9;

/** AML of `Name (_S5, Package (2) { 5, 5 })` (see the file comment for each byte). */
export const AML_S5 = Uint8Array.from([0x08, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x06, 0x02, 0x0a, SLP_TYP_S5, 0x0a, SLP_TYP_S5]);

const OEM_ID = 'X86JIT';
const OEM_TABLE_ID = 'X86JITPC';

export interface AcpiOptions {
  /** Guest-physical address where the tables start (16-byte aligned; RSDP first). */
  base: number;
  /** Add a MADT with one local APIC at this address (null: no MADT). */
  localApic: number | null;
}

export interface AcpiImage {
  /** Guest-physical address of the RSDP. */
  rsdp: number;
  /** The bytes to place at `base`. */
  bytes: Uint8Array;
  /** Addresses of each table, for tests and logs. */
  tables: Record<string, number>;
}

class Writer {
  readonly buf = new Uint8Array(0x1000);
  readonly view = new DataView(this.buf.buffer);
  pos = 0;

  align(n: number): void {
    this.pos = Math.ceil(this.pos / n) * n;
  }

  u8(off: number, v: number): void {
    this.buf[off] = v;
  }

  u16(off: number, v: number): void {
    this.view.setUint16(off, v, true);
  }

  u32(off: number, v: number): void {
    this.view.setUint32(off, v >>> 0, true);
  }

  ascii(off: number, s: string, len: number): void {
    for (let i = 0; i < len; i++) this.buf[off + i] = i < s.length ? s.charCodeAt(i) : 0x20;
  }

  /** Fill the 36-byte system description table header (§5.2.6) of a table at `off`, `len` long. */
  header(off: number, sig: string, len: number, revision: number): void {
    this.ascii(off, sig, 4);
    this.u32(off + 4, len);
    this.u8(off + 8, revision);
    this.ascii(off + 10, OEM_ID, 6);
    this.ascii(off + 16, OEM_TABLE_ID, 8);
    this.u32(off + 24, 1); // OEM revision
    this.ascii(off + 28, 'XJIT', 4); // creator ID
    this.u32(off + 32, 1); // creator revision
  }

  /** Set the checksum byte at `off + at` so that bytes [off, off+len) sum to 0. */
  checksum(off: number, len: number, at: number): void {
    this.buf[off + at] = 0;
    let s = 0;
    for (let i = 0; i < len; i++) s += this.buf[off + i];
    this.buf[off + at] = (256 - (s & 0xff)) & 0xff;
  }
}

export function buildAcpiTables(opts: AcpiOptions): AcpiImage {
  const w = new Writer();
  const base = opts.base >>> 0;
  const at = (off: number) => base + off;

  // Layout: RSDP, RSDT, FADT, MADT, DSDT, then FACS on a 64-byte boundary.
  const rsdp = 0;
  const rsdt = 32;
  const nEntries = opts.localApic !== null ? 2 : 1;
  const rsdtLen = 36 + 4 * nEntries;
  w.pos = rsdt + rsdtLen;
  w.align(16);
  const fadt = w.pos;
  const fadtLen = 116;
  w.pos += fadtLen;
  w.align(16);
  let madt = -1;
  const madtLen = 36 + 8 + 8;
  if (opts.localApic !== null) {
    madt = w.pos;
    w.pos += madtLen;
    w.align(16);
  }
  const dsdt = w.pos;
  const dsdtLen = 36 + AML_S5.length;
  w.pos += dsdtLen;
  w.align(64);
  const facs = w.pos;
  w.pos += 64;

  // RSDP (§5.2.5.3), revision 0.
  w.ascii(rsdp, 'RSD PTR ', 8);
  w.ascii(rsdp + 9, OEM_ID, 6);
  w.u8(rsdp + 15, 0);
  w.u32(rsdp + 16, at(rsdt));
  w.checksum(rsdp, 20, 8);

  // RSDT (§5.2.7).
  w.header(rsdt, 'RSDT', rsdtLen, 1);
  w.u32(rsdt + 36, at(fadt));
  if (madt >= 0) w.u32(rsdt + 40, at(madt));
  w.checksum(rsdt, rsdtLen, 9);

  // FADT (§5.2.9), revision 1 layout.
  w.header(fadt, 'FACP', fadtLen, 1);
  w.u32(fadt + 36, at(facs)); // FIRMWARE_CTRL
  w.u32(fadt + 40, at(dsdt)); // DSDT
  w.u8(fadt + 44, 0); // INT_MODEL: dual PIC
  w.u16(fadt + 46, SCI_IRQ); // SCI_INT
  w.u32(fadt + 48, 0); // SMI_CMD: none, ACPI mode is fixed
  w.u32(fadt + 56, AcpiPorts.PM1A_EVT); // PM1a_EVT_BLK
  w.u32(fadt + 64, AcpiPorts.PM1A_CNT); // PM1a_CNT_BLK
  w.u32(fadt + 76, AcpiPorts.PM_TMR); // PM_TMR_BLK
  w.u8(fadt + 88, 4); // PM1_EVT_LEN
  w.u8(fadt + 89, 2); // PM1_CNT_LEN
  w.u8(fadt + 91, 4); // PM_TMR_LEN
  w.u16(fadt + 96, 101); // P_LVL2_LAT > 100: C2 not supported
  w.u16(fadt + 98, 1001); // P_LVL3_LAT > 1000: C3 not supported
  w.u8(fadt + 108, 0x32); // CENTURY: CMOS index of the century byte
  // Flags: WBINVD (0), PROC_C1 (2), PWR_BUTTON (4: no fixed power button), SLP_BUTTON (5: none).
  w.u32(fadt + 112, (1 << 0) | (1 << 2) | (1 << 4) | (1 << 5));
  w.checksum(fadt, fadtLen, 9);

  // MADT (§5.2.12).
  if (madt >= 0) {
    w.header(madt, 'APIC', madtLen, 1);
    w.u32(madt + 36, opts.localApic!); // local interrupt controller address
    w.u32(madt + 40, 1); // PCAT_COMPAT: dual 8259s present
    w.u8(madt + 44, 0); // type 0: processor local APIC
    w.u8(madt + 45, 8);
    w.u8(madt + 46, 0); // ACPI processor UID
    w.u8(madt + 47, 0); // APIC ID
    w.u32(madt + 48, 1); // enabled
    w.checksum(madt, madtLen, 9);
  }

  // DSDT (§5.2.11.1): revision 1 (32-bit integers).
  w.header(dsdt, 'DSDT', dsdtLen, 1);
  w.buf.set(AML_S5, dsdt + 36);
  w.checksum(dsdt, dsdtLen, 9);

  // FACS (§5.2.10): no checksum; hardware signature 0, no waking vector, no global lock.
  w.ascii(facs, 'FACS', 4);
  w.u32(facs + 4, 64);

  const tables: Record<string, number> = { RSDP: at(rsdp), RSDT: at(rsdt), FACP: at(fadt), DSDT: at(dsdt), FACS: at(facs) };
  if (madt >= 0) tables.APIC = at(madt);
  return { rsdp: at(rsdp), bytes: w.buf.slice(0, w.pos), tables };
}
