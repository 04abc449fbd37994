/**
 * The per-engine runtime object that generated block functions receive as `rt` (see README.md for
 * the whole API a generated function may use). It holds host views of guest RAM for the inline
 * memory fast paths, the stop flag set when a store hits the page of the running block, and the
 * bulk string helpers.
 */
import type { PhysMemory } from '../mem/phys.js';
import { bulkMovs, bulkStos } from '../cpu/exec-string-bulk.js';
import { raiseCode } from '../cpu/fault.js';

export class JitRuntime {
  /** Set to 1 by the code-write hook when a store hit the page of the running block (SMC). */
  stop = 0;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** PhysMemory.codePages: indexed by host page number; non-zero = page holds translated code. */
  readonly codePages: Uint8Array;
  /** The bulk paths of REP MOVS / REP STOS (exec-string-bulk.ts), called by the inlined string
   *  templates (sem/string.ts): elements moved at once, 0 = take one element inline. */
  readonly movs = bulkMovs;
  readonly stos = bulkStos;
  /** fault.ts raiseCode: an exception with an error code, for templates (RAISE has none). */
  readonly raiseCode = raiseCode;

  constructor(phys: PhysMemory) {
    this.u8 = phys.u8;
    this.u16 = phys.u16;
    this.i32 = phys.i32;
    this.codePages = phys.codePages;
  }
}
