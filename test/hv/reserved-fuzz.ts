/**
 * Reserved-region fuzzer (issue 7, point 3). Random instruction sequences aimed at the hypervisor's
 * reserved region run on an in-process Machine (interpreter or JIT), with guest paging off or on:
 *
 *   loads of 1/2/4 bytes from the region, across its first and last byte and across pages inside it
 *   (MOV, MOVZX, OR, CMOVcc, XCHG, XADD, CMPXCHG8B, LODS, POP, PUSH m32, MOVS to RAM), each result
 *   stored into its own RAM scratch slot;
 *   stores into it (MOV, RMW ALU, INC/NOT, SETcc, BTS, CMPXCHG, PUSH/CALL with ESP there, STOS,
 *   MOVS from RAM, SGDT/SIDT, FNSTSW, FNSAVE/FXSAVE images straddling its edges);
 *   REP STOS / REP MOVS of up to 1 KiB crossing into and out of it, upwards and downwards (STD);
 *   with paging: an alias window of 4 KiB pages mapping RAM and region contiguously, a window of
 *   randomly scrambled 4 KiB pages (region and RAM), a 4 MiB page over it, and a page directory
 *   entry whose page table lies inside the region (the walk must read all-ones). A third of the
 *   sequences run at CPL 3.
 * A second mode (`generateRandom`) runs the JIT differential fuzzer's random sequences (test/jit/
 * fuzz.ts: every ALU/MOV/shift/string/flag form, raw system-instruction bytes...) with the address
 * registers aimed at the region's edges; those may fault or wander anywhere, so only the region's
 * bytes, its counters and the reported write addresses are checked for them.
 *
 * Before each sequence the region's host bytes are filled with a random pattern that never contains
 * 0xFF (so any leaked byte shows) and snapshotted; the exit counters in it are zeroed. After it:
 * the sequence ran to its final HLT (INT 0x80 at CPL 3) without any exception; every region byte equals the snapshot
 * except the exit counters, which equal an independent tally of the exits (so no guest write landed
 * on them either); every scratch byte that came from the region (or from unmapped space) is 0xFF;
 * every reported reserved write lies inside the region.
 */
import { ExitReason, EXIT_REASON_COUNT, type VmExit } from '../../src/cpu/exit.js';
import { RESERVED_COUNTERS_OFFSET, parseReserve, type ReservedRegion } from '../../src/hv/reserved.js';
import { Machine } from '../../src/machine/machine.js';
import type { EngineMode } from '../../src/machine/engine.js';
import { MachineStop } from '../../src/hv/exit.js';
import { generate as generateJitFuzzCase } from '../jit/fuzz.js';
import { put64, putFlatDescriptors } from '../support/machine.js';
import { Rng, startSequence } from '../support/sequence.js';


export const MEM = 16 << 20;

/** Fixed low-memory layout (guest-physical = linear with paging on, identity-mapped). */
const GDT = 0x1000;
const IDT = 0x2000;
const STUBS = 0x3000;
const FAULT = 0x5000;
const TSS = 0x6000;
const STACK0_TOP = 0x8f000;
const PD = 0x10000;
const PT_IDENT = 0x11000; // 8 tables: 0..32 MiB identity
const PT_ALIAS = 0x19000;
const PT_SCRAMBLE = 0x1a000;
const CODE = 0x20000;
const CODE_MAX = 0x8000;
const PATTERN = 0x60000; // 4 KiB of RAM with a known pattern (MOVS source)
const STACK_TOP = 0x90000;
const SCRATCH = 0x100000;
const SCRATCH_SIZE = 0x20000;
/** RAM pages the scrambled window may map besides region pages. */
export const SINK = 0x400000;
const SINK_PAGES = 256;

/** Linear windows (paging on). */
export const WIN_ALIAS = 0x40000000; // page k -> R - 1 MiB + 4 KiB * k
const WIN_SCRAMBLE = 0x40400000; // page k -> random region or sink page
const WIN_BIG = 0x80000000; // one 4 MiB page -> R rounded down to 4 MiB
const WIN_PT_IN_REGION = 0xc0000000; // PDE -> a page table inside the region
const MARGIN = 0x800; // keep every access this far from unmapped linear edges

const NO_FAULT = 0xffffffff;
const END_VECTOR = 0x80;

const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, ESI = 6, EDI = 7;
const movImm = (reg: number, v: number): number[] => [0xb8 + reg, ...le32(v)];
/** mov [abs], al/ax/eax */
const storeAcc = (size: number, abs: number): number[] => (size === 1 ? [0xa2, ...le32(abs)] : size === 2 ? [0x66, 0xa3, ...le32(abs)] : [0xa3, ...le32(abs)]);

/** A guest-linear range whose bytes were copied to a scratch slot (physical, identity). */
interface Copy {
  lin: number;
  len: number;
  slot: number;
}

interface Op {
  text: string;
  bytes: number[];
  copies: Copy[];
  /** The op certainly writes at least once into the region. */
  writesRegion: boolean;
}

export interface FuzzCase {
  seed: number;
  paging: boolean;
  /** Run the sequence at CPL 3 (user pages, ring-3 segments). */
  user: boolean;
  /** Random code (generateRandom): faults allowed, reads not checked; initial registers. */
  random: boolean;
  regs: number[];
  ops: Op[];
  /** Scrambled window: page k -> physical page address. */
  scramble: number[];
}

/** What one case runs against. */
export interface Rig {
  machine: Machine;
  region: ReservedRegion;
  tally: Float64Array;
  reservedWriteAddrs: number[];
}

export async function makeRig(mode: EngineMode, reserve: string): Promise<Rig> {
  const machine = new Machine({
    memBytes: MEM,
    mode,
    clock: 'deterministic',
    reserve: parseReserve(reserve, MEM),
    testDevices: false,
    console: () => {},
    jitThreshold: 0,
    jitVerify: false,
  });
  await machine.init();
  const rig: Rig = { machine, region: machine.opts.reserve!, tally: new Float64Array(EXIT_REASON_COUNT), reservedWriteAddrs: [] };
  // Independent tally of every exit, next to the hypervisor's own counters in the region.
  const hv = machine.hv;
  const handle = hv.handleExit.bind(hv);
  hv.handleExit = (x: VmExit) => {
    rig.tally[x.reason]++;
    handle(x);
  };
  const phys = machine.phys;
  const onReserved = phys.onReservedWrite;
  phys.onReservedWrite = (addr, size, value) => {
    rig.tally[ExitReason.ReservedWrite]++;
    rig.reservedWriteAddrs.push(addr >>> 0);
    onReserved(addr, size, value);
  };
  writeTables(rig);
  return rig;
}

/**
 * GDT (flat code 0x08 / data 0x10 at DPL 0, 0x18 / 0x20 at DPL 3, TSS 0x28), TSS (ring-0 stack),
 * IDT (vector v -> stub: mov [FAULT], v; hlt), pattern.
 */
function writeTables(rig: Rig): void {
  const p = rig.machine.phys;
  put64(p, GDT, 0, 0);
  putFlatDescriptors(p, GDT);
  put64(p, GDT + 24, 0x0000ffff, 0x00cffb00);
  put64(p, GDT + 32, 0x0000ffff, 0x00cff300);
  put64(p, GDT + 40, ((TSS & 0xffff) << 16) | 0x67, (TSS & 0xff000000) | ((TSS >>> 16) & 0xff) | 0x8b00);
  p.write32(TSS + 4, STACK0_TOP);
  p.write32(TSS + 8, 0x10);
  for (let v = 0; v <= END_VECTOR; v++) {
    if (v >= 32 && v !== END_VECTOR) continue;
    const stub = STUBS + v * 16;
    // INT END_VECTOR (DPL 3) ends a CPL 3 sequence, whose final HLT would fault.
    put64(p, IDT + v * 8, (0x08 << 16) | (stub & 0xffff), (stub & 0xffff0000) | (v === END_VECTOR ? 0xee00 : 0x8e00));
    p.writeBytes(stub, Uint8Array.from([0xc7, 0x05, ...le32(FAULT), ...le32(v), 0xf4]));
  }
  for (let i = 0; i < 0x1000; i++) p.write8(PATTERN + i, (i * 29 + 7) & 0xff);
}

// ------------------------------------------------------------------ address model

/** Where a linear address goes with this case's page tables (physical), or -1 if not mapped. */
function translate(rig: Rig, c: FuzzCase, lin: number): number {
  lin >>>= 0;
  if (!c.paging) return lin;
  const r = rig.region;
  if (lin < 0x2000000) return lin;
  if (lin >= WIN_ALIAS && lin < WIN_ALIAS + 0x400000) return r.addr - 0x100000 + (lin - WIN_ALIAS);
  if (lin >= WIN_SCRAMBLE && lin < WIN_SCRAMBLE + 0x400000) return c.scramble[(lin - WIN_SCRAMBLE) >>> 12] + (lin & 0xfff);
  if (lin >= WIN_BIG && lin < WIN_BIG + 0x400000) return (r.addr & ~0x3fffff) + (lin - WIN_BIG);
  if (lin >= WIN_PT_IN_REGION && lin < WIN_PT_IN_REGION + 0x400000) return (0xfffff000 + (lin & 0xfff)) >>> 0; // all-ones PTE
  return -1;
}

/** Guest-physical bytes the guest must read as 0xFF: the region, and space with nothing behind it. */
function mustReadOnes(rig: Rig, phys: number): boolean {
  const r = rig.region;
  if (phys >= r.addr && phys < r.addr + r.size) return true;
  return phys >= MEM && phys < 0xfec00000;
}

/** A linear address for an access of `span` bytes aimed at the region (and its edges). */
function target(rig: Rig, rng: Rng, paging: boolean, span: number, align: number): number {
  const r = rig.region;
  const end = r.addr + r.size;
  const near = (edge: number) => edge - rng.below(span + 8) + rng.below(8);
  const kinds = paging ? 8 : 4;
  let a: number;
  switch (rng.below(kinds)) {
    case 0:
      a = near(r.addr); // across the first byte
      break;
    case 1:
      a = near(end); // across the last byte
      break;
    case 2:
      a = r.addr + 0x1000 * (1 + rng.below(r.size / 0x1000 - 1)) - rng.below(span); // across a page inside
      break;
    case 3:
      a = r.addr + rng.below(r.size - span);
      break;
    case 4: {
      // alias window: RAM below, the region, RAM (or nothing) above, contiguous in linear space
      const off = rng.pick([0x100000, 0x100000 + r.size]);
      a = WIN_ALIAS + off - rng.below(span + 8) + rng.below(8);
      break;
    }
    case 5:
      a = WIN_SCRAMBLE + MARGIN + rng.below(0x400000 - 2 * MARGIN);
      break;
    case 6: {
      const base = r.addr & ~0x3fffff;
      const edges = [r.addr - base, end - base].filter((o) => o >= MARGIN && o <= 0x400000 - MARGIN);
      a = edges.length > 0 && rng.below(3) !== 0 ? WIN_BIG + rng.pick(edges) - rng.below(span + 8) + rng.below(8) : WIN_BIG + (r.addr - base) + rng.below(r.size - span);
      if (a - WIN_BIG > 0x400000 - MARGIN) a = WIN_BIG + 0x400000 - MARGIN;
      break;
    }
    default:
      a = WIN_PT_IN_REGION + MARGIN + rng.below(0x400000 - 2 * MARGIN);
  }
  return (a & ~(align - 1)) >>> 0;
}

// ------------------------------------------------------------------ generator

class Gen {
  private scratch = SCRATCH;
  constructor(
    private readonly rig: Rig,
    private readonly rng: Rng,
    private readonly paging: boolean,
  ) {}

  private slot(len: number): number {
    const s = this.scratch;
    this.scratch += (len + 15) & ~15;
    if (this.scratch > SCRATCH + SCRATCH_SIZE) throw new Error('scratch area exhausted');
    return s;
  }

  private addr(span: number, align = 1): number {
    return target(this.rig, this.rng, this.paging, span, align);
  }

  private inRegionOnly(lin: number, len: number): boolean {
    // Without paging, or through the identity map: all bytes physically inside the region.
    const r = this.rig.region;
    if (lin >= 0x2000000 && this.paging) return false;
    return lin >= r.addr && lin + len <= r.addr + r.size;
  }

  /** One op: load, store, or string op. */
  op(): Op {
    const rng = this.rng;
    const k = rng.below(100);
    if (k < 40) return this.load();
    if (k < 75) return this.store();
    return this.rep();
  }

  private load(): Op {
    const rng = this.rng;
    const size = rng.pick([1, 2, 4]);
    const form = rng.below(10);
    if (form === 0) {
      // CMPXCHG8B [ebx]: compare fails (EDX:EAX != all-ones), EDX:EAX get the memory value
      const a = this.addr(8);
      const s = this.slot(8);
      const bytes = [...movImm(EBX, a), ...movImm(EAX, 0x01020304), ...movImm(EDX, 0x05060708), 0x0f, 0xc7, 0x0b, ...storeAcc(4, s), 0x89, 0x15, ...le32(s + 4)];
      return { text: `cmpxchg8b [${hex(a)}]`, bytes, copies: [{ lin: a, len: 8, slot: s }], writesRegion: false };
    }
    if (form === 1) {
      // POP from the region (ESP there), or PUSH m32 from it then POP
      const a = this.addr(size === 1 ? 2 : size, size === 1 ? 2 : 1);
      const sz = size === 1 ? 2 : size;
      const s = this.slot(sz);
      const pop = rng.below(2) === 0;
      const body = pop
        ? [...movImm(ESP, a), ...(sz === 2 ? [0x66, 0x58] : [0x58]), ...movImm(ESP, STACK_TOP)]
        : sz === 2
          ? [...movImm(EBX, a), 0x66, 0xff, 0x33, 0x66, 0x58] // push word [ebx]; pop ax
          : [...movImm(EBX, a), 0xff, 0x33, 0x58]; // push dword [ebx]; pop eax
      return { text: `${pop ? 'pop' : 'push m'}${sz * 8} [${hex(a)}]`, bytes: [...body, ...storeAcc(sz, s)], copies: [{ lin: a, len: sz, slot: s }], writesRegion: false };
    }
    if (form === 2) {
      // MOVS to RAM, or LODS
      const a = this.addr(size);
      const s = this.slot(size);
      const pre = size === 2 ? [0x66] : [];
      if (rng.below(2) === 0) {
        const op = size === 1 ? 0xa4 : 0xa5;
        return { text: `movs${size} from ${hex(a)}`, bytes: [...movImm(ESI, a), ...movImm(EDI, s), ...pre, op], copies: [{ lin: a, len: size, slot: s }], writesRegion: false };
      }
      const op = size === 1 ? 0xac : 0xad;
      return { text: `lods${size} ${hex(a)}`, bytes: [...movImm(ESI, a), ...pre, op, ...storeAcc(size, s)], copies: [{ lin: a, len: size, slot: s }], writesRegion: false };
    }
    const a = this.addr(size);
    const s = this.slot(size);
    let insn: number[];
    let text: string;
    switch (form) {
      case 3:
        insn = size === 1 ? [0x0f, 0xb6, 0x03] : size === 2 ? [0x0f, 0xb7, 0x03] : [0x8b, 0x03]; // movzx eax / mov eax
        text = 'movzx';
        break;
      case 4:
        insn = size === 4 ? [0x31, 0xc0, 0x0b, 0x03] : size === 2 ? [0x31, 0xc0, 0x66, 0x0b, 0x03] : [0x31, 0xc0, 0x0a, 0x03]; // xor eax,eax; or eax,[ebx]
        text = 'or';
        break;
      case 5:
        insn = size === 1 ? [0x31, 0xc0, 0x86, 0x03] : size === 2 ? [0x66, 0x87, 0x03] : [0x87, 0x03]; // xchg (also writes)
        text = 'xchg';
        break;
      case 6:
        insn = size === 1 ? [0x0f, 0xc0, 0x03] : size === 2 ? [0x66, 0x0f, 0xc1, 0x03] : [0x0f, 0xc1, 0x03]; // xadd (also writes)
        text = 'xadd';
        break;
      case 7:
        insn = size === 1 ? [0x8a, 0x03] : [0x31, 0xc9, ...(size === 2 ? [0x66] : []), 0x0f, 0x44, 0x03]; // cmove (ZF = 1)
        text = size === 1 ? 'mov' : 'cmove';
        break;
      default:
        insn = size === 1 ? [0x8a, 0x03] : size === 2 ? [0x66, 0x8b, 0x03] : [0x8b, 0x03];
        text = 'mov';
    }
    return { text: `${text}${size * 8} [${hex(a)}]`, bytes: [...movImm(EBX, a), ...movImm(EAX, 0x11223344), ...insn, ...storeAcc(size, s)], copies: [{ lin: a, len: size, slot: s }], writesRegion: false };
  }

  private store(): Op {
    const rng = this.rng;
    const v = rng.next() | 0;
    const form = rng.below(12);
    if (form === 0) {
      // PUSH / CALL with ESP in the region
      const a = this.addr(4, 4);
      const call = rng.below(2) === 0;
      const body = call ? [0xe8, 0, 0, 0, 0] : [0x50];
      return { text: `${call ? 'call' : 'push'} esp=${hex(a + 4)}`, bytes: [...movImm(EAX, v), ...movImm(ESP, a + 4), ...body, ...movImm(ESP, STACK_TOP)], copies: [], writesRegion: this.inRegionOnly(a, 4) };
    }
    if (form === 1) {
      // big images straddling an edge: FNSAVE (108 bytes) / FXSAVE (512, 16-aligned), SGDT/SIDT
      const which = rng.below(3);
      const len = which === 0 ? 108 : which === 1 ? 512 : 6;
      const a = this.addr(len, which === 1 ? 16 : 1);
      const insn = which === 0 ? [0xdd, 0x33, 0xdb, 0xe3] : which === 1 ? [0x0f, 0xae, 0x03] : rng.below(2) === 0 ? [0x0f, 0x01, 0x03] : [0x0f, 0x01, 0x0b];
      return { text: `${['fnsave', 'fxsave', 'sgdt/sidt'][which]} [${hex(a)}]`, bytes: [...movImm(EBX, a), ...insn], copies: [], writesRegion: this.inRegionOnly(a, len) };
    }
    const size = rng.pick([1, 2, 4]);
    const a = this.addr(size);
    const o16 = size === 2 ? [0x66] : [];
    let insn: number[];
    let text: string;
    switch (form) {
      case 2:
        insn = [...o16, size === 1 ? 0x80 : 0x83, 0x03, rng.below(256)]; // add [ebx], imm8
        text = 'add';
        break;
      case 3:
        insn = [...o16, size === 1 ? 0xfe : 0xff, 0x03]; // inc
        text = 'inc';
        break;
      case 4:
        insn = [...o16, size === 1 ? 0xf6 : 0xf7, 0x13]; // not
        text = 'not';
        break;
      case 5:
        insn = [0x0f, 0x94, 0x03]; // sete byte
        text = 'sete';
        break;
      case 6:
        insn = size === 1 ? [0xc6, 0x03, v & 0xff] : size === 2 ? [0x66, 0xc7, 0x03, v & 0xff, (v >> 8) & 0xff] : [0xc7, 0x03, ...le32(v)];
        text = 'mov imm';
        break;
      case 7:
        insn = [...o16, 0x0f, 0xab, 0x03]; // bts [ebx], eax (bit offset from EAX & 31 / 15: set below)
        text = 'bts';
        break;
      case 8:
        insn = [...movImm(EAX, 0x7f7f7f7f), ...movImm(ECX, v), ...(size === 1 ? [0x0f, 0xb0, 0x0b] : [...o16, 0x0f, 0xb1, 0x0b])]; // cmpxchg (fails: writes back)
        text = 'cmpxchg';
        break;
      case 9:
        insn = [...movImm(EDI, a), ...o16, size === 1 ? 0xaa : 0xab]; // stos
        text = 'stos';
        break;
      case 10:
        insn = [...movImm(ESI, PATTERN + rng.below(0x800)), ...movImm(EDI, a), ...o16, size === 1 ? 0xa4 : 0xa5]; // movs from RAM
        text = 'movs';
        break;
      default:
        insn = [...o16, size === 1 ? 0x88 : 0x89, 0x03]; // mov [ebx], eax
        text = 'mov';
    }
    const setEax = form === 7 ? movImm(EAX, rng.below(size * 8)) : movImm(EAX, v);
    const writes = form === 8 ? false : this.inRegionOnly(a, size);
    return { text: `${text}${form === 5 ? 8 : size * 8} [${hex(a)}]`, bytes: [...movImm(EBX, a), ...setEax, ...insn], copies: [], writesRegion: writes };
  }

  private rep(): Op {
    const rng = this.rng;
    const size = rng.pick([1, 2, 4]);
    const count = 1 + rng.below(256);
    const len = size * count;
    const back = rng.below(3) === 0;
    const o16 = size === 2 ? [0x66] : [];
    const lo = this.addr(len, size); // lowest byte touched
    const start = back ? lo + len - size : lo; // ESI/EDI start (the highest element when DF = 1)
    const pre = back ? [0xfd] : [];
    const post = back ? [0xfc] : [];
    if (rng.below(2) === 0) {
      // REP STOS into/across the region
      const bytes = [...movImm(EDI, start), ...movImm(ECX, count), ...movImm(EAX, rng.next() | 0), ...pre, 0xf3, ...o16, size === 1 ? 0xaa : 0xab, ...post];
      return { text: `rep stos${size} ${back ? 'down' : 'up'} [${hex(lo)}, +${len})`, bytes, copies: [], writesRegion: this.inRegionOnly(lo, len) };
    }
    const op = size === 1 ? 0xa4 : 0xa5;
    if (rng.below(2) === 0) {
      // REP MOVS from the region into a scratch slot
      const s = this.slot(len);
      const bytes = [...movImm(ESI, start), ...movImm(EDI, back ? s + len - size : s), ...movImm(ECX, count), ...pre, 0xf3, ...o16, op, ...post];
      return { text: `rep movs${size} ${back ? 'down' : 'up'} from [${hex(lo)}, +${len})`, bytes, copies: [{ lin: lo, len, slot: s }], writesRegion: false };
    }
    // REP MOVS from RAM (pattern) into the region
    const src = PATTERN + rng.below(0x1000 - len + 1);
    const srcStart = back ? src + len - size : src;
    const bytes = [...movImm(ESI, srcStart & ~(size - 1)), ...movImm(EDI, start), ...movImm(ECX, count), ...pre, 0xf3, ...o16, op, ...post];
    return { text: `rep movs${size} ${back ? 'down' : 'up'} to [${hex(lo)}, +${len})`, bytes, copies: [], writesRegion: this.inRegionOnly(lo, len) };
  }
}

function hex(v: number): string {
  return `0x${(v >>> 0).toString(16)}`;
}

export function generate(rig: Rig, seed: number): FuzzCase {
  const rng = new Rng(seed);
  const paging = rng.below(2) === 0;
  const user = rng.below(3) === 0;
  const r = rig.region;
  const scramble: number[] = [];
  for (let k = 0; k < 1024; k++) scramble.push(rng.below(2) === 0 ? r.addr + 0x1000 * rng.below(r.size >>> 12) : SINK + 0x1000 * rng.below(SINK_PAGES));
  const gen = new Gen(rig, rng, paging);
  const ops: Op[] = [];
  const n = 4 + rng.below(20);
  for (let i = 0; i < n; i++) ops.push(gen.op());
  const regs = [0, 0, 0, 0, STACK_TOP, 0, 0, 0];
  return { seed, paging, user, random: false, regs, ops, scramble };
}

/** A case of random code from the JIT fuzzer, its address registers near the region's edges. */
export function generateRandom(rig: Rig, seed: number): FuzzCase {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const jc = generateJitFuzzCase(seed);
  const paging = rng.below(2) === 0;
  const r = rig.region;
  const scramble: number[] = [];
  for (let k = 0; k < 1024; k++) scramble.push(rng.below(2) === 0 ? r.addr + 0x1000 * rng.below(r.size >>> 12) : SINK + 0x1000 * rng.below(SINK_PAGES));
  const regs = jc.regs.slice();
  for (const reg of [EBX, 5, ESI, EDI]) regs[reg] = target(rig, rng, paging, 64, 1);
  if (rng.below(4) === 0) regs[EAX] = target(rig, rng, paging, 64, 1);
  regs[ESP] = STACK_TOP - 4 * rng.below(16);
  const ops = jc.chunks.map((bytes) => ({ text: bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '), bytes, copies: [], writesRegion: false }));
  return { seed, paging, user: false, random: true, regs, ops, scramble };
}

// ------------------------------------------------------------------ running and checking

function prepare(rig: Rig, c: FuzzCase, code: Uint8Array): Uint8Array {
  const { machine } = rig;
  const { cpu, phys } = machine;
  // Fresh scratch and boundary RAM; the code through the NPT so the JIT drops stale translations.
  phys.u8.fill(0, SCRATCH, SCRATCH + SCRATCH_SIZE);
  phys.writeBytes(CODE, code);
  phys.write32(FAULT, NO_FAULT);
  startSequence(cpu, { gdt: GDT, gdtLimit: 47, regs: c.regs });
  cpu.idtBase = IDT;
  cpu.idtLimit = (END_VECTOR + 1) * 8 - 1;
  if (c.user) {
    for (let s = 0; s < 6; s++) {
      cpu.segSel[s] = s === 1 ? 0x1b : 0x23;
      cpu.segAttr[s] = (s === 1 ? 0xfb : 0xf3) | 0x4000;
    }
    cpu.cpl = 3;
  }
  cpu.trSel = 0x28;
  cpu.trBase = TSS;
  cpu.trLimit = 0x67;
  cpu.trAttr = 0x8b;
  if (c.paging) {
    const r = rig.region;
    for (let i = 0; i < 1024; i++) phys.write32(PD + i * 4, 0);
    for (let t = 0; t < 8; t++) {
      phys.write32(PD + t * 4, (PT_IDENT + t * 0x1000) | 7);
      for (let i = 0; i < 1024; i++) phys.write32(PT_IDENT + t * 0x1000 + i * 4, ((t << 22) | (i << 12)) | 7);
    }
    phys.write32(PD + (WIN_ALIAS >>> 22) * 4, PT_ALIAS | 7);
    for (let i = 0; i < 1024; i++) phys.write32(PT_ALIAS + i * 4, (r.addr - 0x100000 + i * 0x1000) | 7);
    phys.write32(PD + (WIN_SCRAMBLE >>> 22) * 4, PT_SCRAMBLE | 7);
    for (let i = 0; i < 1024; i++) phys.write32(PT_SCRAMBLE + i * 4, c.scramble[i] | 7);
    phys.write32(PD + (WIN_BIG >>> 22) * 4, (r.addr & ~0x3fffff) | 0x87); // 4 MiB page
    phys.write32(PD + (WIN_PT_IN_REGION >>> 22) * 4, (r.addr + 0x3000) | 7); // its page table is in the region
    cpu.cr4 |= 0x10; // PSE
    cpu.cr3 = PD;
    cpu.cr0 |= 0x80000000;
  }
  cpu.mmu.flush(true);
  cpu.eip = CODE;
  // The region: a pattern without 0xFF after the header and counters; counters zeroed.
  const rv = phys.hostView(rig.region.addr, rig.region.size);
  let x = c.seed | 1;
  const countersEnd = RESERVED_COUNTERS_OFFSET + 8 * EXIT_REASON_COUNT;
  for (let i = countersEnd; i < rv.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    rv[i] = (x >>> 0) % 255;
  }
  machine.hv.counts.fill(0);
  rig.tally.fill(0);
  rig.reservedWriteAddrs.length = 0;
  return rv.slice();
}

export function describeCase(c: FuzzCase): string {
  const regs = c.random ? `, random code, regs ${c.regs.map((v) => hex(v)).join(' ')}` : '';
  return `seed ${c.seed} (${c.paging ? 'paging on' : 'paging off'}, CPL ${c.user ? 3 : 0}${regs}):\n` + c.ops.map((o) => `  ${o.text}`).join('\n');
}

/** Run one case; returns null when every check holds, else what went wrong. */
export function runCase(rig: Rig, c: FuzzCase): string | null {
  const code = Uint8Array.from([...c.ops.flatMap((o) => o.bytes), ...(c.user ? [0xcd, END_VECTOR] : [0xf4])]);
  if (code.length > CODE_MAX) throw new Error('sequence too long');
  if (c.random) writeTables(rig); // random code may have overwritten them
  const snap = prepare(rig, c, code);
  const { machine } = rig;
  const { cpu, phys } = machine;
  const problems: string[] = [];
  try {
    let budget = c.random ? 2_000 : 100_000; // random code may loop or wander: the JIT fuzzer's budget
    while (!cpu.halted && budget > 0) {
      const n = machine.engine.run(Math.min(budget, 10_000));
      if (n === 0) break;
      budget -= n;
    }
  } catch (e) {
    // Random code may triple-fault (a MachineStop); anything else is an emulator error.
    if (!c.random || !(e instanceof MachineStop)) problems.push(`threw ${(e as Error).message}`);
  }
  const fault = phys.read32(FAULT) >>> 0;
  const end = CODE + code.length;
  if (c.random) {
    // faults and wandering allowed: only the region checks below
  } else if (c.user && fault === END_VECTOR) {
    const eip = phys.read32(cpu.regs[ESP]) >>> 0;
    if (eip !== end) problems.push(`INT ${END_VECTOR} from ${hex(eip)}, not from the end of the sequence`);
  } else if (c.user && fault === NO_FAULT) problems.push(`did not reach the final INT ${END_VECTOR} (eip ${hex(cpu.eip)}, halted ${cpu.halted})`);
  else if (fault !== NO_FAULT) {
    // The stub halted with the exception frame on the (identity-mapped) stack: [error code,] EIP.
    const withCode = fault === 8 || (fault >= 10 && fault <= 14) || fault === 17;
    const eip = phys.read32((cpu.regs[ESP] + (withCode ? 4 : 0)) | 0) >>> 0;
    problems.push(`exception ${fault} at ${hex(eip)} (cr2 ${hex(cpu.cr2)})`);
  }
  else if (!cpu.halted || cpu.eip >>> 0 !== end) problems.push(`did not reach the final HLT (eip ${hex(cpu.eip)}, halted ${cpu.halted})`);

  // The hypervisor's bytes: unchanged but for its exit counters, which match the tally.
  const r = rig.region;
  const rv = phys.hostView(r.addr, r.size);
  const cStart = RESERVED_COUNTERS_OFFSET;
  const cEnd = cStart + 8 * EXIT_REASON_COUNT;
  let changed = 0;
  let first = -1;
  for (let i = 0; i < rv.length; i++) {
    if (i >= cStart && i < cEnd) continue;
    if (rv[i] !== snap[i]) {
      if (first < 0) first = i;
      changed++;
    }
  }
  if (changed > 0) problems.push(`${changed} region byte(s) changed, first at ${hex(r.addr + first)}: ${hex(snap[first])} -> ${hex(rv[first])}`);
  for (let k = 0; k < EXIT_REASON_COUNT; k++) {
    if (machine.hv.counts[k] !== rig.tally[k]) problems.push(`exit counter ${k} in the region is ${machine.hv.counts[k]}, ${rig.tally[k]} exits happened`);
  }
  // Reported reserved writes: inside the region; at least one per op that surely writes there.
  for (const a of rig.reservedWriteAddrs) {
    if (a < r.addr || a >= r.addr + r.size) {
      problems.push(`reserved write reported at ${hex(a)}, outside the region`);
      break;
    }
  }
  if (c.random) return problems.length === 0 ? null : problems.join('\n');
  const sure = c.ops.filter((o) => o.writesRegion).length;
  if (rig.tally[ExitReason.ReservedWrite] < sure) problems.push(`${rig.tally[ExitReason.ReservedWrite]} reserved writes counted, ${sure} ops wrote into the region`);

  // Everything read from the region (or from nothing) is all-ones.
  for (const o of c.ops) {
    for (const cp of o.copies) {
      for (let j = 0; j < cp.len; j++) {
        const p = translate(rig, c, cp.lin + j);
        if (p < 0) {
          problems.push(`generator bug: ${hex(cp.lin + j)} is not mapped`);
          break;
        }
        if (!mustReadOnes(rig, p)) continue;
        const got = phys.u8[cp.slot + j];
        if (got !== 0xff) {
          problems.push(`${o.text}: byte ${j} (linear ${hex(cp.lin + j)}, physical ${hex(p)}) read as ${hex(got)}, not 0xff`);
          break;
        }
      }
    }
  }
  return problems.length === 0 ? null : problems.join('\n');
}

/** Run `count` cases from `firstSeed`; returns the failures (described, at most `maxFailures`). */
export function fuzz(rig: Rig, firstSeed: number, count: number, maxFailures = 3, random = false): string[] {
  const failures: string[] = [];
  for (let i = 0; i < count && failures.length < maxFailures; i++) {
    const c = random ? generateRandom(rig, firstSeed + i) : generate(rig, firstSeed + i);
    const bad = runCase(rig, c);
    if (bad !== null) failures.push(`${describeCase(c)}\n${bad}`);
  }
  return failures;
}
