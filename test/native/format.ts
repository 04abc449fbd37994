/**
 * The batch file formats shared by the native harness (harness/harness.c) and the TypeScript side
 * of the differential test, plus the addresses both sides agree on. This file is the reference:
 * the C structs must match the offsets here.
 *
 * Input file:  u32 magic "X86S", u32 version, u32 count, u32 record size; then `count` InRec.
 * Output file: u32 magic "X86R", u32 version, u32 count, u32 record size; then `count` OutRec.
 */

/** Where the sequence's code is placed (a MAP_FIXED page natively, an NPT mapping in the interpreter). */
export const CODE_ADDR = 0x10000000;
/**
 * The scratch page; its first SCRATCH_SIZE bytes are initialised, compared and reported:
 * 0x000-0x0ff data operands, 0x120-0x1ff stack, 0x200-0x2ff x87 environment images.
 */
export const SCRATCH_ADDR = 0x20000000;
export const SCRATCH_SIZE = 768;
/**
 * A second compared window, across the boundary of the two scratch pages (accesses that straddle
 * a page take the slow paths of the memory code): bytes STRADDLE_OFF..+STRADDLE_SIZE.
 */
export const STRADDLE_OFF = 0xf80;
export const STRADDLE_SIZE = 256;
/** A third scratch page, read-only (zeros), and a fourth one never mapped: page-fault forms. */
export const RO_PAGE = SCRATCH_ADDR + 0x2000;
export const ABSENT_PAGE = SCRATCH_ADDR + 0x3000;
/** Length of the scratch view the TypeScript side works with (both windows; zeros between). */
export const VIEW_SIZE = STRADDLE_OFF + STRADDLE_SIZE;
export const CODE_MAX = 128;
export const PATCHES = 8;
/** The (flat) selectors a 32-bit Linux process runs with on an x86-64 kernel (user CS / DS). */
export const USER_CS = 0x23;
export const USER_DS = 0x2b;

export const IN_MAGIC = 0x53363858;
export const OUT_MAGIC = 0x52363858;
export const VERSION = 1;

export const IN = {
  regs: 0, eflags: 32, memSeed: 36, codeLen: 40, fsave: 48, patchOff: 156, patchVal: 188, code: 220, SIZE: 348,
} as const;
export const OUT = {
  status: 0, vector: 4, errorCode: 8, eipOff: 12, regs: 16, eflags: 48, es: 52, ds: 54, fsave: 56, fs: 164, gs: 166, scratch: 168, straddle: 936, cr2: 1192, SIZE: 1196,
} as const;

/** FSAVE image offsets, 32-bit protected-mode layout (SDM Vol. 1 §8.1.10, Figure 8-9). */
export const FSAVE = { cw: 0, sw: 4, tw: 8, fip: 12, fcs: 16, fdp: 20, fds: 24, st: 28, SIZE: 108 } as const;

/** One generated sequence with its initial state (what the harness needs, plus test metadata). */
export interface Sequence {
  /** Index in the run (for messages). */
  id: number;
  /** Names of the forms it contains, in order (the first is the form under test). */
  forms: string[];
  code: Uint8Array;
  /** EAX..EDI initial values (ESP points into the scratch page). */
  regs: Int32Array;
  eflags: number;
  memSeed: number;
  /** Dword patches of the scratch area applied after the seeded fill: [offset, value]. */
  patches: Array<[number, number]>;
  /** FRSTOR image (108 bytes). */
  fsave: Uint8Array;
  /** EFLAGS bits the generator knows to be undefined for this sequence's operands (count rules). */
  undefFlags: number;
  /** Registers whose final value the SDM leaves undefined for these operands (bit per register). */
  undefRegs: number;
  /** x87 comparison: 'exact' (bit-exact; PC = double and exact-by-construction forms) or 'tol'. */
  fpu: 'none' | 'exact' | 'tol';
  /** x87 condition codes the SDM leaves undefined at the end (C0 0x100, C1 0x200, C2 0x400, C3 0x4000). */
  undefFsw: number;
  /** Compare the x87 state when the sequence faults (false for #MF: the host kernel's image). */
  fpuAfterFault?: boolean;
  /** x87 stores to the scratch area, [offset, format]: compared by value in 'tol' mode. */
  fpStores: Array<[number, string]>;
  /** Scratch bytes the SDM leaves implementation-specific (x87 FIP/FDP...): [offset, length]. */
  memMask: Array<[number, number]>;
}

/** Final state of one sequence, native or interpreted. */
export interface Outcome {
  /** 0 = reached the end of the code, 1 = faulted, 2 = did not finish (native timer). */
  status: number;
  vector: number;
  errorCode: number;
  /** EIP - CODE_ADDR at the fault, or the code length. */
  eipOff: number;
  regs: Int32Array;
  eflags: number;
  /** ES and DS selectors at the end (the sequence may load them). */
  es: number;
  ds: number;
  /** FS and GS selectors at the end (native GS is the host's TLS selector). */
  fs: number;
  gs: number;
  fsave: Uint8Array;
  /** CR2 of a #PF (native: the signal's si_addr). */
  cr2: number;
  /** The scratch view (VIEW_SIZE bytes): [0, SCRATCH_SIZE) and the straddle window; zeros between. */
  scratch: Uint8Array;
}

/** Fill `p` (SCRATCH_SIZE bytes) the way the harness does: xorshift32 dwords, little-endian. */
export function fillScratch(p: Uint8Array, seed: number): void {
  let x = seed >>> 0; // (the first SCRATCH_SIZE bytes of p)
  for (let i = 0; i < SCRATCH_SIZE; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    p[i] = x; p[i + 1] = x >>> 8; p[i + 2] = x >>> 16; p[i + 3] = x >>> 24;
  }
}

/** Offsets a dword patch may start at (as harness.c accepts them). */
export function patchable(off: number): boolean {
  return (off >= 0 && off <= SCRATCH_SIZE - 4) || (off >= STRADDLE_OFF && off <= VIEW_SIZE - 4);
}

/** The scratch view a sequence starts from (seeded fill + patches), exactly as the harness builds it. */
export function initialScratch(s: Sequence): Uint8Array {
  const p = new Uint8Array(VIEW_SIZE);
  fillScratch(p, s.memSeed);
  for (const [off, val] of s.patches) {
    if (!patchable(off)) continue;
    p[off] = val; p[off + 1] = val >>> 8; p[off + 2] = val >>> 16; p[off + 3] = val >>> 24;
  }
  return p;
}

export function encodeInput(seqs: readonly Sequence[]): Uint8Array {
  const buf = new Uint8Array(16 + seqs.length * IN.SIZE);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, IN_MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, seqs.length, true);
  dv.setUint32(12, IN.SIZE, true);
  seqs.forEach((s, k) => {
    const o = 16 + k * IN.SIZE;
    if (s.code.length > CODE_MAX) throw new Error(`sequence ${s.id}: code too long (${s.code.length})`);
    if (s.patches.length > PATCHES) throw new Error(`sequence ${s.id}: too many patches`);
    for (let r = 0; r < 8; r++) dv.setInt32(o + IN.regs + 4 * r, s.regs[r], true);
    dv.setUint32(o + IN.eflags, s.eflags >>> 0, true);
    dv.setUint32(o + IN.memSeed, s.memSeed >>> 0, true);
    dv.setUint32(o + IN.codeLen, s.code.length, true);
    buf.set(s.fsave, o + IN.fsave);
    for (let p = 0; p < PATCHES; p++) {
      const patch = s.patches[p];
      dv.setUint32(o + IN.patchOff + 4 * p, patch ? patch[0] : 0xffffffff, true);
      dv.setUint32(o + IN.patchVal + 4 * p, patch ? patch[1] >>> 0 : 0, true);
    }
    buf.set(s.code, o + IN.code);
  });
  return buf;
}

/** The scratch view from the two compared windows. */
export function view(low: Uint8Array, straddle: Uint8Array): Uint8Array {
  const v = new Uint8Array(VIEW_SIZE);
  v.set(low, 0);
  v.set(straddle, STRADDLE_OFF);
  return v;
}

export function decodeOutput(buf: Uint8Array): Outcome[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== OUT_MAGIC || dv.getUint32(4, true) !== VERSION || dv.getUint32(12, true) !== OUT.SIZE)
    throw new Error('native harness output: bad header');
  const n = dv.getUint32(8, true);
  if (buf.byteLength !== 16 + n * OUT.SIZE) throw new Error('native harness output: truncated');
  const res: Outcome[] = [];
  for (let k = 0; k < n; k++) {
    const o = 16 + k * OUT.SIZE;
    const regs = new Int32Array(8);
    for (let r = 0; r < 8; r++) regs[r] = dv.getInt32(o + OUT.regs + 4 * r, true);
    res.push({
      status: dv.getUint32(o + OUT.status, true),
      vector: dv.getUint32(o + OUT.vector, true),
      errorCode: dv.getUint32(o + OUT.errorCode, true),
      eipOff: dv.getUint32(o + OUT.eipOff, true),
      regs,
      eflags: dv.getUint32(o + OUT.eflags, true),
      es: dv.getUint16(o + OUT.es, true),
      ds: dv.getUint16(o + OUT.ds, true),
      fs: dv.getUint16(o + OUT.fs, true),
      cr2: dv.getUint32(o + OUT.cr2, true),
      gs: dv.getUint16(o + OUT.gs, true),
      fsave: buf.slice(o + OUT.fsave, o + OUT.fsave + FSAVE.SIZE),
      scratch: view(buf.subarray(o + OUT.scratch, o + OUT.scratch + SCRATCH_SIZE), buf.subarray(o + OUT.straddle, o + OUT.straddle + STRADDLE_SIZE)),
    });
  }
  return res;
}
