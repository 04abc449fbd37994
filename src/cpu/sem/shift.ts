/**
 * Shift and rotate templates: ROL ROR RCL RCR SHL/SAL SHR SAR SHLD SHRD (SDM Vol. 2 "SAL/SAR/SHL/
 * SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
 *
 * The count is masked to 5 bits; a masked count of 0 changes neither the destination nor any flag
 * (a memory destination is still read, so it can still fault). OF is architecturally defined only
 * for 1-bit shifts; for larger counts we produce what P6-family and later Intel CPUs produce (the
 * same formula as for count 1, evaluated on the final result: SHL/ROL/RCL/SHLD: MSB(result) ^ CF;
 * SHR/ROR/RCR/SHRD: the two top bits of the result XORed; SAR: 0). AF is undefined for shifts;
 * Intel clears it. SHL/SHR past the operand width shift zeros in (the shifter is 32 bits wide).
 * SHLD/SHRD of 16-bit operands with counts 17-31 (undefined) shift the 48-bit pattern
 * dest:src:dest, as P6-family CPUs do.
 *
 * Shifts record kind RES (CF/OF/AF now, SF/ZF/PF from the result). Rotates change only CF and OF:
 * the other four flags keep their values, which kind RES cannot always express (SF/ZF/PF would
 * have to come from a result, and POPF/SAHF can set ZF with SF or with PF clear), so rotates
 * record kind NONE with all six flags: the four kept ones read now, CF and OF computed.
 *
 * The count operand is slot 1 (CL or an immediate; the "by one" forms decode as the immediate 1,
 * an empty slot also counts 1); SHLD/SHRD take the source register in slot 1 and the count in
 * slot 2.
 */
import { OpKind, type Insn } from '../../frontend/insn.js';
import { Mn } from '../../frontend/mnemonics.js';
import { FlagIx, LfOp } from '../flag-exprs.js';
import { defSem, let_, sx, type SemGen, type Template } from './gen.js';

/** The masked count of `slot` (a scratch, or the literal 1 for an empty slot). */
function count(g: SemGen, f: Insn, slot: number): string {
  const k = slot === 1 ? f.k1 : f.k2;
  if (k === OpKind.None) return '1';
  const c = g.tmp();
  g.line(`${c} = ${g.get(slot)} & 31;`);
  return c;
}

/** The operand mask of `size` bytes applied to `x` (int32 at 4). */
function mask(x: string, size: number): string {
  return size === 4 ? `(${x}) | 0` : `(${x}) & ${size === 2 ? 65535 : 255}`;
}

/**
 * Rotate flags: CF and OF as computed, PF/AF/ZF/SF as they are now, as kind NONE (see the
 * overview). The four are read into scratches before the kind changes.
 */
function rotateFlags(g: SemGen, cf: string, of: string): void {
  const keep = let_(
    g,
    `(${g.flag(FlagIx.PF)} << 2) | (${g.flag(FlagIx.AF)} << 4) | (${g.flag(FlagIx.ZF)} << 6) | (${g.flag(FlagIx.SF)} << 7)`,
  );
  g.flags(LfOp.NONE, '0', '0', '0', `${keep} | ${cf} | (${of} << 11)`);
}

/** SHL and SHR. OF: MSB(result) ^ CF for SHL; the two top bits of the result XORed for SHR. */
function shiftLogical(left: boolean): Template {
  return (g, f) => {
    const size = f.s0, bits = size << 3;
    const c = count(g, f, 1);
    const x = let_(g, g.get(0)); // zero-extended
    g.ifOpen(`${c} !== 0`);
    let r: string, cf: string, of: string;
    if (left) {
      r = let_(g, size === 4 ? `${x} << ${c}` : sx(`(${x} << ${c})`, size));
      cf = let_(g, size === 4 ? `(${x} >>> (32 - ${c})) & 1` : `${c} <= ${bits} ? (${x} >>> (${bits} - ${c})) & 1 : 0`);
      of = `((${r} >>> 31) ^ ${cf})`;
    } else {
      r = let_(g, size === 4 ? `(${x} >>> ${c}) | 0` : sx(`(${x} >>> ${c})`, size));
      cf = let_(g, size === 4 ? `(${x} >>> (${c} - 1)) & 1` : `${c} <= ${bits} ? (${x} >>> (${c} - 1)) & 1 : 0`);
      of = `(((${r} >>> ${bits - 1}) ^ (${r} >>> ${bits - 2})) & 1)`;
    }
    g.put(0, r);
    g.flags(LfOp.RES, r, '0', '0', `${cf} | (${of} << 11)`);
    g.ifClose();
  };
}

/** SAR: CF = the last bit shifted out, OF = 0. */
const sar: Template = (g, f) => {
  const size = f.s0;
  const c = count(g, f, 1);
  const x = let_(g, sx(g.get(0), size));
  g.ifOpen(`${c} !== 0`);
  const r = let_(g, `${x} >> ${c}`);
  g.put(0, r);
  g.flags(LfOp.RES, r, '0', '0', `(${x} >> (${c} - 1)) & 1`);
  g.ifClose();
};

/**
 * ROL and ROR. The count is taken mod the width; a masked count that is a multiple of the width
 * leaves the destination alone (not even written) but still sets CF/OF from it. ROL: CF =
 * LSB(result), OF = MSB ^ CF; ROR: CF = MSB(result), OF = the two top bits XORed.
 */
function rotate(left: boolean): Template {
  return (g, f) => {
    const size = f.s0, bits = size << 3;
    const c5 = count(g, f, 1);
    const x = let_(g, g.get(0));
    g.ifOpen(`${c5} !== 0`);
    // At 32 bits the rotate count is c5 itself (never 0 here); at 8/16 bits the expression gives x
    // for a rotate count of 0.
    const c = size === 4 ? c5 : let_(g, `${c5} & ${bits - 1}`);
    const r = let_(
      g,
      mask(left ? `(${x} << ${c}) | (${x} >>> (${bits} - ${c}))` : `(${x} >>> ${c}) | (${x} << (${bits} - ${c}))`, size),
    );
    if (size === 4) g.put(0, r);
    else {
      g.ifOpen(`${c} !== 0`);
      g.put(0, r);
      g.ifClose();
    }
    const msb = let_(g, `(${r} >>> ${bits - 1}) & 1`);
    if (left) {
      const cf = let_(g, `${r} & 1`);
      rotateFlags(g, cf, `(${msb} ^ ${cf})`);
    } else rotateFlags(g, msb, `(${msb} ^ ((${r} >>> ${bits - 2}) & 1))`);
    g.ifClose();
  };
}

/**
 * RCL and RCR: rotate the (bits+1)-bit value CF:dest; the count is taken mod 9 / 17 for 8/16 bits,
 * and a rotate count of 0 changes nothing. OF as for ROL / ROR.
 */
function rotateCarry(left: boolean): Template {
  return (g, f) => {
    const size = f.s0, bits = size << 3;
    const c5 = count(g, f, 1);
    const x = let_(g, g.get(0));
    const c = size === 4 ? c5 : let_(g, `${c5} % ${bits + 1}`);
    g.ifOpen(`${c} !== 0`);
    const cin = let_(g, g.cf());
    let r: string, cf: string, of: string;
    // The bits that wrap around past CF; for 8/16 bits the expression is 0 at a count of 1 by
    // itself, at 32 bits a shift by 32 would be a shift by 0.
    if (left) {
      const wrap = `${x} >>> (${bits + 1} - ${c})`;
      r = let_(g, mask(`(${x} << ${c}) | (${cin} << (${c} - 1)) | ${size === 4 ? `(${c} > 1 ? ${wrap} : 0)` : `(${wrap})`}`, size));
      cf = let_(g, `(${x} >>> (${bits} - ${c})) & 1`);
      of = `(((${r} >>> ${bits - 1}) & 1) ^ ${cf})`;
    } else {
      const wrap = `${x} << (${bits + 1} - ${c})`;
      r = let_(g, mask(`(${x} >>> ${c}) | (${cin} << (${bits} - ${c})) | ${size === 4 ? `(${c} > 1 ? ${wrap} : 0)` : `(${wrap})`}`, size));
      cf = let_(g, `(${x} >>> (${c} - 1)) & 1`);
      of = `(((${r} >>> ${bits - 1}) ^ (${r} >>> ${bits - 2})) & 1)`;
    }
    g.put(0, r);
    rotateFlags(g, cf, of);
    g.ifClose();
  };
}

/** SHLD and SHRD (OF: MSB(result) ^ CF for SHLD, the two top bits XORed for SHRD). */
function shiftDouble(left: boolean): Template {
  return (g, f) => {
    const size = f.s0;
    const c = count(g, f, 2);
    const s = let_(g, g.get(1));
    const d = let_(g, g.get(0));
    g.ifOpen(`${c} !== 0`);
    let r: string, cf: string;
    if (size === 4) {
      if (left) {
        r = let_(g, `(${d} << ${c}) | (${s} >>> (32 - ${c}))`);
        cf = let_(g, `(${d} >>> (32 - ${c})) & 1`);
      } else {
        r = let_(g, `(${d} >>> ${c}) | (${s} << (32 - ${c}))`);
        cf = let_(g, `(${d} >>> (${c} - 1)) & 1`);
      }
    } else if (left) {
      const t = let_(g, `(${d} << 16) | ${s}`); // dest:src
      r = let_(g, `(${c} <= 16 ? ${t} << ${c} : (${t} << ${c}) | (${d} << (${c} - 16))) >> 16`);
      cf = let_(g, `(${t} >>> (32 - ${c})) & 1`);
    } else {
      // Counts 1-16 shift src:dest; 17-31 shift the upper 32 bits of dest:src:dest by count - 16.
      const t = let_(g, `${c} <= 16 ? (${s} << 16) | ${d} : (${d} << 16) | ${s}`);
      const n = let_(g, `${c} <= 16 ? ${c} : ${c} - 16`);
      r = let_(g, `((${t} >>> ${n}) << 16) >> 16`);
      cf = let_(g, `(${t} >>> (${n} - 1)) & 1`);
    }
    const of = left ? `((${r} >>> 31) ^ ${cf})` : `(((${r} >>> 31) ^ (${r} >>> ${size === 4 ? 30 : 14})) & 1)`;
    g.put(0, r);
    g.flags(LfOp.RES, r, '0', '0', `${cf} | (${of} << 11)`);
    g.ifClose();
  };
}

defSem(Mn.SHL, shiftLogical(true));
defSem(Mn.SAL, shiftLogical(true));
defSem(Mn.SHR, shiftLogical(false));
defSem(Mn.SAR, sar);
defSem(Mn.ROL, rotate(true));
defSem(Mn.ROR, rotate(false));
defSem(Mn.RCL, rotateCarry(true));
defSem(Mn.RCR, rotateCarry(false));
defSem(Mn.SHLD, shiftDouble(true));
defSem(Mn.SHRD, shiftDouble(false));
