/**
 * Stack templates: PUSH and POP of a register, memory or an immediate, PUSHF, and LEAVE (SDM Vol. 2).
 * PUSH/POP of a segment register are system code and stay hand-written (exec-stack.ts).
 *
 * The element size is the operand size; the stack pointer is ESP or SP per SS.B (the generator's
 * sp/setSp decide). Precise faults: every stack access is made at an explicit offset first and ESP
 * is committed last, so a #SS/#PF leaves ESP and the other registers as they were.
 */
import { OpKind, Seg } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { Vec } from '../fault.js';
import { EF } from '../state.js';
import { defSem, let_ } from './gen.js';


/**
 * PUSH. PUSH ESP pushes the value before the decrement; PUSH [ESP+d] reads with the old ESP.
 */
defSem(
  Mn.PUSH,
  (g, f) => {
    const size = f.osize;
    const v = let_(g, g.get(0));
    const sp = let_(g, g.sp(-size));
    g.store(Seg.SS, sp, size, v);
    g.setSp(sp);
  },
  (f) => f.k0 !== OpKind.Sreg,
);

/**
 * PUSHF/PUSHFD: the EFLAGS image with VM and RF cleared (SDM Vol. 2 PUSHF), the arithmetic flags
 * read from the lazy state; in virtual-8086 mode with IOPL < 3, #GP(0) (SDM Vol. 3 §20.2.7; VME is
 * not modelled).
 */
defSem(Mn.PUSHF, (g, f) => {
  g.ifOpen(`(cpu.eflags & ${EF.VM}) !== 0 && (cpu.eflags & ${EF.IOPL}) !== ${EF.IOPL}`);
  g.raise(Vec.GP, 0);
  g.ifClose();
  const size = f.osize;
  const pos = [0, 2, 4, 6, 7, 11];
  const arith = pos.map((p, ix) => (p === 0 ? g.flag(ix) : `(${g.flag(ix)} << ${p})`)).join(' | ');
  const keep = ~(EF.VM | EF.RF | pos.reduce((m, p) => m | (1 << p), 0));
  const v = let_(g, `(cpu.eflags & ${keep}) | 2 | ${arith}`);
  const sp = let_(g, g.sp(-size));
  g.store(Seg.SS, sp, size, v);
  g.setSp(sp);
});

/**
 * POP. For a memory destination the address is computed with the incremented ESP (SDM Vol. 2 POP:
 * "If the ESP register is used as a base register ... after it increments the ESP register"): ESP
 * is set for the address computation and put back before the write, which may fault. POP ESP
 * leaves the popped value in ESP.
 */
defSem(
  Mn.POP,
  (g, f) => {
    const size = f.osize;
    const v = g.load(Seg.SS, g.sp(0), size);
    if (f.k0 === OpKind.Reg) {
      g.setSp(g.sp(size));
      g.put(0, v);
      return;
    }
    const oldEsp = let_(g, g.reg(4, 4));
    g.setSp(g.sp(size));
    const off = let_(g, g.ea());
    g.setReg(4, 4, oldEsp);
    g.store(-1, off, size, v);
    g.setSp(g.sp(size));
  },
  (f) => f.k0 === OpKind.Reg || f.k0 === OpKind.Mem,
);

/**
 * LEAVE: ESP = EBP (SP = BP for a 16-bit stack), then pop EBP. The load's offset is taken with
 * ESP set from EBP and ESP put back before the load (which may fault); the new ESP is EBP + size
 * (on a 16-bit stack SP = BP + size, the upper half of ESP kept).
 */
defSem(Mn.LEAVE, (g, f) => {
  const size = f.osize;
  const oldEsp = let_(g, g.reg(4, 4));
  g.setSp(g.reg(5, 4));
  const off = let_(g, g.sp(0));
  g.setReg(4, 4, oldEsp);
  const v = g.load(Seg.SS, off, size);
  g.setSp(`((${g.reg(5, 4)} + ${size}) | 0)`);
  g.setReg(5, size, v);
});
