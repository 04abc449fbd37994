/**
 * x87 FPU register file and environment (SDM Vol. 1 §8.1).
 *
 * Registers are kept by *physical* index 0-7; ST(i) is physical (top + i) & 7.
 *
 * ## How values are held, and where 80-bit precision is approximated
 * Each register holds a JS double in `st`. When the register's value is not exactly a double (a
 * float80 loaded with FLD m80 whose significand has more than 53 significant bits or whose exponent
 * is outside the double range, a 64-bit integer from FILD m64 / FBLD beyond 2^53, the FLDPI-style
 * constants, f80 denormals, unsupported encodings) or is a NaN, `rawValid` is 1 and
 * `rawSe/rawHi/rawLo` hold the exact 80-bit bit pattern; `st` then holds that value rounded to the
 * nearest double. Consequences:
 * - Loads and stores are exact: FLD m80 / FSTP m80 round-trips bit for bit, FILD m64 / FISTP m64
 *   and FBLD / FBSTP too, FST m32/m64 and FIST round the *exact* 80-bit value with the current
 *   rounding control; FLD/FST ST(i), FXCH, FCHS, FABS, FCMOVcc, FSAVE/FRSTOR, FXSAVE/FXRSTOR keep it.
 * - NaN payloads are always exact (a NaN register always has its raw pattern); NaN propagation
 *   follows SDM Vol. 1 Table 4-7 on the raw patterns.
 * - Arithmetic (FADD..FDIVR, FSQRT) is bit-exact with the x87 under every precision and rounding
 *   control, for all operand values including float80 denormals, pseudo-denormals and exponents
 *   beyond the double range (checked against the host CPU with the native differential test):
 *   * PC = double (53 bits): JS doubles are IEEE round-to-nearest; directed rounding is done
 *     exactly from the error term of TwoSum / TwoProduct. An operand holding a raw 64-bit
 *     significand contributes its residual (raw - double) to the error term, so the result is
 *     rounded once from the exact 64-bit operands.
 *   * PC = single (24 bits): the double result plus its error sign is rounded once to 24 bits.
 *   * PC = extended (64 bits, the FNINIT default, and the reserved PC = 01b which the hardware
 *     treats the same): the exact result is formed as a double-double (~106 bits) from the 64-bit
 *     operands and rounded once to a 64-bit significand (exact.ts roundDD64).
 *   * Results or operands outside the double exponent range go through significands scaled into
 *     [1, 2] and keep their 15-bit exponent as a raw float80 value (arith.ts wideArith), with
 *     gradual underflow into float80 denormals.
 *   Approximations left: the double-double carries ~106 bits, so a result whose exact value lies
 *   within ~2^-106 (relative) of a rounding boundary of the 64-bit format could round the other
 *   way (never observed); under PC = double/single an operand that is both beyond the double
 *   range and has more than 53 significant bits enters rounded to 53 bits; a result that is a
 *   float80 denormal is rounded twice (to PC bits, then at the denormal position).
 * - Transcendentals (FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1) use Math.* on
 *   doubles: within a few double ulps of the hardware's 64-bit results, i.e. not bit-exact under
 *   PC = extended (the hardware ignores PC for them). FSIN/FCOS/FSINCOS/FPTAN reduce their argument
 *   with the x87's own 66-bit pi (transcend.ts), so large arguments give the hardware's
 *   (mathematically inaccurate) values. FPREM/FPREM1/FRNDINT/FSCALE/FXTRACT/FCHS/FABS are exact
 *   (FPREM on raw 64-bit values through BigInt). C1 after a transcendental instruction is 0 (the
 *   hardware's rounding direction of its 64-bit result is not modelled).
 * - Status flags: PE/C1 come from the rounding at the precision control; tininess is detected
 *   after rounding (float80.ts); DE is raised for denormal memory operands and float80 denormal
 *   registers, after IE and ZE in precedence.
 * - Behaviour the SDM leaves undefined or vague (C1 of FFREE/FCMOVcc/FCOMI, NaN pushes of FPTAN/
 *   FSINCOS, F2XM1/FYL2XP1 outside their domains, FPREM partial step, FLD with unmasked #D,
 *   tininess after rounding) follows what the development host, an AMD EPYC, does: "observed"
 *   in comments means observed there with a native probe (x87 code run under gcc -m32).
 * - Unmasked exceptions: the destination is left unchanged for IE/ZE/DE (pre-computation
 *   exceptions); for OE/UE/PE the masked result is stored (hardware would store the result with a
 *   re-biased exponent for unmasked OE/UE). ES/B are set and #MF is raised at the next waiting
 *   instruction (CR0.NE = 1) or `ferr` is called (CR0.NE = 0, the PC's FERR# -> IRQ 13 path).
 */

/** Called when FERR# changes (CR0.NE = 0 error reporting, wired to IRQ 13 by the machine). */
export type FerrHook = (asserted: boolean) => void;

export class FpuState {
  /** ST registers by physical index 0-7 (doubles; see the file comment for precision). */
  readonly st = new Float64Array(8);
  /** 1 when rawSe/rawHi/rawLo hold the exact 80-bit value of the register (always for NaNs). */
  readonly rawValid = new Uint8Array(8);
  /** Sign (bit 15) and biased exponent (bits 0-14) of the raw 80-bit value. */
  readonly rawSe = new Uint16Array(8);
  /** Significand bits 63-32 (bit 63 is the explicit integer bit), as int32. */
  readonly rawHi = new Int32Array(8);
  /** Significand bits 31-0, as int32. */
  readonly rawLo = new Int32Array(8);
  /** Control word (FNINIT: 0x037F). Bit 6 reads as 1. */
  cw = 0x037f;
  /** Status word without TOP (bits 11-13 kept zero here; see `getSw`). */
  sw = 0;
  /** TOP of stack 0-7. */
  top = 0;
  /**
   * Tag word, 2 bits per physical register (FNINIT: 0xFFFF = all empty): 0 valid, 1 zero,
   * 2 special (NaN, infinity, denormal, unsupported), 3 empty. Kept up to date on every write.
   */
  tag = 0xffff;
  /** Last non-control instruction: offset (or real-mode linear address), CS selector, opcode. */
  fip = 0;
  fcs = 0;
  /** 11-bit opcode: low 3 bits of the first opcode byte << 8 | ModRM. */
  fop = 0;
  /** Last memory operand: offset and segment selector. */
  fdp = 0;
  fds = 0;
  /** MXCSR image for FXSAVE/FXRSTOR (no SSE is advertised: kept, never used). */
  mxcsr = 0x1f80;
  /** FERR# output (CR0.NE = 0 error reporting); the machine routes it to IRQ 13. */
  ferr: FerrHook = () => {};
  /** Current level of FERR#, so `ferr` is only called on changes. */
  ferrAsserted = false;

  /** Status word with TOP (as FNSTSW stores it). */
  getSw(): number {
    return (this.sw & ~0x3800) | (this.top << 11);
  }

  /**
   * Power-on / RESET state (SDM Vol. 3 §9.1.1, Table 9-1): CW 0040H, SW 0, TW 5555H (every register
   * tagged zero and holding +0.0), pointers 0, MXCSR 1F80H. (INIT keeps the x87 state.)
   */
  reset(): void {
    this.cw = 0x0040;
    this.sw = 0;
    this.top = 0;
    this.tag = 0x5555;
    this.st.fill(0);
    this.rawValid.fill(0);
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
    this.mxcsr = 0x1f80;
  }

  /** FNINIT state (SDM Vol. 1 §8.1.10; Vol. 2 FINIT: CW 037F, SW 0, TW FFFF, pointers 0). */
  init(): void {
    this.cw = 0x037f;
    this.sw = 0;
    this.top = 0;
    this.tag = 0xffff;
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
    // register contents (and their raw copies) are kept: FNSAVE still stores them
  }
}
