/**
 * Flag instructions and odds and ends: CLC STC CMC CLD STD LAHF SAHF SALC NOP PAUSE UD2 BOUND, and
 * INVALID (undefined encodings) as #UD (SDM Vol. 2). CLI/STI are system code (system/io.ts).
 */
import { OpKind } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import { raise, Vec } from './fault.js';
import { AF, CF, getCF, getEflags, PF, setArithFlags, setCF, SF, ZF } from './flags.js';
import { def } from './handlers.js';
import { EF } from './state.js';
import { offAdd } from './exec-ops.js';

def(Mn.CLC, (cpu) => setCF(cpu, 0));
def(Mn.STC, (cpu) => setCF(cpu, 1));
def(Mn.CMC, (cpu) => setCF(cpu, getCF(cpu) ^ 1));
def(Mn.CLD, (cpu) => {
  cpu.eflags &= ~EF.DF;
});
def(Mn.STD, (cpu) => {
  cpu.eflags |= EF.DF;
});

/** LAHF: AH = SF ZF 0 AF 0 PF 1 CF. */
def(Mn.LAHF, (cpu) => {
  cpu.setReg(4, 1, (getEflags(cpu) & (SF | ZF | AF | PF | CF)) | 2);
});

/** SAHF: SF ZF AF PF CF = bits 7 6 4 2 0 of AH. */
def(Mn.SAHF, (cpu) => {
  setArithFlags(cpu, SF | ZF | AF | PF | CF, (cpu.regs[0] >> 8) & 0xff);
});

/** SALC (undocumented D6): AL = CF ? 0xFF : 0, flags unchanged. */
def(Mn.SALC, (cpu) => {
  cpu.setReg(0, 1, getCF(cpu) !== 0 ? 0xff : 0);
});

def(Mn.NOP, () => {});
def(Mn.PAUSE, () => {});
def(Mn.UD2, (cpu) => raise(cpu, Vec.UD));
def(Mn.INVALID, (cpu) => raise(cpu, Vec.UD));

/** BOUND r, m: #BR unless lower <= r <= upper (signed, the operand size); a register source is #UD. */
def(Mn.BOUND, (cpu, i) => {
  if (i.k1 !== OpKind.Mem) raise(cpu, Vec.UD);
  const size = i.osize, sh = (4 - size) << 3;
  const off = cpu.ea(i);
  const lower = (cpu.readMem(i.seg, off, size) << sh) >> sh;
  const upper = (cpu.readMem(i.seg, offAdd(i, off, size), size) << sh) >> sh;
  const idx = (cpu.getReg(i.v0, size) << sh) >> sh;
  if (idx < lower || idx > upper) raise(cpu, Vec.BR);
});
