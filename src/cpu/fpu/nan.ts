/**
 * NaN and invalid-operand handling of two-operand x87 arithmetic on exact float80 patterns
 * (SDM Vol. 1 §4.8.3.5 and Table 4-7, §8.5.1.2): an SNaN or unsupported operand raises IE; the
 * result is the QNaN operand, or of two NaNs the one with the larger significand (quieted), and the
 * real indefinite for unsupported operands.
 */
import { Cls, classifyF80, F80 } from './float80.js';
import { INDEF_HI, INDEF_SE } from './regs.js';

export const nanA = new F80();
export const nanB = new F80();
/** The chosen result of `propagateNaN`. */
export const nanOut = new F80();

/**
 * Choose the NaN result of an operation on a and b (at least one of them NaN or unsupported).
 * Returns true if IE must be raised (an SNaN or unsupported operand).
 */
export function propagateNaN(a: F80, b: F80 | null): boolean {
  const ca = classifyF80(a.se, a.hi, a.lo);
  const cb = b === null ? Cls.ZERO : classifyF80(b.se, b.hi, b.lo);
  if (ca === Cls.UNSUPPORTED || cb === Cls.UNSUPPORTED) {
    setOut(INDEF_SE, INDEF_HI, 0);
    return true;
  }
  const aNan = ca === Cls.QNAN || ca === Cls.SNAN;
  const bNan = cb === Cls.QNAN || cb === Cls.SNAN;
  const invalid = ca === Cls.SNAN || cb === Cls.SNAN;
  let pick: F80;
  if (aNan && bNan && b !== null) {
    if (ca === Cls.SNAN && cb === Cls.QNAN) pick = b;
    else if (cb === Cls.SNAN && ca === Cls.QNAN) pick = a;
    else {
      // both the same kind: larger significand; equal significands: the positive one
      const ah = a.hi & 0x3fffffff;
      const bh = b.hi & 0x3fffffff;
      if (ah !== bh) pick = ah > bh ? a : b;
      else if (a.lo !== b.lo) pick = a.lo >>> 0 > b.lo >>> 0 ? a : b;
      else pick = a.se <= b.se ? a : b;
    }
  } else pick = aNan ? a : b!;
  setOut(pick.se, (pick.hi | 0x40000000) >>> 0, pick.lo);
  return invalid;
}

function setOut(se: number, hi: number, lo: number): void {
  nanOut.se = se;
  nanOut.hi = hi >>> 0;
  nanOut.lo = lo >>> 0;
}
