/**
 * Port I/O protection and the IN/OUT/CLI/STI instructions.
 *
 * I/O permission (SDM Vol. 1 §19.5.1-2): in protected mode with CPL > IOPL, and always in
 * virtual-8086 mode, each port of the access must have a clear bit in the TSS I/O permission bitmap;
 * otherwise (or if the bitmap lies beyond the TSS limit) #GP(0). The accesses themselves are VM exits
 * (Cpu.ioIn/ioOut). INS/OUTS (string unit) call checkIoPermission too.
 */
import { OpKind, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { raiseCode, Vec } from '../fault.js';
import { def } from '../handlers.js';
import { CR0, CR4, EF } from '../state.js';

/** Raise #GP(0) unless the current task may access ports port..port+size-1. */
export function checkIoPermission(cpu: Cpu, port: number, size: number): void {
  if ((cpu.cr0 & CR0.PE) === 0) return;
  const vm = (cpu.eflags & EF.VM) !== 0;
  if (!vm && cpu.cpl <= ((cpu.eflags >> EF.IOPL_SHIFT) & 3)) return;
  // Only a 32-bit TSS has a bitmap (types 9/11).
  if ((cpu.trAttr & 0x1d) !== 0x09) raiseCode(cpu, Vec.GP, 0);
  const limit = cpu.trLimit >>> 0;
  if (limit < 0x67) raiseCode(cpu, Vec.GP, 0);
  const mapBase = cpu.mmu.sysRead16((cpu.trBase + 0x66) | 0);
  const byteOff = mapBase + ((port & 0xffff) >>> 3);
  // Two bytes are always read (SDM Vol. 1 §19.5.2): both must be inside the TSS limit.
  if (byteOff + 1 > limit) raiseCode(cpu, Vec.GP, 0);
  const bits = cpu.mmu.sysRead16((cpu.trBase + byteOff) | 0);
  const mask = ((1 << size) - 1) << (port & 7);
  if ((bits & mask) !== 0) raiseCode(cpu, Vec.GP, 0);
}

/** IN AL/AX/EAX, imm8|DX. */
def(Mn.IN, (cpu: Cpu, i: Insn) => {
  const port = i.k1 === OpKind.Imm ? i.v1 & 0xff : cpu.regs[2] & 0xffff;
  const size = i.s0;
  checkIoPermission(cpu, port, size);
  cpu.setReg(0, size, cpu.ioIn(port, size));
});

/** OUT imm8|DX, AL/AX/EAX. */
def(Mn.OUT, (cpu: Cpu, i: Insn) => {
  const port = i.k0 === OpKind.Imm ? i.v0 & 0xff : cpu.regs[2] & 0xffff;
  const size = i.s1;
  checkIoPermission(cpu, port, size);
  cpu.ioOut(port, size, cpu.getReg(0, size));
});

/**
 * Whether CLI/STI may change IF, or (VME/PVI) VIF instead, per the tables in SDM Vol. 2 CLI/STI.
 * Returns 1 = change IF, 2 = change VIF, raises #GP(0) otherwise.
 */
function interruptFlagAccess(cpu: Cpu): number {
  if ((cpu.cr0 & CR0.PE) === 0) return 1;
  const iopl = (cpu.eflags >> EF.IOPL_SHIFT) & 3;
  if ((cpu.eflags & EF.VM) !== 0) {
    if (iopl === 3) return 1;
    if ((cpu.cr4 & CR4.VME) !== 0) return 2;
    raiseCode(cpu, Vec.GP, 0);
  }
  if (cpu.cpl <= iopl) return 1;
  if (cpu.cpl === 3 && (cpu.cr4 & CR4.PVI) !== 0) return 2;
  raiseCode(cpu, Vec.GP, 0);
}

def(Mn.CLI, (cpu: Cpu) => {
  if (interruptFlagAccess(cpu) === 1) cpu.eflags &= ~EF.IF;
  else cpu.eflags &= ~EF.VIF;
});

def(Mn.STI, (cpu: Cpu) => {
  if (interruptFlagAccess(cpu) === 1) {
    // Interrupts stay inhibited until after the next instruction (SDM Vol. 3 §6.8.3).
    if ((cpu.eflags & EF.IF) === 0) cpu.intShadow = true;
    cpu.eflags |= EF.IF;
  } else {
    if ((cpu.eflags & EF.VIP) !== 0) raiseCode(cpu, Vec.GP, 0);
    cpu.eflags |= EF.VIF;
  }
});
