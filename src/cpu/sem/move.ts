/**
 * Data movement templates: MOV MOVZX MOVSX XCHG XADD CMPXCHG CMPXCHG8B LEA CBW/CWDE CWD/CDQ XLAT
 * CMOVcc SETcc (SDM Vol. 2). MOV Sreg is system code (MOVSEG, system/segments.ts).
 *
 * Memory destinations are written before any register or flag changes (precise faults). CMPXCHG and
 * CMPXCHG8B write the destination back even when the compare fails, as the locked read-modify-write
 * of real CPUs does (SDM Vol. 2 CMPXCHG: "the destination operand is written back if the comparison
 * fails"), so a read-only page faults either way.
 *
 * A register operand read by `get` may be a live register expression, so every value used after a
 * write is first copied into a scratch.
 */
import { OpKind } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { Vec } from '../fault.js';
import { FlagIx, LfOp } from '../flag-exprs.js';
import { defSem, let_, sx, type SemGen } from './gen.js';


/** The five arithmetic flags other than `ix` at their EFLAGS positions, read now (for kind NONE). */
function otherFlags(g: SemGen, ix: number): string {
  const pos = [0, 2, 4, 6, 7, 11];
  const parts: string[] = [];
  for (let n = 0; n < 6; n++) if (n !== ix) parts.push(n === FlagIx.CF ? g.flag(n) : `(${g.flag(n)} << ${pos[n]})`);
  return let_(g, parts.join(' | '));
}

defSem(Mn.MOV, (g) => {
  g.put(0, g.get(1));
});

defSem(Mn.MOVZX, (g) => {
  g.put(0, g.get(1));
});

defSem(Mn.MOVSX, (g, f) => {
  g.put(0, sx(g.get(1), f.s1));
});

/** XCHG: either slot may hold the memory operand (87 /r is listed both ways in the SDM). */
defSem(Mn.XCHG, (g, f) => {
  if (f.k1 === OpKind.Mem) {
    const mv = let_(g, g.get(1));
    const rv = let_(g, g.get(0));
    g.put(1, rv);
    g.put(0, mv);
    return;
  }
  const a = let_(g, g.get(0));
  const b = let_(g, g.get(1));
  g.put(0, b);
  g.put(1, a);
});

/** XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so XADD r, r with one register keeps TEMP). */
defSem(Mn.XADD, (g, f) => {
  const size = f.s0;
  const d = let_(g, sx(g.get(0), size));
  const s = let_(g, sx(g.get(1), size));
  const r = let_(g, size === 4 ? `(${d} + ${s}) | 0` : sx(`(${d} + ${s})`, size));
  if (f.k0 === OpKind.Reg) {
    g.put(1, d);
    g.put(0, r);
  } else {
    g.put(0, r);
    g.put(1, d);
  }
  g.flags(LfOp.ADD, r, d, s, null);
});

/** CMPXCHG: flags of CMP accumulator, destination. */
defSem(Mn.CMPXCHG, (g, f) => {
  const size = f.s0;
  const d = let_(g, sx(g.get(0), size));
  const src = let_(g, g.get(1));
  const acc = let_(g, sx(g.reg(0, size), size));
  g.ifOpen(`${acc} === ${d}`);
  g.put(0, src);
  g.ifElse();
  if (f.k0 !== OpKind.Reg) g.put(0, d);
  g.setReg(0, size, d);
  g.ifClose();
  const r = let_(g, size === 4 ? `(${acc} - ${d}) | 0` : sx(`(${acc} - ${d})`, size));
  g.flags(LfOp.SUB, r, acc, d, null);
});

/**
 * CMPXCHG8B m64: compare EDX:EAX with m64; equal: m64 = ECX:EBX, ZF = 1; else EDX:EAX = m64.
 * Both halves are written whatever the outcome, and a fault on either must leave memory as it was:
 * the low half is first written back unchanged (it faults if the low half cannot be written), then
 * the new high half, then the new low half (its page was just written, so it cannot fault now).
 */
defSem(Mn.CMPXCHG8B, (g, f) => {
  if (f.k0 !== OpKind.Mem) {
    g.raise(Vec.UD);
    return;
  }
  const off = let_(g, g.ea());
  const hiOff = let_(g, f.asize === 2 ? `(${off} + 4) & 65535` : `(${off} + 4) | 0`);
  const lo = g.load(-1, off, 4);
  const hi = g.load(-1, hiOff, 4);
  const eq = let_(g, `${lo} === ${g.reg(0, 4)} && ${hi} === ${g.reg(2, 4)} ? 1 : 0`);
  const nlo = let_(g, `${eq} !== 0 ? ${g.reg(3, 4)} : ${lo}`);
  const nhi = let_(g, `${eq} !== 0 ? ${g.reg(1, 4)} : ${hi}`);
  g.store(-1, off, 4, lo);
  g.store(-1, hiOff, 4, nhi);
  g.store(-1, off, 4, nlo);
  const keep = otherFlags(g, FlagIx.ZF);
  g.flags(LfOp.NONE, '0', '0', '0', `${keep} | (${eq} << 6)`);
  g.ifOpen(`${eq} === 0`);
  g.setReg(0, 4, lo);
  g.setReg(2, 4, hi);
  g.ifClose();
});

/** LEA: the offset computed at the address size, then truncated/zero-extended to the operand size. */
defSem(Mn.LEA, (g, f) => {
  if (f.k1 !== OpKind.Mem) {
    g.raise(Vec.UD);
    return;
  }
  g.put(0, g.ea());
});

/** CBW (osize 2) / CWDE (osize 4). */
defSem(Mn.CBW, (g, f) => {
  if (f.osize === 2) g.setReg(0, 2, sx(g.reg(0, 1), 1));
  else g.setReg(0, 4, sx(g.reg(0, 2), 2));
});

/** CWD (osize 2) / CDQ (osize 4). */
defSem(Mn.CWD, (g, f) => {
  if (f.osize === 2) g.setReg(2, 2, `((${g.reg(0, 4)} << 16) >> 31)`);
  else g.setReg(2, 4, `(${g.reg(0, 4)} >> 31)`);
});

/** XLAT: AL = [seg:(E)BX + AL], DS unless overridden (the instruction's segment). */
defSem(Mn.XLAT, (g, f) => {
  const sum = `${g.reg(3, 4)} + ${g.reg(0, 1)}`;
  const off = let_(g, f.asize === 2 ? `(${sum}) & 65535` : `(${sum}) | 0`);
  g.setReg(0, 1, g.load(-1, off, 1));
});

/** CMOVcc reads its source whatever the condition (a memory source can fault either way). */
defSem(Mn.CMOVcc, (g) => {
  const v = let_(g, g.get(1));
  g.ifOpen(g.cond());
  g.put(0, v);
  g.ifClose();
});

defSem(Mn.SETcc, (g) => {
  g.put(0, `(${g.cond()} ? 1 : 0)`);
});
