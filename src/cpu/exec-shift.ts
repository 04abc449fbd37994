/**
 * Shifts and rotates: ROL ROR RCL RCR SHL/SAL SHR SAR SHLD SHRD (SDM Vol. 2 "SAL/SAR/SHL/SHR",
 * "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
 *
 * The count is masked to 5 bits; a masked count of 0 changes neither the destination nor any flag.
 * OF is architecturally defined only for 1-bit shifts; for larger counts we produce what P6-family
 * and later Intel CPUs produce (the same formula as for count 1, evaluated on the final result:
 * SHL/ROL/RCL/SHLD: MSB(result) ^ CF; SHR/ROR/RCR/SHRD: the two top bits of the result XORed; SAR: 0).
 * AF is undefined for shifts; Intel clears it. SHL/SHR past the operand width shift zeros in (the
 * shifter is 32 bits wide). SHLD/SHRD of 16-bit operands with counts 17-31 (undefined) shift the
 * 48-bit pattern dest:src:dest, as P6-family CPUs do.
 *
 * The count operand is slot 1 (CL or an immediate; the D0/D1 forms may leave it empty = 1); SHLD/
 * SHRD take the source register in slot 1 and the count in slot 2.
 */
import type { Insn } from '../frontend/insn.js';
import { OpKind } from '../frontend/insn.js';
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from './cpu.js';
import { getCF, setCfOf, setResultFlags } from './flags.js';
import { def } from './handlers.js';
import { readDst, readSrc, writeDst } from './exec-ops.js';

/** Masked shift count of slot `slot` (1 when the slot is empty: the D0/D1 "by one" forms). */
function count(cpu: Cpu, i: Insn, slot: number): number {
  const k = slot === 1 ? i.k1 : i.k2;
  if (k === OpKind.None) return 1;
  if (k === OpKind.Imm) return (slot === 1 ? i.v1 : i.v2) & 0x1f;
  return cpu.getReg(slot === 1 ? i.v1 : i.v2, 1) & 0x1f;
}

/**
 * SHL and SHR (one body: the direction is a constant at each definition below, so each stays
 * monomorphic). OF: MSB(result) ^ CF for SHL; the two top bits of the result XORed for SHR.
 */
function shiftLogical(cpu: Cpu, i: Insn, left: boolean): void {
  const size = i.s0, bits = size << 3, sh = 32 - bits;
  const c = count(cpu, i, 1);
  const x = readDst(cpu, i, size); // zero-extended
  if (c === 0) return;
  let r: number, cf: number, of: number;
  if (left) {
    r = ((x << c) << sh) >> sh;
    cf = c <= bits ? (x >>> (bits - c)) & 1 : 0;
    of = (r >>> 31) ^ cf;
  } else {
    r = ((x >>> c) << sh) >> sh;
    cf = c <= bits ? (x >>> (c - 1)) & 1 : 0;
    of = ((r >>> (bits - 1)) ^ (r >>> (bits - 2))) & 1;
  }
  writeDst(cpu, i, size, r);
  setResultFlags(cpu, r, cf | (of << 11));
}

function sar(cpu: Cpu, i: Insn): void {
  const size = i.s0, sh = 32 - (size << 3);
  const c = count(cpu, i, 1);
  const x = (readDst(cpu, i, size) << sh) >> sh;
  if (c === 0) return;
  const r = x >> c;
  writeDst(cpu, i, size, r);
  setResultFlags(cpu, r, (x >> (c - 1)) & 1);
}

/**
 * ROL and ROR. The count is taken mod the width; a masked count that is a multiple of the width
 * leaves the destination alone but still sets CF/OF from it. ROL: CF = LSB(result), OF = MSB ^ CF;
 * ROR: CF = MSB(result), OF = the two top bits XORed.
 */
function rotate(cpu: Cpu, i: Insn, left: boolean): void {
  const size = i.s0, bits = size << 3;
  const c5 = count(cpu, i, 1);
  const x = readDst(cpu, i, size);
  if (c5 === 0) return;
  const c = c5 & (bits - 1);
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  let r = x;
  if (c !== 0) {
    r = (left ? (x << c) | (x >>> (bits - c)) : (x >>> c) | (x << (bits - c))) & mask;
    writeDst(cpu, i, size, r);
  }
  const msb = (r >>> (bits - 1)) & 1;
  if (left) setCfOf(cpu, r & 1, msb ^ (r & 1));
  else setCfOf(cpu, msb, msb ^ ((r >>> (bits - 2)) & 1));
}

/**
 * RCL and RCR: rotate the (bits+1)-bit value CF:dest; the count is taken mod 9 / 17 for 8/16 bits.
 * OF as for ROL / ROR.
 */
function rotateCarry(cpu: Cpu, i: Insn, left: boolean): void {
  const size = i.s0, bits = size << 3;
  const c5 = count(cpu, i, 1);
  const x = readDst(cpu, i, size);
  if (c5 === 0) return;
  const c = bits === 32 ? c5 : c5 % (bits + 1);
  if (c === 0) return;
  const cin = getCF(cpu);
  const mask = bits === 32 ? -1 : (1 << bits) - 1;
  let r: number, cf: number, of: number;
  if (left) {
    r = (x << c) | (cin << (c - 1));
    if (c > 1) r |= x >>> (bits + 1 - c);
    r &= mask;
    cf = (x >>> (bits - c)) & 1;
    of = ((r >>> (bits - 1)) & 1) ^ cf;
  } else {
    r = (x >>> c) | (cin << (bits - c));
    if (c > 1) r |= x << (bits + 1 - c);
    r &= mask;
    cf = (x >>> (c - 1)) & 1;
    of = ((r >>> (bits - 1)) ^ (r >>> (bits - 2))) & 1;
  }
  writeDst(cpu, i, size, r);
  setCfOf(cpu, cf, of);
}

/** SHLD and SHRD (OF: MSB(result) ^ CF for SHLD, the two top bits XORed for SHRD). */
function shiftDouble(cpu: Cpu, i: Insn, left: boolean): void {
  const size = i.s0;
  const c = count(cpu, i, 2);
  const s = readSrc(cpu, i, size);
  const d = readDst(cpu, i, size);
  if (c === 0) return;
  let r: number, cf: number, of: number;
  if (left) {
    if (size === 4) {
      r = (d << c) | (s >>> (32 - c));
      cf = (d >>> (32 - c)) & 1;
    } else {
      const t = (d << 16) | s; // dest:src
      r = c <= 16 ? (t << c) >>> 16 : ((t << c) | (d << (c - 16))) >>> 16;
      r = (r << 16) >> 16;
      cf = (t >>> (32 - c)) & 1;
    }
    of = (r >>> 31) ^ cf;
  } else {
    if (size === 4) {
      r = (d >>> c) | (s << (32 - c));
      cf = (d >>> (c - 1)) & 1;
    } else if (c <= 16) {
      const t = (s << 16) | d; // src:dest
      r = ((t >>> c) << 16) >> 16;
      cf = (t >>> (c - 1)) & 1;
    } else {
      const t = (d << 16) | s; // the upper 32 bits of dest:src:dest
      r = ((t >>> (c - 16)) << 16) >> 16;
      cf = (t >>> (c - 17)) & 1;
    }
    of = ((r >>> 31) ^ (r >>> (size === 4 ? 30 : 14))) & 1;
  }
  writeDst(cpu, i, size, r);
  setResultFlags(cpu, r, cf | (of << 11));
}

def(Mn.SHL, (cpu, i) => shiftLogical(cpu, i, true));
def(Mn.SAL, (cpu, i) => shiftLogical(cpu, i, true));
def(Mn.SHR, (cpu, i) => shiftLogical(cpu, i, false));
def(Mn.SAR, sar);
def(Mn.ROL, (cpu, i) => rotate(cpu, i, true));
def(Mn.ROR, (cpu, i) => rotate(cpu, i, false));
def(Mn.RCL, (cpu, i) => rotateCarry(cpu, i, true));
def(Mn.RCR, (cpu, i) => rotateCarry(cpu, i, false));
def(Mn.SHLD, (cpu, i) => shiftDouble(cpu, i, true));
def(Mn.SHRD, (cpu, i) => shiftDouble(cpu, i, false));
