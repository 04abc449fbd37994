/**
 * EMMS (SDM Vol. 2A; Vol. 1 §9.5): marks all eight x87/MMX registers empty (tag word FFFFH) so
 * that x87 code can follow MMX code. #UD with CR0.EM, #NM with CR0.TS, #MF when an unmasked x87
 * exception is pending (as for the other waiting x87 instructions, with CR0.NE). The MMX
 * instructions themselves are not implemented: the decoder has no MMX register operands yet.
 */
import { Mn } from '../../frontend/mnemonics.js';
import { def } from '../handlers.js';
import { raise, Vec } from '../fault.js';
import { CR0 } from '../state.js';
import { SW } from '../fpu/regs.js';

def(Mn.EMMS, (cpu) => {
  if ((cpu.cr0 & CR0.EM) !== 0) raise(cpu, Vec.UD);
  if ((cpu.cr0 & CR0.TS) !== 0) raise(cpu, Vec.NM);
  const f = cpu.fpu;
  if ((f.sw & SW.ES) !== 0 && (cpu.cr0 & CR0.NE) !== 0) raise(cpu, Vec.MF);
  f.tag = 0xffff;
  // Like every MMX instruction, EMMS also resets TOP to 0 (SDM Vol. 3 §12.2, Table 12-1).
  f.top = 0;
});
