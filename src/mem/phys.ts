/**
 * Guest-physical memory behind a nested page table (DESIGN.md "Memory").
 *
 * Host memory is one ArrayBuffer. The nested page table `npt` maps each 4 KiB guest-physical page
 * (the whole 4 GiB space, 1 Mi entries) to:
 *   >= 0            the host page number inside `ram` (RAM the guest may use);
 *   NPT_UNMAPPED    nothing: reads all-ones, writes dropped (a hole in the physical map);
 *   NPT_RESERVED    the hypervisor's reserved region: reads all-ones, writes dropped and reported
 *                   as a VM exit (`onReservedWrite`). The host bytes exist (the hypervisor keeps its
 *                   own data there, reachable through `hostView`) but no guest path reaches them;
 *   NPT_MMIO        an MMIO device page: every access goes to the MMIO bus.
 * Every guest access path (CPU with or without paging, string ops, device DMA) goes through
 * read8..write32 here, so the reserved region cannot leak in either direction.
 *
 * Fast path: aligned RAM accesses index typed arrays directly. The JIT and TLB use `npt` and the
 * views to build their own inline fast paths.
 */

/** Where accesses to MMIO pages go (the hypervisor's MMIO bus implements it; memory does not import
 *  the hypervisor: DESIGN.md "Layers"). */
export interface MmioTarget {
  read(addr: number, size: number): number;
  write(addr: number, size: number, value: number): void;
}

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const NPT_UNMAPPED = -1;
export const NPT_RESERVED = -2;
export const NPT_MMIO = -3;
/**
 * Bits of `codePages` (any non-zero value sends stores to the page down the slow path, `codeWrite`):
 * translated code (the JIT, through `markJitCode`), the interpreter's running block (`watch`), and
 * pre-decoded interpreter blocks whose write generation is armed (`codeGen`).
 */
export const CODE_JIT = 1;
export const CODE_WATCHED = 2;
export const CODE_BLOCKS = 4;
/** `codeGen` stops here: the page's blocks are then compared word by word on every lookup. */
export const CODE_GEN_MAX = 0x7fffffff;

export class PhysMemory {
  readonly size: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  /** Nested page table: guest-physical page -> host page or NPT_* (see file comment). */
  readonly npt = new Int32Array(1 << 20);
  /**
   * Per host page, CODE_* bits: translated code (CODE_JIT), the interpreter's running block
   * (CODE_WATCHED, see `watchLo`), armed pre-decoded blocks (CODE_BLOCKS, see `codeGen`). Every
   * store path (write8..32 here, the MMU's and the CPU's TLB fast paths, the JIT's inline stores,
   * the bulk string paths through `bulkWritable`) takes the slow path `codeWrite` when the page's
   * byte is non-zero. Written only by the methods here. A write to a CODE_JIT page calls
   * `onCodeWrite` before the write lands so the JIT can invalidate (self-modifying code).
   */
  readonly codePages: Uint8Array;
  /**
   * Per host page, the generation of the interpreter's pre-decoded blocks (cpu/block-cache.ts).
   * A block cache arms a page (sets CODE_BLOCKS, moving its generation on) and notes the generation
   * in the blocks it decodes or checks there; the first store into an armed page disarms it (every
   * store path reaches `codeWrite`), so a page that mixes code and hot data sends one store per
   * check down the slow path, not every store. A block is current while its page is armed at its
   * generation: any disarm (a store, `bulkWritable`, `codeChanged`, a host clearing `codePages`)
   * ends that, and re-arming starts a new generation. Writes that bypass the store paths (a host
   * writing `u8` directly) are not seen: call `codeChanged` after them. Saturates at CODE_GEN_MAX
   * (the page is then never armed again: its blocks are compared on every lookup).
   */
  readonly codeGen: Int32Array;
  onCodeWrite: (physAddr: number, size: number) => void = () => {};
  /**
   * Code watch of the interpreter's running block (cpu/block-cache.ts): a store into host bytes
   * [watchLo, watchHi) calls `onWatchHit`, and the block stops after the storing instruction. `watch`
   * marks the block's page CODE_WATCHED so that every store path reaches `codeWrite`; the mark is
   * dropped by the first store into the page while another page is watched.
   */
  watchLo = 0;
  watchHi = 0;
  onWatchHit: () => void = () => {};
  /** Called for each guest write that hits the reserved region (the write is dropped). */
  onReservedWrite: (physAddr: number, size: number, value: number) => void = () => {};
  reservedReads = 0;

  constructor(
    sizeBytes: number,
    private readonly mmio: MmioTarget,
  ) {
    if (sizeBytes <= 0 || sizeBytes % PAGE_SIZE !== 0) throw new Error(`memory size must be a positive multiple of 4 KiB`);
    this.size = sizeBytes;
    this.buffer = new ArrayBuffer(sizeBytes);
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.codePages = new Uint8Array(sizeBytes >>> PAGE_SHIFT);
    this.codeGen = new Int32Array(sizeBytes >>> PAGE_SHIFT);
    this.npt.fill(NPT_UNMAPPED);
    // Identity-map all RAM; the machine then carves holes (VGA, BIOS), MMIO and the reserved region.
    for (let p = 0; p < sizeBytes >>> PAGE_SHIFT; p++) this.npt[p] = p;
  }

  /** Mark [addr, addr+len) of guest-physical space (page granular). */
  mapRange(addr: number, len: number, entry: number): void {
    const first = addr >>> PAGE_SHIFT;
    const last = ((addr >>> 0) + len - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) this.npt[p] = entry;
  }

  /** Map guest-physical [addr, addr+len) to host RAM at the same offset (identity). */
  mapRam(addr: number, len: number): void {
    const first = addr >>> PAGE_SHIFT;
    const last = ((addr >>> 0) + len - 1) >>> PAGE_SHIFT;
    for (let p = first; p <= last; p++) this.npt[p] = p;
  }

  /** Host byte offset of a guest-physical address if it is RAM, else -1. */
  hostOffset(addr: number): number {
    const e = this.npt[addr >>> PAGE_SHIFT];
    return e >= 0 ? (e << PAGE_SHIFT) | (addr & (PAGE_SIZE - 1)) : -1;
  }

  /** Host-side view of host memory, bypassing the nested page table (for the hypervisor itself). */
  hostView(hostAddr: number, len: number): Uint8Array {
    return this.u8.subarray(hostAddr, hostAddr + len);
  }

  read8(addr: number): number {
    const e = this.npt[addr >>> PAGE_SHIFT];
    if (e >= 0) return this.u8[(e << PAGE_SHIFT) | (addr & 0xfff)];
    return this.slowRead(addr, 1);
  }

  read16(addr: number): number {
    const e = this.npt[addr >>> PAGE_SHIFT];
    if (e >= 0 && (addr & 0xfff) <= 0xffe) {
      const h = (e << PAGE_SHIFT) | (addr & 0xfff);
      return (h & 1) === 0 ? this.u16[h >>> 1] : this.u8[h] | (this.u8[h + 1] << 8);
    }
    if (e < 0 && (addr & 0xfff) <= 0xffe) return this.slowRead(addr, 2);
    return this.read8(addr) | (this.read8((addr + 1) | 0) << 8);
  }

  /** Returns int32 (use >>> 0 for unsigned). */
  read32(addr: number): number {
    const e = this.npt[addr >>> PAGE_SHIFT];
    if (e >= 0 && (addr & 0xfff) <= 0xffc) {
      const h = (e << PAGE_SHIFT) | (addr & 0xfff);
      if ((h & 3) === 0) return this.i32[h >>> 2];
      const u = this.u8;
      return u[h] | (u[h + 1] << 8) | (u[h + 2] << 16) | (u[h + 3] << 24);
    }
    if (e < 0 && (addr & 0xfff) <= 0xffc) return this.slowRead(addr, 4);
    return this.read16(addr) | (this.read16((addr + 2) | 0) << 16);
  }

  write8(addr: number, v: number): void {
    const p = addr >>> PAGE_SHIFT;
    const e = this.npt[p];
    if (e >= 0) {
      if (this.codePages[e] !== 0) this.codeWrite(addr, 1, e);
      this.u8[(e << PAGE_SHIFT) | (addr & 0xfff)] = v;
      return;
    }
    this.slowWrite(addr, 1, v);
  }

  write16(addr: number, v: number): void {
    const e = this.npt[addr >>> PAGE_SHIFT];
    if (e >= 0 && (addr & 0xfff) <= 0xffe) {
      if (this.codePages[e] !== 0) this.codeWrite(addr, 2, e);
      const h = (e << PAGE_SHIFT) | (addr & 0xfff);
      if ((h & 1) === 0) this.u16[h >>> 1] = v;
      else {
        this.u8[h] = v;
        this.u8[h + 1] = v >> 8;
      }
      return;
    }
    if (e < 0 && (addr & 0xfff) <= 0xffe) return this.slowWrite(addr, 2, v);
    this.write8(addr, v);
    this.write8((addr + 1) | 0, v >> 8);
  }

  write32(addr: number, v: number): void {
    const e = this.npt[addr >>> PAGE_SHIFT];
    if (e >= 0 && (addr & 0xfff) <= 0xffc) {
      if (this.codePages[e] !== 0) this.codeWrite(addr, 4, e);
      const h = (e << PAGE_SHIFT) | (addr & 0xfff);
      if ((h & 3) === 0) this.i32[h >>> 2] = v;
      else {
        const u = this.u8;
        u[h] = v;
        u[h + 1] = v >> 8;
        u[h + 2] = v >> 16;
        u[h + 3] = v >> 24;
      }
      return;
    }
    if (e < 0 && (addr & 0xfff) <= 0xffc) return this.slowWrite(addr, 4, v);
    this.write16(addr, v);
    this.write16((addr + 2) | 0, v >> 16);
  }

  /** The JIT marks (`on`) or unmarks host page `host` as holding translated code (`codePages`). */
  markJitCode(host: number, on: boolean): void {
    if (on) this.codePages[host] |= CODE_JIT;
    else this.codePages[host] &= ~CODE_JIT;
  }

  /** Watch host bytes [lo, hi) of one page for stores (see `watchLo`). */
  watch(lo: number, hi: number): void {
    this.watchLo = lo;
    this.watchHi = hi;
    this.codePages[lo >>> PAGE_SHIFT] |= CODE_WATCHED;
  }

  /**
   * Host bytes [host, host+len) were written behind the store paths (a loader or a test writing
   * `u8`): pre-decoded blocks there are checked again before they run. Translated code is not
   * told (the JIT has its own `flush`).
   */
  codeChanged(host: number, len: number): void {
    if (len <= 0) return;
    const last = Math.min((host + len - 1) >>> PAGE_SHIFT, this.codeGen.length - 1);
    for (let p = host >>> PAGE_SHIFT; p <= last; p++) this.disarm(p);
  }

  /**
   * A bulk store path (REP STOS/MOVS chunks) is about to write host page `p` directly: true when it
   * may (the page's pre-decoded blocks are disarmed first), false when the stores must go one by one
   * through write8..32 (translated code, whose writes the JIT must see, or the running block, whose
   * watch must see them).
   */
  bulkWritable(p: number): boolean {
    let m = this.codePages[p];
    if (m === 0) return true;
    if ((m & CODE_JIT) !== 0) return false;
    if ((m & CODE_WATCHED) !== 0) {
      if (p === this.watchLo >>> PAGE_SHIFT) return false;
      m &= ~CODE_WATCHED;
    }
    this.codePages[p] = m & ~CODE_BLOCKS;
    return true;
  }

  /** Page `p`'s pre-decoded blocks are no longer known current (see `codeGen`). */
  private disarm(p: number): void {
    this.codePages[p] &= ~CODE_BLOCKS;
  }

  /** A store of `size` bytes at guest-physical `addr` (host page `e`) is about to land in a marked page. */
  private codeWrite(addr: number, size: number, e: number): void {
    if ((this.codePages[e] & CODE_JIT) !== 0) this.onCodeWrite(addr >>> 0, size);
    const h = (e << PAGE_SHIFT) | (addr & 0xfff);
    if (h < this.watchHi && h + size > this.watchLo) this.onWatchHit();
    // Disarm the pre-decoded blocks; keep the watch mark only on the watched page.
    const m = this.codePages[e];
    this.codePages[e] = e !== this.watchLo >>> PAGE_SHIFT ? m & ~(CODE_BLOCKS | CODE_WATCHED) : m & ~CODE_BLOCKS;
  }

  /** Copy host bytes into guest-physical memory through the NPT (loaders, DMA). */
  writeBytes(addr: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.write8((addr + i) | 0, data[i]);
  }

  readBytes(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.read8((addr + i) | 0);
    return out;
  }

  /** A non-RAM access of `size` bytes inside one page: MMIO, reserved or unmapped. */
  private slowRead(addr: number, size: number): number {
    const e = this.npt[addr >>> PAGE_SHIFT];
    if (e === NPT_MMIO) {
      const v = this.mmio.read(addr, size);
      return size === 4 ? v | 0 : v & (size === 1 ? 0xff : 0xffff);
    }
    if (e === NPT_RESERVED) this.reservedReads++;
    return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
  }

  private slowWrite(addr: number, size: number, v: number): void {
    const e = this.npt[addr >>> PAGE_SHIFT];
    if (e === NPT_MMIO) this.mmio.write(addr, size, size === 4 ? v : v & (size === 1 ? 0xff : 0xffff));
    else if (e === NPT_RESERVED) this.onReservedWrite(addr >>> 0, size, v);
  }
}
