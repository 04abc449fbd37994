/**
 * SSE/SSE2 data moves (SDM Vol. 2B): MOVAPS/MOVAPD/MOVDQA (aligned 16-byte: #GP(0) on a misaligned
 * memory operand), MOVUPS/MOVUPD/MOVDQU (any alignment), MOVD xmm <-> r/m32 (66 0F 6E/7E) and
 * MOVQ xmm <-> xmm/m64 (F3 0F 7E, 66 0F D6). The PS/PD/DQ forms differ only in the data type hint
 * to the hardware, so each family shares one mnemonic id (mnemonics.ts).
 *
 * Operand slots: load forms are `Vx, Wx` (slot 0 the register), store forms `Wx, Vx`.
 */
import { OpKind } from '../../frontend/insn.js';
import type { Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import type { Cpu } from '../cpu.js';
import { def } from '../handlers.js';
import { checkAligned16, sseEnter } from './checks.js';
import { loadDwords, loaded, storeDwords } from './mem.js';

function move128(cpu: Cpu, i: Insn, aligned: boolean): void {
  sseEnter(cpu);
  const x = cpu.sse.xmm;
  if (i.k0 === OpKind.Xmm) {
    const d = i.v0 << 2;
    if (i.k1 === OpKind.Xmm) {
      const s = i.v1 << 2;
      x[d] = x[s]; x[d + 1] = x[s + 1]; x[d + 2] = x[s + 2]; x[d + 3] = x[s + 3];
      return;
    }
    const off = cpu.ea(i);
    if (aligned) checkAligned16(cpu, i.seg, off);
    loadDwords(cpu, i.seg, off, 4);
    x[d] = loaded[0]; x[d + 1] = loaded[1]; x[d + 2] = loaded[2]; x[d + 3] = loaded[3];
    return;
  }
  const off = cpu.ea(i);
  if (aligned) checkAligned16(cpu, i.seg, off);
  storeDwords(cpu, i.seg, off, x, i.v1 << 2, 4);
}

def(Mn.MOVAPS, (cpu, i) => move128(cpu, i, true));
def(Mn.MOVUPS, (cpu, i) => move128(cpu, i, false));

// MOVD: 66 0F 6E zero-extends r/m32 into the register; 66 0F 7E stores its low dword.
def(Mn.MOVD_XMM, (cpu, i) => {
  sseEnter(cpu);
  const x = cpu.sse.xmm;
  if (i.k0 === OpKind.Xmm) {
    const v = cpu.readOp(i, 1);
    const d = i.v0 << 2;
    x[d] = v; x[d + 1] = 0; x[d + 2] = 0; x[d + 3] = 0;
  } else cpu.writeOp(i, 0, x[i.v1 << 2]);
});

// MOVQ: the low quadword; a register destination gets bits 127:64 cleared (both encodings).
def(Mn.MOVQ_XMM, (cpu, i) => {
  sseEnter(cpu);
  const x = cpu.sse.xmm;
  if (i.k0 === OpKind.Mem) {
    storeDwords(cpu, i.seg, cpu.ea(i), x, i.v1 << 2, 2);
    return;
  }
  const d = i.v0 << 2;
  let lo: number, hi: number;
  if (i.k1 === OpKind.Xmm) {
    lo = x[i.v1 << 2]; hi = x[(i.v1 << 2) + 1];
  } else {
    loadDwords(cpu, i.seg, cpu.ea(i), 2);
    lo = loaded[0]; hi = loaded[1];
  }
  x[d] = lo; x[d + 1] = hi; x[d + 2] = 0; x[d + 3] = 0;
});
