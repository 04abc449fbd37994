/**
 * x87 FPU register file. PLACEHOLDER written by the skeleton: the x87 owner completes it.
 */
export class FpuState {
  /** ST registers by physical index 0-7 (values as doubles; see fpu docs for precision). */
  readonly st = new Float64Array(8);
  /** Control word (FNINIT: 0x037F). */
  cw = 0x037f;
  /** Status word without TOP. */
  sw = 0;
  /** TOP of stack 0-7. */
  top = 0;
  /** Tag word, 2 bits per physical register (FNINIT: 0xFFFF = all empty). */
  tag = 0xffff;
}
