/**
 * Odds and ends: PAUSE UD2 BOUND, and INVALID (undefined encodings) as #UD (SDM Vol. 2). CLC STC
 * CMC CLD STD LAHF SAHF SALC NOP are templates (sem/misc.ts); CLI/STI are system code (system/io.ts).
 */
import { OpKind } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import { raise, Vec } from './fault.js';
import { def } from './handlers.js';
import { offAdd } from './exec-ops.js';

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
