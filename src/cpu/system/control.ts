/**
 * Control registers and the instructions that leave to the hypervisor: MOV CRn/DRn, CLTS, LMSW,
 * SMSW, INVLPG, HLT, CPUID, RDMSR/WRMSR, RDTSC, RDPMC, WBINVD/INVD, VMCALL, RSM, and the no-op
 * cache/ordering hints (SDM Vol. 2; CR semantics Vol. 3 §2.5).
 *
 * TLB flushes follow SDM Vol. 3 §4.10.4.1: a CR3 write drops non-global entries; changing CR0.PG,
 * CR0.WP, CR4.PGE or CR4.PSE drops everything. Writes to CR0/CR3/CR4 (and LMSW, CLTS) then exit with
 * ExitReason.MovCr (value already applied).
 *
 * Every MSR is a VM exit: the hypervisor's MSR table (src/hv/msr.ts) owns them, including the
 * SYSENTER MSRs it stores into the CPU state.
 */
import { OpKind, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { ExitReason } from '../exit.js';
import type { Cpu } from '../cpu.js';
import { raise, raiseCode, Vec } from '../fault.js';
import { def, isImplemented } from '../handlers.js';
import { CR0, CR4 } from '../state.js';

/** CR4 bits we implement (no PAE paging, no VMX/SMX/SMEP...): others raise #GP(0). */
const CR4_SUPPORTED = CR4.VME | CR4.PVI | CR4.TSD | CR4.DE | CR4.PSE | CR4.MCE | CR4.PGE | CR4.PCE | CR4.OSFXSR | CR4.OSXMMEXCPT;

function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0) raiseCode(cpu, Vec.GP, 0);
}

function exitMovCr(cpu: Cpu, cr: number, value: number): void {
  const x = cpu.exit;
  x.reason = ExitReason.MovCr;
  x.cr = cr;
  x.value = value;
  cpu.hv.handleExit(x);
}

/** Write CR0 with the checks of SDM Vol. 2 MOV CRn (#GP(0): PG without PE, NW without CD). */
export function writeCr0(cpu: Cpu, v: number): void {
  v |= CR0.ET; // hardwired on i486 and later
  if ((v & CR0.PG) !== 0 && (v & CR0.PE) === 0) raiseCode(cpu, Vec.GP, 0);
  if ((v & CR0.NW) !== 0 && (v & CR0.CD) === 0) raiseCode(cpu, Vec.GP, 0);
  // Reserved bits of CR0 are ignored on write (and read as 0).
  v &= CR0.PE | CR0.MP | CR0.EM | CR0.TS | CR0.ET | CR0.NE | CR0.WP | CR0.AM | CR0.NW | CR0.CD | CR0.PG;
  const changed = cpu.cr0 ^ v;
  cpu.cr0 = v;
  if ((changed & (CR0.PG | CR0.WP | CR0.PE)) !== 0) cpu.mmu.flush(true);
  exitMovCr(cpu, 0, v);
}

export function writeCr3(cpu: Cpu, v: number): void {
  cpu.cr3 = v & ~0xfe7; // PDBR, PCD, PWT
  cpu.mmu.flush(false);
  exitMovCr(cpu, 3, cpu.cr3);
}

export function writeCr4(cpu: Cpu, v: number): void {
  if ((v & ~CR4_SUPPORTED) !== 0) raiseCode(cpu, Vec.GP, 0);
  const changed = cpu.cr4 ^ v;
  cpu.cr4 = v;
  if ((changed & (CR4.PGE | CR4.PSE | CR4.PAE)) !== 0) cpu.mmu.flush(true);
  exitMovCr(cpu, 4, v);
}

/** MOV CRn, r32 / MOV r32, CRn. */
def(Mn.MOVCR, (cpu: Cpu, i: Insn) => {
  const toCr = i.k0 === OpKind.Creg;
  const cr = toCr ? i.v0 : i.v1;
  if (cr === 1 || cr > 4) raise(cpu, Vec.UD);
  requireCpl0(cpu);
  if (toCr) {
    const v = cpu.regs[i.v1];
    if (cr === 0) writeCr0(cpu, v);
    else if (cr === 2) cpu.cr2 = v;
    else if (cr === 3) writeCr3(cpu, v);
    else writeCr4(cpu, v);
  } else {
    cpu.regs[i.v0] = cr === 0 ? cpu.cr0 : cr === 2 ? cpu.cr2 : cr === 3 ? cpu.cr3 : cpu.cr4;
  }
});

/** MOV DRn, r32 / MOV r32, DRn (DR4/DR5 alias DR6/DR7 unless CR4.DE, SDM Vol. 3 §17.2.2). */
def(Mn.MOVDR, (cpu: Cpu, i: Insn) => {
  const toDr = i.k0 === OpKind.Dreg;
  let dr = toDr ? i.v0 : i.v1;
  requireCpl0(cpu);
  if (dr === 4 || dr === 5) {
    if ((cpu.cr4 & CR4.DE) !== 0) raise(cpu, Vec.UD);
    dr += 2;
  }
  if (toDr) {
    let v = cpu.regs[i.v1];
    if (dr === 6) v = (v & 0xe00f) | 0xffff0ff0;
    else if (dr === 7) v = (v & 0xffff2bff) | 0x400;
    cpu.dr[dr] = v;
  } else {
    cpu.regs[i.v0] = cpu.dr[dr];
  }
});

def(Mn.CLTS, (cpu: Cpu) => {
  requireCpl0(cpu);
  cpu.cr0 &= ~CR0.TS;
  exitMovCr(cpu, 0, cpu.cr0);
});

/** LMSW: loads PE, MP, EM, TS; PE can be set but not cleared (SDM Vol. 2 LMSW). */
def(Mn.LMSW, (cpu: Cpu, i: Insn) => {
  requireCpl0(cpu);
  const v = cpu.readOp(i, 0) & 0xf;
  const nv = (cpu.cr0 & ~0xe) | v | (cpu.cr0 & CR0.PE);
  const changed = cpu.cr0 ^ nv;
  cpu.cr0 = nv;
  if ((changed & CR0.PE) !== 0) cpu.mmu.flush(true);
  exitMovCr(cpu, 0, nv);
});

/** SMSW: a register gets CR0 (its size), memory gets the low 16 bits. */
def(Mn.SMSW, (cpu: Cpu, i: Insn) => {
  if (i.k0 === OpKind.Mem) cpu.writeMem(i.seg, cpu.ea(i), 2, cpu.cr0 & 0xffff);
  else cpu.setReg(i.v0, i.s0, cpu.cr0);
});

def(Mn.INVLPG, (cpu: Cpu, i: Insn) => {
  if (i.k0 !== OpKind.Mem) raise(cpu, Vec.UD);
  requireCpl0(cpu);
  const lin = (cpu.segBase[i.seg] + cpu.ea(i)) | 0;
  cpu.mmu.invlpg(lin);
  const x = cpu.exit;
  x.reason = ExitReason.Invlpg;
  x.value = lin;
  cpu.hv.handleExit(x);
});

def(Mn.HLT, (cpu: Cpu) => {
  requireCpl0(cpu);
  // The handler may clear `halted` again (e.g. an interrupt is already pending).
  cpu.halted = true;
  cpu.exit.reason = ExitReason.Hlt;
  cpu.hv.handleExit(cpu.exit);
  cpu.intrDirty = true;
});

def(Mn.CPUID, (cpu: Cpu) => {
  const x = cpu.exit;
  x.reason = ExitReason.Cpuid;
  x.eax = cpu.regs[0];
  x.ecx = cpu.regs[1];
  x.ebx = 0;
  x.edx = 0;
  cpu.hv.handleExit(x);
  cpu.regs[0] = x.eax;
  cpu.regs[1] = x.ecx;
  cpu.regs[2] = x.edx;
  cpu.regs[3] = x.ebx;
});

def(Mn.RDMSR, (cpu: Cpu) => {
  requireCpl0(cpu);
  const msr = cpu.regs[1] >>> 0;
  const x = cpu.exit;
  x.reason = ExitReason.Rdmsr;
  x.ecx = msr;
  x.eax = 0;
  x.edx = 0;
  x.fault = false;
  cpu.hv.handleExit(x);
  if (x.fault) raiseCode(cpu, Vec.GP, 0);
  cpu.regs[0] = x.eax;
  cpu.regs[2] = x.edx;
});

def(Mn.WRMSR, (cpu: Cpu) => {
  requireCpl0(cpu);
  const msr = cpu.regs[1] >>> 0;
  const x = cpu.exit;
  x.reason = ExitReason.Wrmsr;
  x.ecx = msr;
  x.eax = cpu.regs[0];
  x.edx = cpu.regs[2];
  x.fault = false;
  cpu.hv.handleExit(x);
  cpu.intrDirty = true; // e.g. IA32_APIC_BASE or the TSC deadline: the controllers may have changed
  if (x.fault) raiseCode(cpu, Vec.GP, 0);
});

def(Mn.RDTSC, (cpu: Cpu) => {
  if ((cpu.cr4 & CR4.TSD) !== 0 && cpu.cpl !== 0 && (cpu.cr0 & CR0.PE) !== 0) raiseCode(cpu, Vec.GP, 0);
  const t = cpu.time.tsc();
  cpu.regs[0] = t >>> 0;
  cpu.regs[2] = Math.floor(t / 4294967296) | 0;
});

/** RDTSCP (0F 01 F9): EDX:EAX = TSC, ECX = IA32_TSC_AUX (MSR 0xC0000103, through the MSR exit). */
def(Mn.RDTSCP, (cpu: Cpu) => {
  if ((cpu.cr4 & CR4.TSD) !== 0 && cpu.cpl !== 0 && (cpu.cr0 & CR0.PE) !== 0) raiseCode(cpu, Vec.GP, 0);
  const x = cpu.exit;
  x.reason = ExitReason.Rdmsr;
  x.ecx = 0xc0000103;
  x.eax = 0;
  x.edx = 0;
  x.fault = false;
  cpu.hv.handleExit(x);
  const aux = x.fault ? 0 : x.eax;
  const t = cpu.time.tsc();
  cpu.regs[0] = t >>> 0;
  cpu.regs[2] = Math.floor(t / 4294967296) | 0;
  cpu.regs[1] = aux;
});

/** RDPMC: no performance counters are implemented; counters 0/1 read as 0. */
def(Mn.RDPMC, (cpu: Cpu) => {
  if ((cpu.cr4 & CR4.PCE) === 0 && cpu.cpl !== 0 && (cpu.cr0 & CR0.PE) !== 0) raiseCode(cpu, Vec.GP, 0);
  if ((cpu.regs[1] >>> 0) > 1) raiseCode(cpu, Vec.GP, 0);
  cpu.regs[0] = 0;
  cpu.regs[2] = 0;
});

function cacheFlush(cpu: Cpu): void {
  requireCpl0(cpu);
  cpu.exit.reason = ExitReason.CacheFlush;
  cpu.hv.handleExit(cpu.exit);
}
def(Mn.WBINVD, cacheFlush);
def(Mn.INVD, cacheFlush);

/** VMCALL: the hypercall ABI passes EAX..EDX both ways. */
def(Mn.VMCALL, (cpu: Cpu) => {
  // Any CPL may call the hypervisor; it refuses non-zero CPLs itself (-1, like KVM's -KVM_EPERM).
  const x = cpu.exit;
  x.reason = ExitReason.Vmcall;
  x.eax = cpu.regs[0];
  x.ecx = cpu.regs[1];
  x.edx = cpu.regs[2];
  x.ebx = cpu.regs[3];
  cpu.hv.handleExit(x);
  cpu.intrDirty = true;
  cpu.regs[0] = x.eax;
  cpu.regs[1] = x.ecx;
  cpu.regs[2] = x.edx;
  cpu.regs[3] = x.ebx;
});

/** RSM outside system-management mode (never entered here): #UD. */
def(Mn.RSM, (cpu: Cpu) => raise(cpu, Vec.UD));

const noop = (): void => {};
def(Mn.LFENCE, noop);
def(Mn.MFENCE, noop);
def(Mn.SFENCE, noop);
def(Mn.PREFETCH, noop);
/** CLFLUSH: no caches are modelled. */
def(Mn.CLFLUSH, noop);
// NOP/PAUSE/UD2 belong to the integer unit; registered here only if it has not.
if (!isImplemented(Mn.NOP)) def(Mn.NOP, noop);
if (!isImplemented(Mn.PAUSE)) def(Mn.PAUSE, noop);
if (!isImplemented(Mn.UD2)) def(Mn.UD2, (cpu: Cpu) => raise(cpu, Vec.UD));

