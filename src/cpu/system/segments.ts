/**
 * Segment register loads (SDM Vol. 3 §3.4.3, §5.4-5.6; Vol. 2 MOV/POP/LDS): real mode and VM86
 * (base = selector << 4) and protected mode with the descriptor checks of MOV Sreg. Also the
 * handlers of MOV Sreg and LDS/LES/LFS/LGS/LSS, and the helpers the far-transfer code uses to load CS
 * and SS from a descriptor already checked.
 *
 * A null selector in a data segment register is kept as an "unusable" cache whose attributes make
 * every access fail the limit check of Cpu.lin (expand-down, limit 0xFFFFFFFF, P = 0): any use then
 * raises #GP(0), as SDM Vol. 3 §5.4.1 requires, with no extra test on the access path.
 */
import { Seg, OpKind, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { raise, raiseCode, Vec } from '../fault.js';
import { def } from '../handlers.js';
import { CR0, EF, SegAttr } from '../state.js';
import { Desc, readDescOrFault, setAccessed } from './descriptors.js';

/** Attributes of the unusable (null) segment cache; see the file comment. */
export const NULL_SEG_ATTR = 0x4014;

const scratch = new Desc();

/** Protected mode (CR0.PE) and not virtual-8086 mode. */
export function isProtected(cpu: Cpu): boolean {
  return (cpu.cr0 & CR0.PE) !== 0 && (cpu.eflags & EF.VM) === 0;
}

/** Load the data/stack segment register `seg` (not CS) with `selector`, with all checks. */
export function loadSeg(cpu: Cpu, seg: number, selector: number): void {
  const sel = selector & 0xffff;
  if (!isProtected(cpu)) {
    loadSegRealMode(cpu, seg, sel);
    return;
  }
  if (seg === Seg.CS) throw new Error('loadSeg: CS is loaded by far transfers');
  const d = scratch;
  if ((sel & 0xfffc) === 0) {
    if (seg === Seg.SS) raiseCode(cpu, Vec.GP, 0);
    setNullSeg(cpu, seg, sel);
    return;
  }
  readDescOrFault(cpu, sel, d, Vec.GP);
  if (seg === Seg.SS) {
    if ((sel & 3) !== cpu.cpl || d.dpl !== cpu.cpl || !d.isData || !d.rw) raiseCode(cpu, Vec.GP, sel & 0xfffc);
    if (!d.present) raiseCode(cpu, Vec.SS, sel & 0xfffc);
  } else {
    // Data, or readable code (SDM Vol. 3 §5.6.1: conforming readable code skips the DPL check).
    if (!d.isCodeData || (d.isCode && !d.rw)) raiseCode(cpu, Vec.GP, sel & 0xfffc);
    if (!d.conforming && ((sel & 3) > d.dpl || cpu.cpl > d.dpl)) raiseCode(cpu, Vec.GP, sel & 0xfffc);
    if (!d.present) raiseCode(cpu, Vec.NP, sel & 0xfffc);
  }
  setAccessed(cpu, d);
  setSegFromDesc(cpu, seg, sel, d);
}

/** Real mode / VM86 load: base = selector << 4. VM86 also forces the limit and DPL-3 attributes. */
export function loadSegRealMode(cpu: Cpu, seg: number, sel: number): void {
  cpu.segSel[seg] = sel;
  cpu.segBase[seg] = sel << 4;
  if ((cpu.eflags & EF.VM) !== 0) {
    cpu.segLimit[seg] = 0xffff;
    cpu.segAttr[seg] = seg === Seg.CS ? 0xfb : 0xf3;
  } else if ((cpu.segAttr[seg] & SegAttr.P) === 0) {
    // Leaving an unusable (null) cache from protected mode: make it an ordinary real-mode segment.
    cpu.segLimit[seg] = 0xffff;
    cpu.segAttr[seg] = seg === Seg.CS ? 0x9b : 0x93;
  }
  if (seg === Seg.CS) {
    cpu.code32 = false;
    cpu.cpl = (cpu.eflags & EF.VM) !== 0 ? 3 : 0;
  } else if (seg === Seg.SS) {
    cpu.stack32 = (cpu.segAttr[Seg.SS] & SegAttr.DB) !== 0;
  }
}

export function setNullSeg(cpu: Cpu, seg: number, sel: number): void {
  cpu.segSel[seg] = sel;
  cpu.segBase[seg] = 0;
  cpu.segLimit[seg] = -1;
  cpu.segAttr[seg] = NULL_SEG_ATTR;
}

/** Fill a segment cache from a checked descriptor (not CS; see setCs). */
export function setSegFromDesc(cpu: Cpu, seg: number, sel: number, d: Desc): void {
  cpu.segSel[seg] = sel;
  cpu.segBase[seg] = d.base;
  cpu.segLimit[seg] = d.limit;
  cpu.segAttr[seg] = d.attr;
  if (seg === Seg.SS) cpu.stack32 = (d.attr & SegAttr.DB) !== 0;
}

/** Load CS from a checked code descriptor; the new CPL is `cpl` and becomes the selector's RPL. */
export function setCs(cpu: Cpu, sel: number, d: Desc, cpl: number): void {
  cpu.segSel[Seg.CS] = (sel & 0xfffc) | cpl;
  cpu.segBase[Seg.CS] = d.base;
  cpu.segLimit[Seg.CS] = d.limit;
  cpu.segAttr[Seg.CS] = d.attr;
  cpu.code32 = (d.attr & SegAttr.DB) !== 0;
  cpu.cpl = cpl;
}

/**
 * After a return to an outer privilege level (RET far, IRET): data segment registers that the new
 * CPL may not use become null (SDM Vol. 3 §5.8.6, RET pseudocode).
 */
export function nullInaccessibleDataSegs(cpu: Cpu): void {
  for (let s = 0; s < 6; s++) {
    if (s === Seg.CS || s === Seg.SS) continue;
    const a = cpu.segAttr[s];
    if ((a & SegAttr.P) === 0) continue;
    const dpl = (a >> 5) & 3;
    const dataOrNonconforming = (a & 0x18) === 0x10 || (a & 0x1c) === 0x18;
    if (dataOrNonconforming && dpl < cpu.cpl) setNullSeg(cpu, s, 0);
  }
}

// ---------------------------------------------------------------- handlers

/** MOV Sreg, r/m16 and MOV r/m, Sreg. */
def(Mn.MOVSEG, (cpu: Cpu, i: Insn) => {
  if (i.k0 === OpKind.Sreg) {
    const seg = i.v0;
    if (seg === Seg.CS || seg > 5) raise(cpu, Vec.UD);
    loadSeg(cpu, seg, cpu.readOp(i, 1) & 0xffff);
    // MOV SS inhibits interrupts for one instruction (SDM Vol. 3 §6.8.3).
    if (seg === Seg.SS) cpu.intShadow = true;
  } else {
    if (i.v1 > 5) raise(cpu, Vec.UD);
    // A register destination with 32-bit operand size gets the selector zero-extended.
    cpu.writeOp(i, 0, cpu.segSel[i.v1] & 0xffff);
  }
});

/** LDS/LES/LFS/LGS/LSS r, m16:16/32: the offset first, then the selector. */
function loadFarPointer(seg: number): (cpu: Cpu, i: Insn) => void {
  return (cpu: Cpu, i: Insn) => {
    if (i.k1 !== OpKind.Mem) raise(cpu, Vec.UD);
    const size = i.osize;
    const off = cpu.ea(i);
    const value = cpu.readMem(i.seg, off, size);
    const sel = cpu.readMem(i.seg, i.asize === 2 ? (off + size) & 0xffff : (off + size) | 0, 2);
    loadSeg(cpu, seg, sel);
    cpu.setReg(i.v0, size, value);
  };
}
def(Mn.LDS, loadFarPointer(Seg.DS));
def(Mn.LES, loadFarPointer(Seg.ES));
def(Mn.LFS, loadFarPointer(Seg.FS));
def(Mn.LGS, loadFarPointer(Seg.GS));
def(Mn.LSS, loadFarPointer(Seg.SS));
