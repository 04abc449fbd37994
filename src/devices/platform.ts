/**
 * The PC platform: instantiates every device of src/devices, registers each on the I/O or MMIO
 * bus, marks the MMIO pages in the nested page table, writes the ACPI tables, and hands the
 * machine what it drives (interrupt source, timed devices, console input).
 *
 * Port map:  0x20-21 / 0xA0-A1 / 0x4D0-4D1 8259 pair + ELCR    0x40-43 8254    0x61 port B
 *            0x60, 0x64 i8042    0x70-71 RTC/CMOS    0x80 POST    0x3F8-3FF COM1 (IRQ 4)
 *            0x2F8-2FF COM2 (IRQ 3) when `com2Console` is given
 *            0xCF8-CFF PCI config mechanism #1    0x600-60B ACPI PM1a event/control, PM timer
 *            with testDevices: 0xE0-E7 and 0x2000-2017 pc-testdev, 0xF4-F7 isa-debug-exit
 * MMIO:      0xFEE00000 local APIC (4 KiB); with testDevices: 0xFF000000 pc-testdev memory (64 KiB)
 * Memory:    ACPI tables at `acpiBase` (default 0xE0000; must be RAM in the nested page table).
 *
 * Usage (the machine):
 *   const p = createPcPlatform({ io, mmio, phys, clock, ramBytes, console, testDevices, onReset,
 *                                onPowerOff, onDebugExit });
 *   cpu.intr = p.interrupts;                  // INTR/INTA (APIC first, then 8259 via LINT0)
 *   msrs: p.apic.getBaseMsr()/setBaseMsr(v)   // IA32_APIC_BASE (MSR 0x1B)
 *   each loop: for (d of p.timed) d.advance(now); next = min(d.nextDeadline(now))
 *   p.uart.receive(byte)                      // terminal input
 *   p.interrupts.takeNmi()                    // NMI IPIs for the CPU (an NMI pin of its own)
 *   boot_params / multiboot: p.acpiRsdp       // RSDP address (the kernel also finds it by scan)
 */
import type { IoBus } from '../hv/io-bus.js';
import type { MmioBus } from '../hv/mmio-bus.js';
import { NPT_MMIO, type PhysMemory } from '../mem/phys.js';
import { AcpiPorts, buildAcpiTables } from './acpi.js';
import { AcpiPm } from './acpi-pm.js';
import { APIC_DEFAULT_BASE, APIC_MMIO_SIZE, LocalApic } from './apic.js';
import { I8042 } from './i8042.js';
import { InterruptRouter } from './intr-router.js';
import { PciHost } from './pci-host.js';
import { PicPair } from './pic.js';
import { Pit8254 } from './pit.js';
import { PostPort } from './port80.js';
import { SystemControlPortB } from './port61.js';
import { Mc146818Rtc } from './rtc.js';
import {
  DEBUG_EXIT_PORT,
  IsaDebugExit,
  PC_TESTDEV_IRQ_PORT,
  PC_TESTDEV_IRQ_PORTS,
  PC_TESTDEV_MEM,
  PC_TESTDEV_MEM_SIZE,
  PcTestdevIrq,
  PC_TESTDEV_PORT,
  PcTestdevMemory,
  PcTestdevPorts,
} from './test-devices.js';
import type { Clock, Console, TimedDevice } from './types.js';
import { COM1, COM2, Uart16550 } from './uart16550.js';

export const ACPI_DEFAULT_BASE = 0xe0000;
/** RTC date of a deterministic run when none is given: 2025-01-01 00:00:00 UTC. */
export const DETERMINISTIC_START_MS = Date.UTC(2025, 0, 1);

/**
 * Host time, except under the machine's deterministic clock (its `mode` field), where the same
 * boot must print the same log: the kernel prints the RTC date (rtc_cmos, audit).
 */
function defaultStartTime(clock: Clock): number {
  return (clock as { mode?: unknown }).mode === 'deterministic' ? DETERMINISTIC_START_MS : Date.now();
}

export interface PcPlatformOptions {
  io: IoBus;
  mmio: MmioBus;
  phys: PhysMemory;
  clock: Clock;
  /** Guest RAM size in bytes (CMOS memory-size bytes). */
  ramBytes: number;
  /** COM1 output. */
  console: Console;
  /** COM2 (0x2F8, IRQ 3) output; no COM2 when absent. */
  com2Console?: Console;
  /** QEMU's isa-debug-exit and pc-testdev (kvm-unit-tests). */
  testDevices: boolean;
  /** i8042 reset (0xFE pulse, output port bit 0 low). */
  onReset: () => void;
  /** ACPI S5 (PM1a_CNT SLP_EN with SLP_TYP 5). */
  onPowerOff: () => void;
  /** isa-debug-exit write: the raw value; QEMU's exit status is (code << 1) | 1. */
  onDebugExit: (code: number) => void;
  /** pc-testdev port 0xE4: drop TLB entries of this guest-physical address (default: nothing). */
  onFlushPage?: (physAddr: number) => void;
  /** RTC time at virtual time 0, ms since the epoch (default: host time now, or
   *  DETERMINISTIC_START_MS when the clock's `mode` is 'deterministic'). */
  startTimeMs?: number;
  /** Local APIC present (default true). The CPUID APIC bit must agree. */
  apic?: boolean;
  /** Where to build the ACPI tables (default 0xE0000); null: no ACPI tables. */
  acpiBase?: number | null;
  /**
   * Add a MADT describing the local APIC (default false). Without an I/O APIC entry Linux logs
   * "ACPI: No IOAPIC entries present" at KERN_ERR; without a MADT it finds the APIC by CPUID and
   * uses it in virtual-wire mode all the same.
   */
  madt?: boolean;
}

export interface PcPlatform {
  interrupts: InterruptRouter;
  timed: TimedDevice[];
  uart: Uart16550;
  /** COM2, when `com2Console` was given. */
  uart2: Uart16550 | null;
  apic: LocalApic | null;
  pic: PicPair;
  pit: Pit8254;
  rtc: Mc146818Rtc;
  i8042: I8042;
  pm: AcpiPm;
  pci: PciHost;
  post: PostPort;
  /** Guest-physical address of the ACPI RSDP (0 when no tables were built). */
  acpiRsdp: number;
  testdevMemory: PcTestdevMemory | null;
  testdevPorts: PcTestdevPorts | null;
}

export function createPcPlatform(o: PcPlatformOptions): PcPlatform {
  const { io, mmio, phys, clock } = o;
  const pic = new PicPair();
  io.register(0x20, 2, pic, 'pic-master');
  io.register(0xa0, 2, pic, 'pic-slave');
  io.register(0x4d0, 2, pic, 'elcr');

  const pit = new Pit8254(clock, pic);
  io.register(0x40, 4, pit, 'pit');
  io.register(0x61, 1, new SystemControlPortB(pit, clock), 'port61');

  const rtc = new Mc146818Rtc(clock, pic, o.startTimeMs ?? defaultStartTime(clock), o.ramBytes);
  io.register(0x70, 2, rtc, 'rtc');

  const uart = new Uart16550(COM1.base, COM1.irq, pic, o.console);
  io.register(COM1.base, 8, uart, 'com1');

  let uart2: Uart16550 | null = null;
  if (o.com2Console) {
    uart2 = new Uart16550(COM2.base, COM2.irq, pic, o.com2Console);
    io.register(COM2.base, 8, uart2, 'com2');
  }

  const i8042 = new I8042(pic, o.onReset);
  io.register(0x60, 1, i8042, 'i8042-data');
  io.register(0x64, 1, i8042, 'i8042-cmd');

  const post = new PostPort();
  io.register(0x80, 1, post, 'post');

  const pci = new PciHost();
  io.register(0xcf8, 8, pci, 'pci-host');

  const pm = new AcpiPm(clock, o.onPowerOff);
  io.register(AcpiPorts.PM1A_EVT, AcpiPorts.LENGTH, pm, 'acpi-pm');

  let apic: LocalApic | null = null;
  if (o.apic ?? true) {
    apic = new LocalApic(clock);
    mmio.register(APIC_DEFAULT_BASE, APIC_MMIO_SIZE, apic, 'local-apic');
    phys.mapRange(APIC_DEFAULT_BASE, APIC_MMIO_SIZE, NPT_MMIO);
  }

  let testdevMemory: PcTestdevMemory | null = null;
  let testdevPorts: PcTestdevPorts | null = null;
  if (o.testDevices) {
    io.register(DEBUG_EXIT_PORT, 4, new IsaDebugExit(o.onDebugExit), 'isa-debug-exit');
    testdevPorts = new PcTestdevPorts(o.onFlushPage ?? (() => {}));
    io.register(PC_TESTDEV_PORT, 8, testdevPorts, 'pc-testdev');
    io.register(PC_TESTDEV_IRQ_PORT, PC_TESTDEV_IRQ_PORTS, new PcTestdevIrq(pic), 'pc-testdev-irq');
    testdevMemory = new PcTestdevMemory();
    mmio.register(PC_TESTDEV_MEM, PC_TESTDEV_MEM_SIZE, testdevMemory, 'pc-testdev-mem');
    phys.mapRange(PC_TESTDEV_MEM, PC_TESTDEV_MEM_SIZE, NPT_MMIO);
  }

  let acpiRsdp = 0;
  const acpiBase = o.acpiBase === undefined ? ACPI_DEFAULT_BASE : o.acpiBase;
  if (acpiBase !== null) {
    const img = buildAcpiTables({ base: acpiBase, localApic: apic && o.madt ? APIC_DEFAULT_BASE : null });
    for (let off = 0; off < img.bytes.length; off += 0x1000) {
      if (phys.hostOffset(acpiBase + off) < 0) {
        throw new Error(`platform: ACPI tables at 0x${(acpiBase + off).toString(16)} need guest RAM there`);
      }
    }
    phys.writeBytes(acpiBase, img.bytes);
    acpiRsdp = img.rsdp;
  }

  const timed: TimedDevice[] = [pit, rtc];
  if (apic) timed.push(apic);
  return {
    interrupts: new InterruptRouter(pic, apic),
    timed,
    uart,
    uart2,
    apic,
    pic,
    pit,
    rtc,
    i8042,
    pm,
    pci,
    post,
    acpiRsdp,
    testdevMemory,
    testdevPorts,
  };
}
