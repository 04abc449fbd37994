/**
 * Bitwise SSE/SSE2 operations: XORPS/XORPD/PXOR (SDM Vol. 2B), one 128-bit XOR for all three.
 * Legacy-encoded memory operands must be 16-byte aligned (#GP(0) otherwise).
 */
import { OpKind } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { def } from '../handlers.js';
import { checkAligned16, sseEnter } from './checks.js';
import { loadDwords, loaded } from './mem.js';

def(Mn.XORPS, (cpu, i) => {
  sseEnter(cpu);
  const x = cpu.sse.xmm;
  const d = i.v0 << 2;
  if (i.k1 === OpKind.Xmm) {
    const s = i.v1 << 2;
    x[d] ^= x[s]; x[d + 1] ^= x[s + 1]; x[d + 2] ^= x[s + 2]; x[d + 3] ^= x[s + 3];
    return;
  }
  const off = cpu.ea(i);
  checkAligned16(cpu, i.seg, off);
  loadDwords(cpu, i.seg, off, 4);
  x[d] ^= loaded[0]; x[d + 1] ^= loaded[1]; x[d + 2] ^= loaded[2]; x[d + 3] ^= loaded[3];
});
