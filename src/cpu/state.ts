/**
 * Architectural state of the i686 CPU, in one fixed-shape object (every field set here, so V8 keeps
 * one hidden class; STYLE.md §11). Behaviour lives elsewhere: instruction handlers in src/cpu/exec*,
 * system behaviour in src/cpu/system, the x87 in src/cpu/fpu, paging in src/mem/mmu.ts.
 *
 * Segment registers are kept as their hidden descriptor caches (SDM Vol. 3 §3.4.3): selector, base,
 * limit (byte granular, already expanded for G=1) and attributes.
 */
import { CR0, CR4 } from '../arch/control-regs.js';
import { LazyFlags } from './flags.js';
import { FpuState } from './fpu/state.js';
import { SseState } from './sse/state.js';

/** segAttr bit layout: the descriptor's bits 40-55 shifted down by 8 (SDM Vol. 3 §3.4.5). */
export const SegAttr = {
  /** Type field bits 0-3: for code/data, bit 0 = accessed, bit 1 = writable/readable,
   *  bit 2 = expand-down/conforming, bit 3 = code. */
  TYPE_MASK: 0x0f,
  ACCESSED: 0x01,
  RW: 0x02,
  DC: 0x04,
  CODE: 0x08,
  /** S: 1 = code/data, 0 = system. */
  S: 0x10,
  DPL_SHIFT: 5,
  P: 0x80,
  AVL: 0x1000,
  /** D/B: default operand size 32 (code) / big stack (SS) / 4 GiB upper bound (expand-down). */
  DB: 0x4000,
  G: 0x8000,
} as const;

/** EFLAGS bits that are never lazy (SDM Vol. 1 §3.4.3). */
export const EF = {
  CF: 1 << 0,
  FIXED1: 1 << 1,
  PF: 1 << 2,
  AF: 1 << 4,
  ZF: 1 << 6,
  SF: 1 << 7,
  TF: 1 << 8,
  IF: 1 << 9,
  DF: 1 << 10,
  OF: 1 << 11,
  IOPL_SHIFT: 12,
  IOPL: 3 << 12,
  NT: 1 << 14,
  RF: 1 << 16,
  VM: 1 << 17,
  AC: 1 << 18,
  VIF: 1 << 19,
  VIP: 1 << 20,
  ID: 1 << 21,
} as const;

/** The control-register bits live in a leaf module (the MMU reads them too); re-exported for the CPU's users. */
export { CR0, CR4 };

export class CpuState {
  /** EAX ECX EDX EBX ESP EBP ESI EDI, as int32. */
  readonly regs = new Int32Array(8);
  /** Offset of the next instruction within CS. */
  eip = 0;
  /** EIP of the instruction being executed: faults restart it (SDM Vol. 3 §6.5). */
  insnEip = 0;
  /**
   * EFLAGS for all bits except the six arithmetic ones while `lf` holds a pending lazy result;
   * read the architectural value with `getEflags` (flags.ts).
   */
  eflags = EF.FIXED1;
  /** Lazy arithmetic flags (flags.ts). */
  readonly lf = new LazyFlags();

  readonly segSel = new Int32Array(6);
  readonly segBase = new Int32Array(6);
  /** Byte-granular limit as int32; compare unsigned (>>> 0). */
  readonly segLimit = new Int32Array(6);
  readonly segAttr = new Int32Array(6);

  gdtBase = 0;
  gdtLimit = 0xffff;
  idtBase = 0;
  idtLimit = 0x3ff;
  ldtSel = 0;
  ldtBase = 0;
  ldtLimit = 0;
  trSel = 0;
  trBase = 0;
  trLimit = 0xffff;
  trAttr = 0;

  cr0 = CR0.ET | CR0.CD | CR0.NW;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);

  /** Current privilege level 0-3 (CS.RPL in protected mode, 0 in real mode). */
  cpl = 0;
  /** CS.D: default operand/address size is 32 bits. */
  code32 = false;
  /** SS.B: stack pointer is ESP (else SP). */
  stack32 = false;

  /** HLT executed; cleared by an interrupt. */
  halted = false;
  /** Interrupts are inhibited for one instruction after STI / MOV SS / POP SS (SDM Vol. 3 §6.8.3). */
  intShadow = false;

  /** SYSENTER MSRs (0x174-0x176). */
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;

  /** Exception being raised (see fault.ts). */
  excVector = 0;
  excCode = 0;
  excHasCode = false;

  /** Instructions retired (a double: exact to 2^53). */
  icount = 0;

  readonly fpu = new FpuState();
  readonly sse = new SseState();
}
