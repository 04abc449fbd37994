/**
 * LDMXCSR / STMXCSR (SDM Vol. 2A): load or store the SSE control/status register, kept in
 * FpuState.mxcsr (FXSAVE/FXRSTOR use the same field). LDMXCSR raises #GP(0) when a reserved bit
 * would be set; the writable bits are those FXSAVE reports as MXCSR_MASK (0xFFBF: DAZ included).
 */
import { Mn } from '../../frontend/mnemonics.js';
import { def } from '../handlers.js';
import { raiseCode, Vec } from '../fault.js';
import { sseEnter } from './checks.js';
import { storeDwords } from './mem.js';

const MXCSR_WRITABLE = 0xffbf;
const one = new Int32Array(1);

def(Mn.LDMXCSR, (cpu, i) => {
  sseEnter(cpu);
  const v = cpu.readMem(i.seg, cpu.ea(i), 4);
  if ((v & ~MXCSR_WRITABLE) !== 0) raiseCode(cpu, Vec.GP, 0);
  cpu.fpu.mxcsr = v;
});

def(Mn.STMXCSR, (cpu, i) => {
  sseEnter(cpu);
  one[0] = cpu.fpu.mxcsr;
  storeDwords(cpu, i.seg, cpu.ea(i), one, 0, 1);
});
