/**
 * Protection queries: LAR, LSL, VERR, VERW and ARPL (SDM Vol. 2; Vol. 3 §5.10.1). They report
 * through ZF and never fault on a bad selector (only on memory operands). #UD outside protected
 * mode.
 */
import { type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { raise, Vec } from '../fault.js';
import { getEflags, setEflags } from '../flags.js';
import { def } from '../handlers.js';
import { EF } from '../state.js';
import { Desc, readDesc } from './descriptors.js';
import { isProtected } from './segments.js';

const d = new Desc();

function setZf(cpu: Cpu, z: boolean): void {
  const f = getEflags(cpu);
  setEflags(cpu, z ? f | EF.ZF : f & ~EF.ZF);
}

/**
 * Read the descriptor of `sel` if it is visible to LAR/LSL/VERR/VERW: not null, inside its table,
 * and (unless conforming code) DPL >= CPL and DPL >= RPL.
 */
function visible(cpu: Cpu, sel: number): boolean {
  if ((sel & 0xfffc) === 0 || !readDesc(cpu, sel, d)) return false;
  if (d.conforming) return true;
  return d.dpl >= cpu.cpl && d.dpl >= (sel & 3);
}

/** System descriptor types LAR accepts (TSS, LDT, gates); LSL accepts those without gates. */
const LAR_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 9) | (1 << 11) | (1 << 12);
const LSL_TYPES = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 11);

def(Mn.LAR, (cpu: Cpu, i: Insn) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  const sel = cpu.readOp(i, 1) & 0xffff;
  const ok = visible(cpu, sel) && (d.isCodeData || ((LAR_TYPES >> d.type) & 1) !== 0);
  if (ok) cpu.setReg(i.v0, i.osize, i.osize === 4 ? d.hi & 0x00ffff00 : d.hi & 0xff00);
  setZf(cpu, ok);
});

def(Mn.LSL, (cpu: Cpu, i: Insn) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  const sel = cpu.readOp(i, 1) & 0xffff;
  const ok = visible(cpu, sel) && (d.isCodeData || ((LSL_TYPES >> d.type) & 1) !== 0);
  if (ok) cpu.setReg(i.v0, i.osize, d.limit);
  setZf(cpu, ok);
});

def(Mn.VERR, (cpu: Cpu, i: Insn) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  const sel = cpu.readOp(i, 0) & 0xffff;
  setZf(cpu, visible(cpu, sel) && d.isCodeData && (d.isData || d.rw));
});

def(Mn.VERW, (cpu: Cpu, i: Insn) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  const sel = cpu.readOp(i, 0) & 0xffff;
  setZf(cpu, visible(cpu, sel) && d.isData && d.rw);
});

/** ARPL r/m16, r16: raise the destination's RPL to the source's. */
def(Mn.ARPL, (cpu: Cpu, i: Insn) => {
  if (!isProtected(cpu)) raise(cpu, Vec.UD);
  const dst = cpu.readOp(i, 0) & 0xffff;
  const src = cpu.readOp(i, 1) & 0xffff;
  if ((dst & 3) < (src & 3)) {
    cpu.writeOp(i, 0, (dst & ~3) | (src & 3));
    setZf(cpu, true);
  } else setZf(cpu, false);
});
