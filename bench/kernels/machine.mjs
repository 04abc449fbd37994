/**
 * Bare machines for bench/jit-kernels.mjs: flat 32-bit protected mode (CPL 0, GDT/IDT in low RAM),
 * no devices; HLT ends a run. Also: assembling small drivers (GNU as + ld), loading ELF segments,
 * 4 MiB-page (PSE) page tables, state digests for the interpreter/JIT comparison.
 *
 * Low-memory layout (linear = physical there):
 *   0x0000 scratch (busybox reads its stack-protector canary at %gs:0x14 = 0x14 with GS flat)
 *   0x0800 GDT: 0x08 code, 0x10 data (DPL 0), slot 6 (0x33) for the process's set_thread_area
 *   0x0c00 syscall block (the int 0x80 stub stores eax..ebp here, the host reads/writes it)
 *   0x1000 IDT (vector 0x80 only), 0x2000 int 0x80 stub, 0x3000 driver code, 0x6000 page directory
 *   0x10000-0x80000 stack of the direct-call drivers
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cpu } from '../../dist/cpu/cpu.js';
import { getEflags, setEflags } from '../../dist/cpu/flags.js';
import { ExitReason } from '../../dist/cpu/exit.js';
import { MmioBus } from '../../dist/hv/mmio-bus.js';
import { PhysMemory } from '../../dist/mem/phys.js';

export const GDT = 0x800, SCB = 0xc00, IDT = 0x1000, STUB = 0x2000, DRIVER = 0x3000, PD = 0x6000, STACK_TOP = 0x80000;
export const SYSCALL_PORT = 0xe0;

/** Assemble Intel-syntax 32-bit code linked at `org` (GNU as + ld, so `call ABSOLUTE` works). */
export function asm(src, org) {
  const dir = mkdtempSync(join(tmpdir(), 'x86jit-kern-'));
  try {
    const s = join(dir, 'a.s'), o = join(dir, 'a.o'), b = join(dir, 'a.bin');
    writeFileSync(s, `.intel_syntax noprefix\n.code32\n.globl _start\n_start:\n${src}\n`);
    execFileSync('as', ['--32', '-o', o, s]);
    execFileSync('ld', ['-m', 'elf_i386', '-Ttext', `0x${org.toString(16)}`, '-e', '_start', '--oformat', 'binary', '-o', b, o]);
    return new Uint8Array(readFileSync(b));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PT_LOAD segments of an ELF32 file: { vaddr, paddr, data (file bytes), memsz }. */
export function elfSegments(file) {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (dv.getUint32(0) !== 0x7f454c46 || file[4] !== 1) throw new Error('not an ELF32 file');
  const phoff = dv.getUint32(28, true), phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
  const segs = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== 1) continue;
    const off = dv.getUint32(p + 4, true), vaddr = dv.getUint32(p + 8, true), paddr = dv.getUint32(p + 12, true);
    const filesz = dv.getUint32(p + 16, true), memsz = dv.getUint32(p + 20, true);
    segs.push({ vaddr, paddr, data: file.subarray(off, off + filesz), memsz });
  }
  return { entry: dv.getUint32(24, true), phoff, phnum, phentsize, segs };
}

/**
 * A machine: `cpu`, `phys`; `onIn(port)` handles IN (the syscall port); HLT halts; a triple fault
 * or any other exit than the ones expected throws.
 */
export function bareMachine(memBytes) {
  const phys = new PhysMemory(memBytes, new MmioBus());
  const m = { phys, cpu: null, onIn: null, exits: 0 };
  const hv = {
    handleExit(x) {
      m.exits++;
      switch (x.reason) {
        case ExitReason.IoIn:
          if (!m.onIn) throw new Error(`unexpected IN from port ${x.port}`);
          x.value = m.onIn(x.port) | 0;
          return;
        case ExitReason.Hlt:
        case ExitReason.MovCr:
        case ExitReason.Cpuid: // all zero: no features beyond the baseline
          return;
        case ExitReason.TripleFault:
          throw new Error(`guest triple fault at eip 0x${(m.cpu.eip >>> 0).toString(16)} (exception ${m.cpu.excVector})`);
        default:
          throw new Error(`unexpected VM exit ${x.reason} at eip 0x${(m.cpu.eip >>> 0).toString(16)}`);
      }
    },
  };
  const cpu = new Cpu(phys, hv, { tsc: () => 0 });
  m.cpu = cpu;
  const dv = new DataView(phys.buffer);
  // GDT: null, flat code, flat data; slot 6 is the process's TLS (set_thread_area writes it).
  const desc = (i, base, limitPages, type, dpl) => {
    const lo = ((base & 0xffff) << 16) | (limitPages & 0xffff);
    const hi = (base & 0xff000000) | ((base >>> 16) & 0xff) | (limitPages & 0xf0000) | 0x00c00000 | (0x80 | (dpl << 5) | 0x10 | type) << 8;
    dv.setUint32(GDT + i * 8, lo >>> 0, true);
    dv.setUint32(GDT + i * 8 + 4, hi >>> 0, true);
  };
  desc(1, 0, 0xfffff, 0xb, 0);
  desc(2, 0, 0xfffff, 0x3, 0);
  m.setTls = (base, limitPages) => desc(6, base, limitPages, 0x3, 3);
  cpu.gdtBase = GDT;
  cpu.gdtLimit = 8 * 8 - 1;
  // IDT: vector 0x80 (interrupt gate, DPL 3) -> STUB; everything else not present (-> triple fault).
  const gate = IDT + 0x80 * 8;
  dv.setUint32(gate, (0x08 << 16) | (STUB & 0xffff), true);
  dv.setUint32(gate + 4, ((STUB & 0xffff0000) | 0xee00) >>> 0, true);
  cpu.idtBase = IDT;
  cpu.idtLimit = 0x81 * 8 - 1;
  // int 0x80 stub: registers to the syscall block, IN = "do the syscall", result back into EAX;
  // IN returning non-zero (exit_group) halts.
  phys.u8.set(asm(`
    mov [${SCB}], eax
    mov [${SCB + 4}], ebx
    mov [${SCB + 8}], ecx
    mov [${SCB + 12}], edx
    mov [${SCB + 16}], esi
    mov [${SCB + 20}], edi
    mov [${SCB + 24}], ebp
    push edx
    mov edx, ${SYSCALL_PORT}
    in al, dx
    test al, al
    jnz 1f
    pop edx
    mov eax, [${SCB}]
    iret
1:  hlt
    jmp 1b`, STUB), STUB);
  cpu.cr0 |= 1;
  for (let s = 0; s < 6; s++) {
    cpu.segSel[s] = s === 1 ? 0x08 : 0x10;
    cpu.segBase[s] = 0;
    cpu.segLimit[s] = -1;
    cpu.segAttr[s] = (s === 1 ? 0x9b : 0x93) | 0x4000;
  }
  cpu.code32 = cpu.stack32 = true;
  return m;
}

/** Page directory at PD with 4 MiB pages: identity for the first `identityMiB`, and linear
 *  0xC0000000 + x -> physical x (the i386 kernel's PAGE_OFFSET) for the same span. */
export function writeKernelPageDirectory(m, identityMiB) {
  const dv = new DataView(m.phys.buffer);
  for (let i = 0; i < identityMiB / 4; i++) {
    dv.setUint32(PD + i * 4, (i << 22) | 0x83, true); // P | RW | PS
    dv.setUint32(PD + (0x300 + i) * 4, (i << 22) | 0x83, true);
  }
}

/** Guest code that turns paging on (CR3 = PD, CR4.PSE, CR0.PG) and halts. */
export const ENABLE_PAGING = `
    mov eax, ${PD}
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    hlt`;

/** Start a run at `eip` with ESP = `esp`, other registers zero, EFLAGS = 2 (IF off). */
export function restart(cpu, eip, esp = STACK_TOP) {
  cpu.regs.fill(0);
  cpu.regs[4] = esp;
  setEflags(cpu, 2);
  cpu.halted = false;
  cpu.eip = eip;
}

/** Run the engine (cpu or jit) until HLT. Returns the guest instructions retired. */
export function runToHalt(cpu, engine, maxInsns = 2e10) {
  const before = cpu.icount;
  while (!cpu.halted) {
    engine.run(1 << 24);
    if (cpu.icount - before > maxInsns) throw new Error('no HLT within the instruction limit');
  }
  return cpu.icount - before;
}

/** Digest of the architectural registers and of memory ranges [[addr, len], ...]. */
export function stateDigest(cpu, phys, ranges, extra = '') {
  const h = createHash('sha256');
  h.update(new Uint8Array(Int32Array.from(cpu.regs).buffer));
  h.update(`eip=${cpu.eip >>> 0} eflags=${getEflags(cpu) >>> 0}`);
  for (const [a, n] of ranges) h.update(phys.u8.subarray(a, a + n));
  h.update(extra);
  return h.digest('hex');
}
