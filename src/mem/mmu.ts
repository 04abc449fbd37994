/**
 * Linear -> physical translation for the CPU: the guest's own paging (SDM Vol. 3 §4.3, 32-bit
 * paging with 4 KiB and 4 MiB pages) with a software TLB, in front of guest-physical memory.
 *
 * Accesses with the CPU's current privilege: read8..write32 (user access when CPL = 3).
 * Implicit supervisor accesses (GDT/LDT/IDT/TSS reads, SDM Vol. 3 §4.6.1): sysRead8..sysWrite32.
 * Values are returned as int32 for 32-bit reads (use >>> 0 for unsigned), zero-extended below.
 *
 * Software TLB: four direct-mapped tables indexed by the linear page number (supervisor read,
 * supervisor write, user read, user write). An entry is the host byte offset of the page inside
 * `phys.buffer`, or -1. The fast path of an access is one table lookup, one compare and a typed-array
 * access. Only RAM pages get entries; MMIO, holes and the reserved region always take the slow path
 * through PhysMemory. A write entry is only made once the PTE's dirty bit is set (by the walk of a
 * write), so D bits are exact; writes to pages holding translated code check `phys.codePages`.
 * With paging off the same tables cache the identity mapping (flushed when CR0.PG changes).
 * Entries are remembered in two lists, `filled` and `filledGlobal` (global pages: PTE.G with
 * CR4.PGE), so a CR3 write touches only the non-global pages filled since the last one (CR3 writes
 * are frequent under Linux, whose kernel mappings are global).
 */
import { CR0, CR4 } from '../arch/control-regs.js';
import type { PhysMemory } from './phys.js';

/**
 * What the MMU reads of the CPU (its control registers and privilege), and how it reports a page
 * fault: the CPU implements this, so the MMU never imports the CPU (DESIGN.md "Layers").
 */
export interface PagingCpu {
  readonly cr0: number;
  readonly cr3: number;
  readonly cr4: number;
  readonly cpl: number;
  /** #PF (SDM Vol. 3 §4.7): CR2 = `lin`, vector 14 with error code `code`; does not return. */
  pageFault(lin: number, code: number): never;
}

/** #PF error code bits (SDM Vol. 3 §4.7). */
export const PfErr = { P: 1, W: 2, U: 4, RSVD: 8 } as const;

/** Page-table entry bits (SDM Vol. 3 §4.3, Tables 4-4..4-6). */
const PTE_P = 1;
const PTE_RW = 2;
const PTE_US = 4;
const PTE_A = 0x20;
const PTE_D = 0x40;
const PDE_PS = 0x80;
const PTE_G = 0x100;

const TLB_SIZE = 1 << 20;
/** How many filled pages we track before a flush simply clears the whole tables. */
const FILLED_MAX = 32768;
/** tlbFlags bits: listed in `filled` (non-global list), entry is global, listed in `filledGlobal`. */
const TF_LISTED = 1;
const TF_GLOBAL = 2;
const TF_LISTED_G = 4;

/** Also the CPU's instruction-byte source (frontend's ByteSource: `fetch8`). */
export class Mmu {
  /** Host byte offset of the page for supervisor reads, or -1. Index: linear >>> 12. */
  readonly tlbReadS = new Int32Array(TLB_SIZE).fill(-1);
  readonly tlbWriteS = new Int32Array(TLB_SIZE).fill(-1);
  readonly tlbReadU = new Int32Array(TLB_SIZE).fill(-1);
  readonly tlbWriteU = new Int32Array(TLB_SIZE).fill(-1);
  /** Physical page number of the last translation entered for a linear page. */
  readonly tlbPhys = new Int32Array(TLB_SIZE);
  private readonly tlbFlags = new Uint8Array(TLB_SIZE);
  /** Per 4 MiB region: some entry in it came from a 4 MiB page (INVLPG must drop the region). */
  private readonly largeRegion = new Uint8Array(1024);
  private readonly filled = new Int32Array(FILLED_MAX);
  private filledCount = 0;
  /** Pages filled from global translations: a CR3 write (non-global flush) does not scan them. */
  private readonly filledGlobal = new Int32Array(FILLED_MAX);
  private filledGlobalCount = 0;
  /** TLB misses (page walks), for profiles. */
  walks = 0;

  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly i32: Int32Array;

  constructor(
    readonly phys: PhysMemory,
    readonly cpu: PagingCpu,
  ) {
    this.u8 = phys.u8;
    this.u16 = phys.u16;
    this.i32 = phys.i32;
  }

  // ------------------------------------------------------------------ accesses at the current CPL

  read8(lin: number): number {
    const h = (this.cpu.cpl === 3 ? this.tlbReadU : this.tlbReadS)[lin >>> 12];
    if (h >= 0) return this.u8[h | (lin & 0xfff)];
    return this.phys.read8(this.translate(lin, false, this.cpu.cpl === 3));
  }

  read16(lin: number): number {
    const h = (this.cpu.cpl === 3 ? this.tlbReadU : this.tlbReadS)[lin >>> 12];
    if (h >= 0) {
      if ((lin & 1) === 0) return this.u16[(h | (lin & 0xfff)) >>> 1];
      if ((lin & 0xfff) !== 0xfff) {
        const a = h | (lin & 0xfff);
        return this.u8[a] | (this.u8[a + 1] << 8);
      }
    }
    return this.slowRead16(lin, this.cpu.cpl === 3);
  }

  read32(lin: number): number {
    const h = (this.cpu.cpl === 3 ? this.tlbReadU : this.tlbReadS)[lin >>> 12];
    if (h >= 0) {
      if ((lin & 3) === 0) return this.i32[(h | (lin & 0xfff)) >>> 2];
      if ((lin & 0xfff) <= 0xffc) {
        const a = h | (lin & 0xfff);
        const u = this.u8;
        return u[a] | (u[a + 1] << 8) | (u[a + 2] << 16) | (u[a + 3] << 24);
      }
    }
    return this.slowRead32(lin, this.cpu.cpl === 3);
  }

  write8(lin: number, v: number): void {
    const h = (this.cpu.cpl === 3 ? this.tlbWriteU : this.tlbWriteS)[lin >>> 12];
    if (h >= 0 && this.phys.codePages[h >>> 12] === 0) this.u8[h | (lin & 0xfff)] = v;
    else this.phys.write8(this.translate(lin, true, this.cpu.cpl === 3), v);
  }

  write16(lin: number, v: number): void {
    const h = (this.cpu.cpl === 3 ? this.tlbWriteU : this.tlbWriteS)[lin >>> 12];
    if (h >= 0 && (lin & 0xfff) !== 0xfff && this.phys.codePages[h >>> 12] === 0) {
      const a = h | (lin & 0xfff);
      if ((a & 1) === 0) this.u16[a >>> 1] = v;
      else {
        this.u8[a] = v;
        this.u8[a + 1] = v >> 8;
      }
    } else this.slowWrite16(lin, v, this.cpu.cpl === 3);
  }

  write32(lin: number, v: number): void {
    const h = (this.cpu.cpl === 3 ? this.tlbWriteU : this.tlbWriteS)[lin >>> 12];
    if (h >= 0 && (lin & 0xfff) <= 0xffc && this.phys.codePages[h >>> 12] === 0) {
      const a = h | (lin & 0xfff);
      if ((a & 3) === 0) this.i32[a >>> 2] = v;
      else {
        const u = this.u8;
        u[a] = v;
        u[a + 1] = v >> 8;
        u[a + 2] = v >> 16;
        u[a + 3] = v >> 24;
      }
    } else this.slowWrite32(lin, v, this.cpu.cpl === 3);
  }

  // ------------------------------------------------------------------ implicit supervisor accesses

  sysRead8(lin: number): number {
    const h = this.tlbReadS[lin >>> 12];
    if (h >= 0) return this.u8[h | (lin & 0xfff)];
    return this.phys.read8(this.translate(lin, false, false));
  }
  sysRead16(lin: number): number {
    const h = this.tlbReadS[lin >>> 12];
    if (h >= 0 && (lin & 1) === 0) return this.u16[(h | (lin & 0xfff)) >>> 1];
    return this.slowRead16(lin, false);
  }
  sysRead32(lin: number): number {
    const h = this.tlbReadS[lin >>> 12];
    if (h >= 0 && (lin & 3) === 0) return this.i32[(h | (lin & 0xfff)) >>> 2];
    return this.slowRead32(lin, false);
  }
  sysWrite8(lin: number, v: number): void {
    this.phys.write8(this.translate(lin, true, false), v);
  }
  sysWrite16(lin: number, v: number): void {
    this.slowWrite16(lin, v, false);
  }
  sysWrite32(lin: number, v: number): void {
    this.slowWrite32(lin, v, false);
  }

  /** Instruction fetch (execute access: no NX in 32-bit paging, so a read at the current CPL). */
  fetch8(lin: number): number {
    return this.read8(lin);
  }

  /** Accesses with an explicit privilege (user = true: a CPL 3 access), e.g. stack pushes of an
   *  interrupt delivery made at the new CPL. */
  readAs(lin: number, size: number, user: boolean): number {
    if (size === 1) return this.phys.read8(this.translate(lin, false, user));
    if (size === 2) return this.slowRead16(lin, user);
    return this.slowRead32(lin, user);
  }
  writeAs(lin: number, size: number, v: number, user: boolean): void {
    if (size === 1) this.phys.write8(this.translate(lin, true, user), v);
    else if (size === 2) this.slowWrite16(lin, v, user);
    else this.slowWrite32(lin, v, user);
  }

  /**
   * Check that [lin, lin+size) may be written at the current CPL (raising #PF if not) without
   * writing. Multi-part instructions use it to fault before changing any state.
   */
  probeWrite(lin: number, size: number): void {
    const user = this.cpu.cpl === 3;
    this.translate(lin, true, user);
    if ((lin & 0xfff) + size > 0x1000) this.translate((lin + size - 1) | 0, true, user);
  }

  // ------------------------------------------------------------------ slow paths

  private slowRead16(lin: number, user: boolean): number {
    if ((lin & 0xfff) !== 0xfff) return this.phys.read16(this.translate(lin, false, user));
    const p0 = this.translate(lin, false, user);
    const p1 = this.translate((lin + 1) | 0, false, user);
    return this.phys.read8(p0) | (this.phys.read8(p1) << 8);
  }

  private slowRead32(lin: number, user: boolean): number {
    if ((lin & 0xfff) <= 0xffc) return this.phys.read32(this.translate(lin, false, user));
    const p0 = this.translate(lin, false, user);
    const p1 = this.translate((lin + 3) & ~0xfff, false, user);
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const a = ((lin + k) & 0xfff) >= (lin & 0xfff) ? p0 + k : p1 + ((lin + k) & 0xfff);
      v |= this.phys.read8(a | 0) << (8 * k);
    }
    return v;
  }

  private slowWrite16(lin: number, v: number, user: boolean): void {
    if ((lin & 0xfff) !== 0xfff) {
      this.phys.write16(this.translate(lin, true, user), v);
      return;
    }
    // Both pages are checked before either is written (no partial write on #PF).
    const p0 = this.translate(lin, true, user);
    const p1 = this.translate((lin + 1) | 0, true, user);
    this.phys.write8(p0, v);
    this.phys.write8(p1, v >> 8);
  }

  private slowWrite32(lin: number, v: number, user: boolean): void {
    if ((lin & 0xfff) <= 0xffc) {
      this.phys.write32(this.translate(lin, true, user), v);
      return;
    }
    const p0 = this.translate(lin, true, user);
    const p1 = this.translate((lin + 3) & ~0xfff, true, user);
    for (let k = 0; k < 4; k++) {
      const a = ((lin + k) & 0xfff) >= (lin & 0xfff) ? p0 + k : p1 + ((lin + k) & 0xfff);
      this.phys.write8(a | 0, v >> (8 * k));
    }
  }

  /**
   * Translate `lin` for a read or write with user or supervisor privilege: the physical address,
   * or #PF (CR2 = lin). Walks the page tables (setting A, and D for writes) and fills the TLB.
   */
  translate(lin: number, write: boolean, user: boolean): number {
    const vpn = lin >>> 12;
    const cached = write ? (user ? this.tlbWriteU : this.tlbWriteS)[vpn] : (user ? this.tlbReadU : this.tlbReadS)[vpn];
    if (cached >= 0) return (this.tlbPhys[vpn] << 12) | (lin & 0xfff);
    const cpu = this.cpu;
    if ((cpu.cr0 & CR0.PG) === 0) {
      this.fill(vpn, vpn, true, user, write, false, false);
      return lin;
    }
    this.walks++;
    const phys = this.phys;
    const pdeAddr = (cpu.cr3 & ~0xfff) | ((lin >>> 22) << 2);
    let pde = phys.read32(pdeAddr);
    if ((pde & PTE_P) === 0) this.pageFault(lin, 0, write, user);
    const large = (pde & PDE_PS) !== 0 && (cpu.cr4 & CR4.PSE) !== 0;
    if (large) {
      // 4 MiB page: bits 21:13 reserved with MAXPHYADDR = 32 (SDM Vol. 3 §4.3, Table 4-5).
      if ((pde & 0x3fe000) !== 0) this.pageFault(lin, PfErr.P | PfErr.RSVD, write, user);
      this.checkRights(lin, pde, pde, write, user);
      const want = PTE_A | (write ? PTE_D : 0);
      if ((pde & want) !== want) {
        pde |= want;
        phys.write32(pdeAddr, pde);
      }
      const ppn = ((pde & 0xffc00000) >>> 12) | (vpn & 0x3ff);
      const global = (pde & PTE_G) !== 0 && (cpu.cr4 & CR4.PGE) !== 0;
      this.fill(vpn, ppn, (pde & PTE_D) !== 0, user, write, global, true);
      return (ppn << 12) | (lin & 0xfff);
    }
    const pteAddr = (pde & ~0xfff) | (((lin >>> 12) & 0x3ff) << 2);
    let pte = phys.read32(pteAddr);
    if ((pte & PTE_P) === 0) this.pageFault(lin, 0, write, user);
    this.checkRights(lin, pde, pte, write, user);
    if ((pde & PTE_A) === 0) {
      pde |= PTE_A;
      phys.write32(pdeAddr, pde);
    }
    const want = PTE_A | (write ? PTE_D : 0);
    if ((pte & want) !== want) {
      pte |= want;
      phys.write32(pteAddr, pte);
    }
    const ppn = pte >>> 12;
    const global = (pte & PTE_G) !== 0 && (cpu.cr4 & CR4.PGE) !== 0;
    this.fill(vpn, ppn, (pte & PTE_D) !== 0, user, write, global, false);
    return (ppn << 12) | (lin & 0xfff);
  }

  /** Access rights of 32-bit paging (SDM Vol. 3 §4.6): the PDE and PTE bits combine with AND. */
  private checkRights(lin: number, pde: number, pte: number, write: boolean, user: boolean): void {
    const both = pde & pte;
    if (user) {
      if ((both & PTE_US) === 0 || (write && (both & PTE_RW) === 0)) this.pageFault(lin, PfErr.P, write, user);
    } else if (write && (both & PTE_RW) === 0 && (this.cpu.cr0 & CR0.WP) !== 0) {
      this.pageFault(lin, PfErr.P, write, user);
    }
  }

  private pageFault(lin: number, code: number, write: boolean, user: boolean): never {
    this.cpu.pageFault(lin, code | (write ? PfErr.W : 0) | (user ? PfErr.U : 0));
  }

  /**
   * Enter a translation into the TLB. Rights of the entry mirror what the walk allowed: a user walk
   * fills the user tables (and the supervisor read table, since user-accessible pages are
   * supervisor-readable); write entries only when the page is dirty and writable for that mode.
   */
  private fill(vpn: number, ppn: number, dirty: boolean, user: boolean, write: boolean, global: boolean, large: boolean): void {
    const e = this.phys.npt[ppn];
    if (e < 0) return; // not RAM: always the slow path
    const h = e << 12;
    let f = this.tlbFlags[vpn];
    if (global) {
      if ((f & TF_LISTED_G) === 0) {
        if (this.filledGlobalCount === FILLED_MAX) {
          this.clearAll();
          f = 0;
        }
        this.filledGlobal[this.filledGlobalCount++] = vpn;
      }
      f |= TF_LISTED_G | TF_GLOBAL;
    } else {
      if ((f & TF_LISTED) === 0) {
        if (this.filledCount === FILLED_MAX) {
          this.clearAll();
          f = 0;
        }
        this.filled[this.filledCount++] = vpn;
      }
      f = (f | TF_LISTED) & ~TF_GLOBAL;
    }
    this.tlbFlags[vpn] = f;
    if (large) this.largeRegion[vpn >>> 10] = 1;
    if (this.tlbPhys[vpn] !== ppn) {
      // A new translation for this page: entries of the old one must not survive.
      this.tlbReadS[vpn] = this.tlbWriteS[vpn] = this.tlbReadU[vpn] = this.tlbWriteU[vpn] = -1;
      this.tlbPhys[vpn] = ppn;
    }
    if (user) {
      this.tlbReadU[vpn] = h;
      if (write && dirty) this.tlbWriteU[vpn] = h;
    } else {
      this.tlbReadS[vpn] = h;
      if (write && dirty) this.tlbWriteS[vpn] = h;
    }
  }

  // ------------------------------------------------------------------ invalidation

  /** Drop TLB entries: all non-global ones, or everything when `includeGlobal`. */
  flush(includeGlobal: boolean): void {
    const flags = this.tlbFlags;
    const list = this.filled;
    for (let k = 0, n = this.filledCount; k < n; k++) {
      const vpn = list[k];
      // Refilled as global since it was listed here: it lives on in the global list.
      if (!includeGlobal && (flags[vpn] & TF_GLOBAL) !== 0) flags[vpn] &= ~TF_LISTED;
      else this.drop(vpn);
    }
    this.filledCount = 0;
    if (!includeGlobal) return;
    const glist = this.filledGlobal;
    for (let k = 0, n = this.filledGlobalCount; k < n; k++) this.drop(glist[k]);
    for (let k = 0, n = this.filledGlobalCount; k < n; k++) flags[glist[k]] = 0;
    this.filledGlobalCount = 0;
  }

  /** INVLPG: drop the entry of `lin` (the whole 4 MiB region if it came from a large page). */
  invlpg(lin: number): void {
    const vpn = lin >>> 12;
    if (this.largeRegion[vpn >>> 10] !== 0) {
      this.largeRegion[vpn >>> 10] = 0;
      const first = vpn & ~0x3ff;
      for (let p = first; p < first + 0x400; p++) this.dropListed(p);
    } else this.dropListed(vpn);
  }

  private dropListed(vpn: number): void {
    // The page stays in its lists (flush skips nothing it must drop); the entries go.
    this.tlbReadS[vpn] = this.tlbWriteS[vpn] = this.tlbReadU[vpn] = this.tlbWriteU[vpn] = -1;
    this.tlbFlags[vpn] &= TF_LISTED | TF_LISTED_G;
  }

  /** Drop the entries of `vpn`; it leaves the non-global list (still listed as global if it was). */
  private drop(vpn: number): void {
    this.tlbReadS[vpn] = this.tlbWriteS[vpn] = this.tlbReadU[vpn] = this.tlbWriteU[vpn] = -1;
    this.tlbFlags[vpn] &= TF_LISTED_G;
  }

  private clearAll(): void {
    this.tlbReadS.fill(-1);
    this.tlbWriteS.fill(-1);
    this.tlbReadU.fill(-1);
    this.tlbWriteU.fill(-1);
    this.tlbFlags.fill(0);
    this.filledCount = 0;
    this.filledGlobalCount = 0;
  }
}
