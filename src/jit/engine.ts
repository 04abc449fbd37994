/**
 * The JIT engine: a drop-in replacement for `Cpu.run(budget)` that interprets cold code and runs
 * hot blocks as generated JavaScript (DESIGN.md "JIT").
 *
 *   const jit = new Jit(cpu, phys, { threshold: 50, verify: false });
 *   const retired = jit.run(1_000_000); // same contract as cpu.run
 *
 * Dispatcher loop, the same structure as Cpu.run: before each block (and, in cold code, before each
 * instruction) interrupts are polled exactly as Cpu.run polls them (Cpu.pollInterrupts: NMI, IF,
 * HLT wake-up; none in the one-instruction shadow after STI / MOV SS); faults thrown by a block or by the
 * interpreter are delivered by rewinding EIP to `cpu.insnEip`. Blocks end after every instruction
 * that can make an interrupt deliverable (block-end.ts), so interrupts are taken at the same
 * instruction boundaries as in the interpreter. A block runs only if it fits in the remaining
 * budget, so `run` never retires more than `budget` instructions.
 *
 * Tiering: a block start seen in cold code gets a counter (per physical page, keyed by offset and
 * mode); past `threshold` the block is decoded and translated. Cache: physical page -> (offset, mode)
 * -> Block; a block is also tied to the linear address and EIP it was decoded at.
 * Chaining: after a block exits through a direct branch or by falling through, its successor (when
 * in the same physical and linear page) is remembered in the block and entered next time without a
 * lookup. A block that branches to its own start runs as a loop inside its function, bounded by
 * the budget (the remaining budget is passed in; interrupts are checked at each iteration).
 * Regions (README.md "Regions", `regionThreshold`, default 200; 0 = off): after that many dispatcher
 * entries into a page, the blocks on a cycle through the entered one become one function that
 * continues from block to block inside itself.
 * Self-modifying code: pages holding blocks are marked in PhysMemory.codePages; a write there calls
 * `codeWritten`, which drops the blocks the write overlaps, and stops the running block right after
 * the store when it is one of them.
 */
import { Mn } from '../frontend/mnemonics.js';
import type { Cpu } from '../cpu/cpu.js';
import { FAULT } from '../cpu/fault.js';
import { deliverException } from '../cpu/system/interrupts.js';
import { Seg } from '../frontend/insn.js';
import type { PhysMemory } from '../mem/phys.js';
import { Block, Exit, PageHeat, Region, type BlockFn } from './block.js';
import { endsBlock } from './block-end.js';
import { BlockDecoder } from './discover.js';
import { translateRegion } from './emit.js';
import { codePhys, ModeBit, modeKey } from './mode.js';
import { JitRuntime } from './runtime.js';
import { verifySource } from './verify.js';

export interface JitOptions {
  /** Executions of a block start in cold code before it is translated. */
  threshold: number;
  /** Check every generated source with acorn (verify.ts). */
  verify: boolean;
  /** Longest block, in instructions (default 64). */
  maxBlockInsns?: number;
  /** Keep per-block counts from the start (`Jit.counting`; `--stats` reports inline shares from them). */
  counting?: boolean;
}

/** Region builds per block, at most (each build translates its blocks again and V8 optimises the
 *  new function again); the other loops of its page still get theirs. */
const MAX_BLOCK_REGION_BUILDS = 3;
/** Region builds per physical page, at most. */
const MAX_REGION_BUILDS = 32;
/** Instructions in one region function, at most (H<k>/I<k> names have at most 4 digits). */
const MAX_REGION_INSNS = 400;
/** Linear pages a region's blocks may lie in, at most (each is checked when it is entered). */
const MAX_REGION_SPAN = 4;
/** Blocks loopOf looks at from the hot block, at most (each look walks the links). */
const MAX_LOOP_WALK = 512;

/** The blocks and hotness counters of one guest-physical page. */
class CodePage extends PageHeat {
  readonly blocks = new Map<number, Block>();
  readonly heat = new Map<number, number>();
  /** Times a write invalidated blocks here (raises the threshold: data next to code). */
  invalidations = 0;
  /** Regions built for this page. */
  regionBuilds = 0;
  /** Region checks in a row that built nothing (each waits twice as long as the one before). */
  idleLooks = 0;
  constructor(readonly pageNumber: number) {
    super();
  }
}

/** Jit.regionThreshold's default: measured on the boot prefix and bench/jit-kernels.mjs
 *  (README.md "Regions"). */
export const REGION_THRESHOLD = 200;

/** Size of the dispatcher's target cache, minus one. */
const TARGET_MASK = 4095;
/** Slots of the cold-code counter table (Jit.cold), minus one, and the Int32s per slot: linear
 *  address, physical address (-1: empty), EIP, mode key, executions so far, translation limit. */
const COLD_MASK = 16383;
const COLD_STRIDE = 6;

export interface JitStats {
  blocksCompiled: number;
  blocksRun: number;
  chainedRuns: number;
  /** Of blocksRun, the entries runChain made after a previous block without going back to run(). */
  fastEntries: number;
  coldInstructions: number;
  invalidations: number;
  /** Region functions built (rebuilds included), blocks they held in all, regions dropped by
   *  writes into their code. */
  regionsBuilt: number;
  regionBlocks: number;
  regionsDropped: number;
}

export class Jit {
  readonly rt: JitRuntime;
  readonly stats: JitStats = {
    blocksCompiled: 0, blocksRun: 0, chainedRuns: 0, fastEntries: 0, coldInstructions: 0, invalidations: 0,
    regionsBuilt: 0, regionBlocks: 0, regionsDropped: 0,
  };
  /** Called with each region built (tests). */
  onRegion: ((r: Region) => void) | null = null;
  /**
   * Dispatcher entries into the translated blocks of a page (since its last region check) that
   * make it build (or extend) the page's region; 0 = no regions (every block its own function).
   */
  regionThreshold = REGION_THRESHOLD;
  /** A guest fault ends `run` by rethrowing FAULT, with EIP at the faulting instruction and the
   *  exception in cpu.excVector, instead of being delivered (a debugger's stop on exception; the
   *  CPU-level suites use it to run through the JIT as they run through Cpu.step). */
  stopOnFault = false;
  private readonly pages = new Map<number, CodePage>();
  /** lookup()'s direct-mapped target cache, by linear address. */
  private readonly targets: (Block | null)[] = new Array<Block | null>(TARGET_MASK + 1).fill(null);
  /**
   * Execution counts of recent cold block starts, direct-mapped by linear address (COLD_STRIDE
   * Int32s a slot): a cold block is counted here without the page maps' three Map operations per
   * execution (7% of a boot's dispatcher time went to them). A slot's count goes back to its
   * page's `heat` map when another start takes the slot.
   */
  private readonly cold = new Int32Array((COLD_MASK + 1) * COLD_STRIDE).fill(-1);
  private readonly decoder: BlockDecoder;
  /** The function last entered (a store into one of its blocks sets rt.stop; stale once it
   *  returned, which is harmless: rt.stop is cleared before every entry). */
  private running: Region | null = null;
  /**
   * Per-block counts (`Block.runs`, `Block.retired`: profiles, `--stats` shares) are kept while a
   * compile listener is attached (profilers attach one) or when set; off, an entry does no
   * bookkeeping beyond the crash trail and two local counters.
   */
  counting = false;
  private listener: ((b: Block) => void) | null = null;
  /** Called with each generated source (profilers, tests); attaching one turns `counting` on. */
  get onCompile(): ((b: Block) => void) | null {
    return this.listener;
  }
  set onCompile(f: ((b: Block) => void) | null) {
    this.listener = f;
    if (f !== null) this.counting = true;
  }

  constructor(
    readonly cpu: Cpu,
    readonly phys: PhysMemory,
    readonly opts: JitOptions,
  ) {
    this.rt = new JitRuntime(phys);
    this.decoder = new BlockDecoder(phys, opts.maxBlockInsns ?? 64);
    phys.onCodeWrite = (addr, size) => this.codeWritten(addr, size);
    if (opts.counting === true) this.counting = true;
  }

  /** Run up to `budget` instructions; returns how many were retired (Cpu.run's contract). */
  run(budget: number): number {
    const cpu = this.cpu;
    const start = cpu.icount;
    let faults = 0;
    let done = 0;
    /** Previous block and its exit code, for chaining. */
    let prev: Block | null = null;
    let prevExit: number = Exit.OTHER;
    /** > 0 while interpreting a cold block: the linear page it started in, plus one. */
    let coldPage = 0;
    // As Cpu.run: the interrupt controllers may have changed since the last call.
    cpu.intrDirty = true;
    while (done < budget) {
      try {
        while (done < budget) {
          // ---- interrupts, NMIs and halt, exactly as Cpu.run (Cpu.pollInterrupts)
          if (!cpu.intShadow) {
            // Cpu.pollInterrupts does nothing unless one of these is set (the common case).
            if (cpu.intrDirty || cpu.intrPending) {
              const eip = cpu.eip;
              const cs = cpu.segSel[Seg.CS];
              cpu.pollInterrupts();
              if (cpu.eip !== eip || cpu.segSel[Seg.CS] !== cs) {
                // An interrupt or NMI was delivered: no chaining, a new block starts here.
                prev = null;
                coldPage = 0;
              }
            }
          } else {
            cpu.intShadow = false;
            if (cpu.halted) return done;
            if (cpu.debugging()) cpu.stepDebug();
            else cpu.step();
            done = cpu.icount - start + faults;
            prev = null;
            coldPage = 0;
            continue;
          }
          if (cpu.halted) return done;

          // ---- debug facilities on (TF/RF, DR7 breakpoints, a deferred single-step trap): one
          // instruction at a time exactly as Cpu.run does it.
          if (cpu.debugging()) {
            cpu.stepDebug();
            done = cpu.icount - start + faults;
            prev = null;
            coldPage = 0;
            continue;
          }

          // ---- cold code: one instruction at a time until the block's end
          if (coldPage !== 0) {
            // A pre-decoded run up to the block's end (Cpu.runBlock: the same block ends, exact faults).
            this.stats.coldInstructions += cpu.runBlock(budget - done);
            done = cpu.icount - start + faults;
            if (endsBlock(cpu.insn) || (((cpu.segBase[Seg.CS] + cpu.eip) >>> 12) + 1) !== coldPage) coldPage = 0;
            continue;
          }

          // ---- find the block: chained successor, else lookup (which may translate it)
          let b: Block | null = null;
          if (prev !== null) {
            const n = this.successor(prev, prevExit);
            if (n !== null) {
              b = n;
              this.stats.chainedRuns++;
            }
          }
          if (b === null) {
            b = this.lookup();
            if (b !== null && prev !== null && prev.valid && prevExit !== Exit.OTHER) this.link(prev, prevExit, b);
          }
          prev = null;
          if (b === null || b.fn === null || b.length > budget - done) {
            coldPage = ((((cpu.segBase[Seg.CS] + cpu.eip) >>> 12) + 1) | 0) >>> 0;
            continue;
          }

          // ---- run it and the blocks it leads to while nothing needs this loop
          this.runChain(b, budget - done);
          done = cpu.icount - start + faults;
          prev = this.last;
          prevExit = this.lastExit;
        }
      } catch (e) {
        if (this.entered !== null) {
          this.entered.retired += cpu.icount - this.enteredAt;
          this.entered = null;
        }
        if (e !== FAULT) throw e;
        cpu.eip = cpu.insnEip;
        if (this.stopOnFault) throw e;
        deliverException(cpu);
        faults++;
        done = cpu.icount - start + faults;
        prev = null;
        coldPage = 0;
      }
    }
    return done;
  }

  /** The block that exited last from runChain and its exit code (run() chains from them). */
  private last: Block | null = null;
  private lastExit: number = Exit.OTHER;
  /** While `counting`: the block entered and cpu.icount then (a fault's retired count). */
  private entered: Block | null = null;
  private enteredAt = 0;

  /**
   * Run translated block `first` (run() has polled interrupts, checked halt, debug facilities and
   * the budget for it), then, without going back to run()'s checks, its successors for as long
   * as nothing but the next block's function needs doing: the block exited through a relative
   * branch or a near indirect one (RET, JMP/CALL r/m: none of these can change the mode, IF, TF/RF,
   * DR7, halt or an interrupt shadow; every instruction that can ends its block with another
   * exit), the successor is chained or in the target cache, it fits in the `lim` instructions
   * left, and no interrupt can have become deliverable (`intrDirty`/`intrPending` clear: run()
   * polled before `first`, and only a change at the controllers can make one deliverable).
   * Leaves the last block and its exit in `last`/`lastExit`.
   */
  private runChain(first: Block, lim: number): void {
    const cpu = this.cpu;
    const rt = this.rt;
    const trail = cpu.trail;
    const segBase = cpu.segBase;
    const counting = this.counting;
    const regionThreshold = this.regionThreshold;
    const end = cpu.icount + lim;
    let pos = cpu.trailPos;
    let entries = 0;
    let chained = 0;
    let b = first;
    // The last block run and its exit (this.last / this.lastExit once the chain ends).
    let last: Block = first;
    let lastExit: number = Exit.OTHER;
    try {
      for (;;) {
        if (regionThreshold > 0 && ++b.home!.entries >= regionThreshold) this.pageHot(b.home as CodePage, b);
        let region: Region = b.region!;
        let index = b.index;
        let ib = b.ib;
        // A region over several mapped pages runs only while all of them map as when it was built.
        if (region.span !== null && !this.spanMapped(region.span)) {
          region = b.own!;
          index = ib = 0;
        }
        this.running = region;
        rt.stop = 0;
        entries++;
        let code: number;
        if (counting) {
          b.runs++;
          this.entered = b;
          const ic = (this.enteredAt = cpu.icount);
          code = region.fn(cpu, rt, end - ic, index, ib);
          b.retired += cpu.icount - ic;
          this.entered = null;
        } else code = region.fn(cpu, rt, end - cpu.icount, index, ib);
        const p = region.blocks[code >> 2];
        const x = code & 3;
        // The crash report's trail of block starts, as Cpu.step keeps it.
        const lin = (segBase[Seg.CS] + cpu.eip) | 0;
        trail[pos] = lin;
        pos = (pos + 1) & 63;
        last = p;
        lastExit = x;
        let n = this.successor(p, x);
        if (n !== null) chained++;
        else {
          if (x === Exit.OTHER && !p.nearExit) return;
          n = this.cached(lin, p.mode);
          if (n === null) return;
          if (x !== Exit.OTHER) {
            if (p.valid) this.link(p, x, n);
          } else if (p.nextI !== n) {
            // An indirect exit's successor: a region checks its exit against the last two seen.
            p.nextI2 = p.nextI;
            p.nextI = n;
          }
        }
        if (cpu.intrDirty || cpu.intrPending || n.fn === null || n.length > end - cpu.icount) return;
        b = n;
      }
    } finally {
      this.last = last;
      this.lastExit = lastExit;
      cpu.trailPos = pos;
      this.stats.blocksRun += entries;
      this.stats.chainedRuns += chained;
      this.stats.fastEntries += entries - 1;
    }
  }

  /** The target cache's block for linear address `lin` (= CS base + EIP) in mode `mode`, or null. */
  private cached(lin: number, mode: number): Block | null {
    const cpu = this.cpu;
    const phys = codePhys(cpu, lin);
    const hit = this.targets[(lin ^ (lin >>> 12)) & TARGET_MASK];
    return hit !== null && hit.lin === lin && hit.phys === phys && hit.valid && hit.eip === cpu.eip && hit.mode === mode ? hit : null;
  }

  /** The cached block at CS:EIP in the current mode, translating it once it is hot; or null. */
  private lookup(): Block | null {
    const cpu = this.cpu;
    const lin = (cpu.segBase[Seg.CS] + cpu.eip) | 0;
    const phys = codePhys(cpu, lin);
    if (phys < 0) return null;
    // Direct-mapped cache of recent targets (RET, indirect JMP/CALL, exits after handler calls):
    // valid when the block is, and the linear address still maps to its physical address in its mode.
    const slot = (lin ^ (lin >>> 12)) & TARGET_MASK;
    const hit = this.targets[slot];
    const mode = modeKey(cpu);
    if (hit !== null && hit.lin === lin && hit.phys === phys && hit.valid && hit.eip === cpu.eip && hit.mode === mode) return hit;
    // Cold code below the translation threshold: count it and interpret.
    const cs = ((lin ^ (lin >>> 14)) & COLD_MASK) * COLD_STRIDE;
    const cold = this.cold;
    // The slot's count when it holds this start (at its limit if we go on), else -1.
    let counted = -1;
    if (cold[cs + 1] === phys && cold[cs] === lin && cold[cs + 2] === cpu.eip && cold[cs + 3] === mode) {
      counted = cold[cs + 4];
      if (counted < cold[cs + 5]) {
        cold[cs + 4] = counted + 1;
        return null;
      }
    }
    const b = this.lookupSlow(lin, phys, mode, cs, counted);
    if (b !== null) this.targets[slot] = b;
    return b;
  }

  /** Give the count in cold slot `cs` back to its page's heat map and empty the slot. */
  private evictCold(cs: number): void {
    const cold = this.cold;
    const phys = cold[cs + 1];
    if (phys < 0) return;
    cold[cs + 1] = -1;
    const page = this.pages.get(phys >>> 12);
    if (page !== undefined) page.heat.set(((phys & 0xfff) << 10) | cold[cs + 3], cold[cs + 4]);
  }

  /** lookup() through the page maps, translating a block once it is hot; `cs` is its cold slot
   *  and `counted` the slot's count of this start (-1: the slot holds another). */
  private lookupSlow(lin: number, phys: number, mode: number, cs: number, counted: number): Block | null {
    const cpu = this.cpu;
    const pn = phys >>> 12;
    const host = this.phys.npt[pn];
    if (host < 0) return null; // not RAM (ROM/MMIO holes): always interpreted
    const key = ((phys & 0xfff) << 10) | mode;
    let page = this.pages.get(pn);
    if (page !== undefined) {
      const b = page.blocks.get(key);
      if (b !== undefined && b.eip === cpu.eip && b.lin === lin) return b;
    } else {
      page = new CodePage(pn);
      this.pages.set(pn, page);
    }
    const cold = this.cold;
    let heat: number;
    if (counted >= 0) heat = counted + 1;
    else {
      // The slot goes to this start: its count moves from the page's map into the slot.
      this.evictCold(cs);
      heat = (page.heat.get(key) ?? 0) + 1;
      page.heat.delete(key);
    }
    const limit = this.opts.threshold << Math.min(page.invalidations, 12);
    if (heat <= limit) {
      cold[cs] = lin;
      cold[cs + 1] = phys;
      cold[cs + 2] = cpu.eip;
      cold[cs + 3] = mode;
      cold[cs + 4] = heat;
      cold[cs + 5] = limit;
      return null;
    }
    cold[cs + 1] = -1;
    const b = this.compile(phys, lin, cpu.eip, mode);
    b.home = page;
    page.blocks.set(key, b);
    page.idleLooks = 0; // a new block may close a new cycle
    this.phys.markJitCode(host, true);
    return b;
  }

  /**
   * The dispatcher entered the blocks of `page` regionThreshold times since the last check (the
   * last, `b`): build a region of the blocks on a cycle through b (below) when some of them are
   * not in b's region yet, at most MAX_REGION_BUILDS times per page and MAX_BLOCK_REGION_BUILDS
   * per block.
   */
  private pageHot(page: CodePage, b: Block): void {
    page.entries = 0;
    if (page.regionBuilds >= MAX_REGION_BUILDS || b.regionBuilds >= MAX_BLOCK_REGION_BUILDS) return;
    const delta = (b.lin - b.eip) | 0;
    const linPage = b.lin >>> 12;
    // Only the blocks on a cycle through b along the chaining links (whole-page regions cost far
    // more TurboFan time than they saved: README.md "Regions"), in b's mode and CS base, nearest
    // first (loopOf's order: an inner loop through b before the loop around it). A loop may cross
    // page boundaries and call functions elsewhere (the region then checks its pages' mappings
    // when entered: `Region.span`): at most MAX_REGION_SPAN linear pages and MAX_REGION_INSNS.
    const cycle = loopOf(b, (m) => m.fn !== null && m.valid && m.mode === b.mode && ((m.lin - m.eip) | 0) === delta);
    const pages: number[] = [];
    const members: Block[] = [];
    let n = 0;
    for (const m of cycle) {
      // Blocks another region holds stay there (an inner loop, say): taking them would leave that
      // region with holes, to be rebuilt, taking them back (zlib inflate rebuilt 100-block
      // regions on every run). The cycle still runs through them; the rest of it becomes this
      // region, which leaves to theirs and is re-entered from it.
      if (m.region !== m.own && m.region !== b.region) continue;
      const lp = m.lin >>> 12;
      if (!pages.includes(lp)) {
        if (pages.length >= MAX_REGION_SPAN) continue;
        pages.push(lp);
      }
      if (n + m.length > MAX_REGION_INSNS) break;
      n += m.length;
      members.push(m);
    }
    // Nothing to build when b's region already holds all of them: a rebuild would only be another
    // function to warm up in V8 (rebuilding a cut-down set over and over cost zlib inflate 4x).
    let fresh = 0;
    for (const m of members) if (m.region !== b.region || m.region === m.own) fresh++;
    if (members.length < 2 || fresh === 0) {
      this.lookLater(page);
      return;
    }
    // In address order within b's page and then the others (a fall-through into the next case
    // needs no jump).
    members.sort((x, y) => ((x.lin >>> 12) === linPage ? 0 : 1) - ((y.lin >>> 12) === linPage ? 0 : 1) || x.phys - y.phys);
    page.regionBuilds++;
    page.idleLooks = 0;
    this.buildRegion(members);
  }

  /**
   * No region to build from the page's hot block: look again after exponentially more entries
   * (8x the threshold, doubling up to 1024x). Each look walks the chaining links; looking every
   * threshold entries cost busybox gzip 7.6% of its time, its hot blocks being entered from
   * many places without a cycle through them.
   */
  private lookLater(page: CodePage): void {
    page.entries = -(this.regionThreshold << (3 + (page.idleLooks < 7 ? page.idleLooks : 7)));
    page.idleLooks++;
  }

  /** Translate `members` into one region function and enter them through it from now on. */
  private buildRegion(members: Block[]): void {
    const t = translateRegion(members);
    if (this.opts.verify) verifySource(t.source);
    const region = new Region(members, t.fn, t.source);
    region.span = regionSpan(members);
    let ib = 0;
    for (let j = 0; j < members.length; j++) {
      const m = members[j];
      m.region = region;
      m.regionBuilds++;
      m.index = j;
      m.ib = ib;
      m.source = t.source;
      ib += m.length;
    }
    this.stats.regionsBuilt++;
    this.stats.regionBlocks += members.length;
    if (this.onRegion !== null) this.onRegion(region);
  }

  /** Decode and translate the block at `phys`. A block with no instructions gets no function. */
  private compile(phys: number, lin: number, eip: number, mode: number): Block {
    const b = this.decoder.decodeBlock(phys, lin, eip, mode);
    if (b.length === 0) return b;
    const t = translateRegion([b]);
    if (this.opts.verify) verifySource(t.source);
    b.inlined = new Uint8Array(b.length);
    for (let k = 0; k < b.length; k++) {
      if (!t.calls.has(k)) {
        b.inlineInsns++;
        b.inlined[k] = 1;
      }
      else {
        b.handlerInsns++;
        if (b.insns[k].mn >= Mn.FLD) b.fpuCalls++;
      }
    }
    b.own = new Region([b], t.fn, t.source);
    b.region = b.own;
    b.fn = t.fn as BlockFn;
    b.source = t.source;
    this.stats.blocksCompiled++;
    if (this.onCompile !== null) this.onCompile(b);
    return b;
  }

  /**
   * Chain `from` to `to` (same mode and CS base). Within one physical and linear page no mapping
   * change can separate them without ending a block; a link to another page is marked `cross`
   * and followed only while that page maps as it did (`mapped`).
   */
  private link(from: Block, exit: number, to: Block): void {
    if (from.mode !== to.mode || ((from.lin - from.eip) | 0) !== ((to.lin - to.eip) | 0)) return;
    const cross = from.phys >>> 12 !== to.phys >>> 12 || from.lin >>> 12 !== to.lin >>> 12;
    if (exit === Exit.TAKEN) {
      from.next0 = to;
      from.cross0 = cross;
    } else {
      from.next1 = to;
      from.cross1 = cross;
    }
  }

  /** The block `p` is chained to for exit `x`, if it is still valid, starts at EIP and (for a
   *  link to another page) still maps where it was decoded; else null. */
  private successor(p: Block, x: number): Block | null {
    const n = x === Exit.TAKEN ? p.next0 : x === Exit.FALLTHROUGH ? p.next1 : null;
    if (n === null || !n.valid || n.eip !== this.cpu.eip) return null;
    return !(x === Exit.TAKEN ? p.cross0 : p.cross1) || this.mapped(n) ? n : null;
  }

  /** `b`'s linear address still maps to its physical address (a cross-page link's check). */
  private mapped(b: Block): boolean {
    return codePhys(this.cpu, b.lin) === b.phys;
  }

  /** Every (linear page, physical page) pair of a region's `span` holds in the TLB now. */
  private spanMapped(span: Int32Array): boolean {
    const cpu = this.cpu;
    const mmu = cpu.mmu;
    const tlb = cpu.cpl === 3 ? mmu.tlbReadU : mmu.tlbReadS;
    for (let j = 0; j < span.length; j += 2) {
      const vpn = span[j];
      if (tlb[vpn] < 0 || mmu.tlbPhys[vpn] !== span[j + 1]) return false;
    }
    return true;
  }

  /**
   * PhysMemory.onCodeWrite: a write of `size` bytes at guest-physical `addr` is about to land in a
   * page holding blocks. Drops the blocks it overlaps; stops the running block if it is one.
   */
  codeWritten(addr: number, size: number): void {
    const pn = addr >>> 12;
    const page = this.pages.get(pn);
    if (page === undefined) return;
    const lo = addr >>> 0;
    const hi = lo + size;
    let hit = false;
    const dropped = new Set<Region>();
    for (const [key, b] of page.blocks) {
      if (b.phys < hi && lo < b.phys + b.bytes) {
        this.retire(b);
        b.valid = false;
        page.blocks.delete(key);
        if (this.running !== null && this.running.blocks.includes(b)) this.rt.stop = 1;
        if (b.region !== null && b.region !== b.own) dropped.add(b.region);
        hit = true;
      }
    }
    if (hit) {
      page.invalidations++;
      page.idleLooks = 0;
      this.stats.invalidations++;
      // Every region of the page may hold the dropped code (and a region may reach into other
      // pages): all their blocks go back to their own functions until a region is rebuilt.
      for (const b of page.blocks.values()) if (b.region !== null && b.region !== b.own) dropped.add(b.region);
      for (const r of dropped) {
        r.valid = false;
        for (const b of r.blocks) {
          if (b.region === r && b.own !== null) {
            b.region = b.own;
            b.index = 0;
            b.ib = 0;
            b.fn = b.own.fn as BlockFn;
            b.source = b.own.source;
          }
        }
      }
      this.stats.regionsDropped += dropped.size;
    }
    if (page.blocks.size === 0) {
      const host = this.phys.npt[pn];
      if (host >= 0) this.phys.markJitCode(host, false);
    }
  }

  /** Drop every block (e.g. after the machine rewrote memory behind the JIT's back). */
  flush(): void {
    for (const page of this.pages.values()) {
      for (const b of page.blocks.values()) {
        this.retire(b);
        b.valid = false;
      }
      const host = this.phys.npt[page.pageNumber];
      if (host >= 0) this.phys.markJitCode(host, false);
    }
    this.pages.clear();
    for (let cs = 1; cs < this.cold.length; cs += COLD_STRIDE) this.cold[cs] = -1;
  }

  /** Instructions retired in translated code inline / through handler calls / of those, x87 and
   *  SSE handler calls, by blocks no longer cached. */
  private readonly dropped = { inline: 0, handler: 0, fpu: 0 };

  private retire(b: Block): void {
    addShare(this.dropped, b);
  }

  /**
   * Guest instructions retired in translated code, split into those run inline, those run through
   * an interpreter handler (x87 and SSE excluded) and x87/SSE handler calls. Each block's retired
   * count is split by the shares of its instructions (exact but for a pass cut short by a fault or
   * a store into its own code).
   */
  inlineShare(): { inline: number; handler: number; fpu: number } {
    const t = { ...this.dropped };
    for (const b of this.blocks()) addShare(t, b);
    return t;
  }

  /** Lines for `x86jit boot --stats`. */
  statsLines(): string[] {
    const s = this.stats;
    const sh = this.inlineShare();
    const pct = (x: number) => (100 * x / Math.max(1, sh.inline + sh.handler)).toFixed(2);
    return [
      `JIT: ${s.blocksCompiled} blocks translated, ${s.blocksRun} dispatcher entries (${s.chainedRuns} chained, ${s.fastEntries} without the outer loop's checks), ${s.coldInstructions} cold instructions interpreted, ${s.invalidations} invalidations`,
      `JIT: ${s.regionsBuilt} regions built (${s.regionBlocks} blocks in all), ${s.regionsDropped} dropped by writes into their code`,
      this.counting
        ? `JIT: translated code retired ${Math.round(sh.inline + sh.handler + sh.fpu)} instructions: ${pct(sh.inline)}% inline, ${pct(sh.handler)}% through handlers (x87/SSE excluded; ${Math.round(sh.fpu)} x87/SSE handler calls)`
        : `JIT: per-block counts off (Jit.counting): no inline/handler shares`,
    ];
  }

  /** Every translated block (tests, profiles). */
  *blocks(): IterableIterator<Block> {
    for (const page of this.pages.values()) yield* page.blocks.values();
  }
}

/** Add block `b`'s retired instructions to `t`, split by the shares of its instructions. */
function addShare(t: { inline: number; handler: number; fpu: number }, b: Block): void {
  if (b.length === 0) return;
  t.inline += (b.retired * b.inlineInsns) / b.length;
  t.handler += (b.retired * (b.handlerInsns - b.fpuCalls)) / b.length;
  t.fpu += (b.retired * b.fpuCalls) / b.length;
}

/**
 * The blocks of `eligible` on a cycle through `b` along the chaining links (next0/next1: the
 * direct-branch and fall-through successors the dispatcher has seen taken; nextI/nextI2: those of
 * indirect exits): the strongly connected component of `b` in that graph, found among the first
 * MAX_LOOP_WALK blocks reachable from `b`.
 */
function loopOf(b: Block, eligible: (m: Block) => boolean): Block[] {
  // Breadth-first from b: the distance of each block reached (its insertion order is that order).
  const fwd = new Map<Block, number>([[b, 0]]);
  const order = [b];
  for (let q = 0; q < order.length; q++) {
    const x = order[q];
    for (const n of linksOf(x)) {
      if (n !== null && n.valid && !fwd.has(n) && fwd.size < MAX_LOOP_WALK && eligible(n)) {
        fwd.set(n, fwd.get(x)! + 1);
        order.push(n);
      }
    }
  }
  // Backwards from b over the reversed links among `fwd`: linear in the links, where iterating
  // to a fixpoint was quadratic in a long chain.
  const preds = new Map<Block, Block[]>();
  for (const x of order) {
    for (const n of linksOf(x)) {
      if (n === null || !fwd.has(n)) continue;
      const p = preds.get(n);
      if (p === undefined) preds.set(n, [x]);
      else p.push(x);
    }
  }
  const back = new Map<Block, number>([[b, 0]]);
  const queue = [b];
  for (let q = 0; q < queue.length; q++) {
    const x = queue[q];
    for (const p of preds.get(x) ?? []) {
      if (!back.has(p)) {
        back.set(p, back.get(x)! + 1);
        queue.push(p);
      }
    }
  }
  // Nearest first: links from b plus links back to b.
  const dist = (x: Block): number => fwd.get(x)! + back.get(x)!;
  return order.filter((x) => back.has(x)).sort((x, y) => dist(x) - dist(y));
}

/** The chaining links of `x` (loopOf): the direct successors, then the indirect exits' last two.
 *  A loop that calls a function returns through RET: its cycle passes through the return. */
function linksOf(x: Block): (Block | null)[] {
  return [x.next0, x.next1, x.nextI, x.nextI2];
}

/** Region.span of `members`: their (linear page, physical page) pairs when they lie in more than
 *  one linear page with paging on; null otherwise (nothing to check at entry). */
function regionSpan(members: readonly Block[]): Int32Array | null {
  if ((members[0].mode & ModeBit.PG) === 0) return null;
  const pages = new Map<number, number>();
  for (const m of members) pages.set(m.lin >>> 12, m.phys >>> 12);
  if (pages.size === 1) return null;
  const span = new Int32Array(pages.size * 2);
  let j = 0;
  for (const [lin, phys] of pages) {
    span[j++] = lin;
    span[j++] = phys;
  }
  return span;
}
