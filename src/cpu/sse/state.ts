/**
 * SSE register file: XMM0-7 as 32 int32 lanes (XMM n occupies lanes 4n..4n+3, little-endian).
 * MXCSR lives in the x87 state (FpuState.mxcsr), where FXSAVE/FXRSTOR already keep it.
 */
export class SseState {
  readonly xmm = new Int32Array(32);
}
