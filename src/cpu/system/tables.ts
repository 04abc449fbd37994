/**
 * Descriptor-table registers: LGDT/LIDT/SGDT/SIDT, LLDT/SLDT, LTR/STR (SDM Vol. 2; Vol. 3 §2.4).
 *
 * LGDT/LIDT with a 16-bit operand size load a 24-bit base. SGDT/SIDT store the full 32-bit base in
 * either size (SDM Vol. 2 SGDT, legacy mode). LLDT/LTR/SLDT/STR are #UD outside protected mode.
 */
import { OpKind, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { raise, raiseCode, Vec } from '../fault.js';
import { def } from '../handlers.js';
import { Desc, DescType, readDescOrFault, setTssBusy } from './descriptors.js';
import { isProtected } from './segments.js';

const d = new Desc();

function requireCpl0(cpu: Cpu): void {
  if (cpu.cpl !== 0) raiseCode(cpu, Vec.GP, 0);
}

/** Offset of the memory operand plus `k`, wrapped to the address size. */
function memOff(cpu: Cpu, i: Insn, k: number): number {
  const off = cpu.ea(i);
  return i.asize === 2 ? (off + k) & 0xffff : (off + k) | 0;
}

function loadTableRegister(cpu: Cpu, i: Insn, idt: boolean): void {
  if (i.k0 !== OpKind.Mem) raise(cpu, Vec.UD);
  requireCpl0(cpu);
  const limit = cpu.readMem(i.seg, memOff(cpu, i, 0), 2);
  let base = cpu.readMem(i.seg, memOff(cpu, i, 2), 4);
  if (i.osize === 2) base &= 0xffffff;
  if (idt) {
    cpu.idtBase = base;
    cpu.idtLimit = limit;
  } else {
    cpu.gdtBase = base;
    cpu.gdtLimit = limit;
  }
}

function storeTableRegister(cpu: Cpu, i: Insn, idt: boolean): void {
  if (i.k0 !== OpKind.Mem) raise(cpu, Vec.UD);
  const limit = idt ? cpu.idtLimit : cpu.gdtLimit;
  const base = idt ? cpu.idtBase : cpu.gdtBase;
  // Probe the whole 6 bytes before writing (no partial store on a fault).
  cpu.readMem(i.seg, memOff(cpu, i, 0), 2);
  cpu.writeMem(i.seg, memOff(cpu, i, 2), 4, base);
  cpu.writeMem(i.seg, memOff(cpu, i, 0), 2, limit);
}

def(Mn.LGDT, (cpu, i) => loadTableRegister(cpu, i, false));
def(Mn.LIDT, (cpu, i) => loadTableRegister(cpu, i, true));
def(Mn.SGDT, (cpu, i) => storeTableRegister(cpu, i, false));
def(Mn.SIDT, (cpu, i) => storeTableRegister(cpu, i, true));

/** Store a selector: a register destination gets it zero-extended to the operand size. */
function storeSelector(cpu: Cpu, i: Insn, sel: number): void {
  if (i.k0 === OpKind.Mem) cpu.writeMem(i.seg, cpu.ea(i), 2, sel);
  else cpu.setReg(i.v0, i.s0 === 1 ? 2 : i.s0, sel & 0xffff);
}

def(Mn.SLDT, (cpu, i) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  storeSelector(cpu, i, cpu.ldtSel);
});

def(Mn.STR, (cpu, i) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  storeSelector(cpu, i, cpu.trSel);
});

def(Mn.LLDT, (cpu, i) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  requireCpl0(cpu);
  const sel = cpu.readOp(i, 0) & 0xffff;
  if ((sel & 0xfffc) === 0) {
    cpu.ldtSel = sel;
    cpu.ldtBase = 0;
    cpu.ldtLimit = 0;
    return;
  }
  if ((sel & 4) !== 0) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  readDescOrFault(cpu, sel, d, Vec.GP);
  if (d.isCodeData || d.type !== DescType.LDT) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  if (!d.present) raiseCode(cpu, Vec.NP, sel & 0xfffc);
  cpu.ldtSel = sel;
  cpu.ldtBase = d.base;
  cpu.ldtLimit = d.limit;
});

def(Mn.LTR, (cpu, i) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  requireCpl0(cpu);
  const sel = cpu.readOp(i, 0) & 0xffff;
  if ((sel & 0xfffc) === 0) raiseCode(cpu, Vec.GP, 0);
  if ((sel & 4) !== 0) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  readDescOrFault(cpu, sel, d, Vec.GP);
  if (d.isCodeData || (d.type !== DescType.TSS32_AVAIL && d.type !== DescType.TSS16_AVAIL)) raiseCode(cpu, Vec.GP, sel & 0xfffc);
  if (!d.present) raiseCode(cpu, Vec.NP, sel & 0xfffc);
  setTssBusy(cpu, d, true);
  cpu.trSel = sel;
  cpu.trBase = d.base;
  cpu.trLimit = d.limit;
  cpu.trAttr = d.attr;
});
