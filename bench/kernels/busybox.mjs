/**
 * Loops of the reference guest's busybox (Debian busybox-static 1.35.0, i386, stripped):
 *
 * - sha256_process_block64 (libbb/hash_md5_sha.c) at 0x081c2399. Located by its K table: the bytes
 *   of sha_K (64-bit entries, 0x428a2f98d728ae22...) sit at 0x081e2ea8 in .rodata; the only code
 *   adding `-0x5b07c(%esi,%ebp,8)` with ESI = the GOT (0x0823df28; 0x0823df28 - 0x5b07c = 0x081e2eac,
 *   the high words of sha_K) is the round loop at 0x081c2481-0x081c2534 (54 instructions: the
 *   "busybox sha256 round" of issue 17). The function begins at 0x081c2399 (push ebp... after the
 *   previous function's ret); FAST_FUNC = regparm(3): ctx in EAX; ctx layout wbuffer[64] @0,
 *   hash[8] @0x4c (the loads/stores in the function).
 * - gzip (archival/gzip.c): longest_match and the hash insert (INSERT_STRING) are inlined into
 *   deflate() (the `cmp $0x7efa` = MAX_DIST tests at 0x08191b0b/0x08191b37, the WMASK 0x7fff hash
 *   and `0x10000(..,%eax,2)` head[] updates around them), which calls fill_window and updcrc
 *   (crc32_block_endian0) and works on globals set up by the rest of gzip. So this loop runs the whole
 *   `busybox gzip -c` process: the ELF's PT_LOAD segments at their addresses (paging off, CPL 0),
 *   a Linux i386 stack (argv, envp, auxv), and `int 0x80` through an IDT gate to a stub whose IN
 *   exit makes the host do the syscall (read from an in-memory stdin, write to a buffer, brk/mmap2
 *   from bump regions, set_thread_area writing a GDT slot, a handful of constant answers).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { busyboxStaticPath } from '../../dist/guest/debian.js';
import { jobData } from '../guest-job.mjs';
import { DRIVER, SCB, SYSCALL_PORT, asm, bareMachine, elfSegments, restart } from './machine.mjs';

export const busyboxPath = () => busyboxStaticPath();

const SHA256_BLOCK = 0x081c2399;
/** Signature check: the first bytes of the function (push ebp/edi/esi/ebx; sub esp, 0x15c; call thunk). */
const SHA256_SIG = [0x55, 0x57, 0x56, 0x53, 0x81, 0xec, 0x5c, 0x01, 0x00, 0x00, 0xe8];
const MEM = 0x09400000; // busybox at 0x08048000..0x08244000, heap, mmap, stack below 0x09000000
const CNT = 0xf00;

function loadBusybox(m) {
  const elf = elfSegments(new Uint8Array(readFileSync(busyboxPath())));
  for (const s of elf.segs) {
    m.phys.u8.set(s.data, s.vaddr);
    m.phys.u8.fill(0, s.vaddr + s.data.length, s.vaddr + s.memsz);
  }
  return elf;
}

/** SHA-256 compression on the host (FIPS 180-4), for the check. */
function sha256Compress(h, block) {
  const K = [];
  for (let i = 0, n = 2; i < 64; n++) {
    let p = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) p = false;
    if (p) K[i++] = (Math.cbrt(n) % 1) * 2 ** 32 >>> 0;
  }
  const w = new Uint32Array(64);
  for (let t = 0; t < 16; t++) w[t] = (block[4 * t] << 24) | (block[4 * t + 1] << 16) | (block[4 * t + 2] << 8) | block[4 * t + 3];
  const r = (x, n) => (x >>> n) | (x << (32 - n));
  for (let t = 16; t < 64; t++) {
    const s0 = r(w[t - 15], 7) ^ r(w[t - 15], 18) ^ (w[t - 15] >>> 3);
    const s1 = r(w[t - 2], 17) ^ r(w[t - 2], 19) ^ (w[t - 2] >>> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  let [a, b, c, d, e, f, g, hh] = h;
  for (let t = 0; t < 64; t++) {
    const t1 = (hh + (r(e, 6) ^ r(e, 11) ^ r(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) >>> 0;
    const t2 = ((r(a, 2) ^ r(a, 13) ^ r(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
    hh = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = b; b = a; a = (t1 + t2) >>> 0;
  }
  return [a, b, c, d, e, f, g, hh].map((x, i) => (x + h[i]) >>> 0);
}

export function sha256Loop({ calls = 8000 } = {}) {
  const bytes = calls * 64;
  const block = jobData(64, 0xabcdef);
  const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const CTX = 0x100000;
  return {
    name: 'busybox sha256_process_block64',
    bytes,
    build() {
      const m = bareMachine(MEM);
      loadBusybox(m);
      const got = [...m.phys.u8.subarray(SHA256_BLOCK, SHA256_BLOCK + SHA256_SIG.length)];
      if (got.some((b, i) => b !== SHA256_SIG[i])) throw new Error(`busybox: no sha256_process_block64 at 0x${SHA256_BLOCK.toString(16)} (another busybox build?)`);
      const driver = asm(`
        loop:
          mov eax, ${CTX}
          call 0x${SHA256_BLOCK.toString(16)}
          dec dword ptr [${CNT}]
          jnz loop
          hlt`, DRIVER);
      let expect = H0;
      for (let i = 0; i < calls; i++) expect = sha256Compress(expect, block);
      const dv = new DataView(m.phys.buffer);
      return {
        m, driver,
        reset() {
          m.phys.i32[CNT >> 2] = calls;
          m.phys.u8.fill(0, CTX, CTX + 0x80);
          m.phys.u8.set(block, CTX);
          H0.forEach((v, i) => dv.setUint32(CTX + 0x4c + 4 * i, v, true));
        },
        ranges: [[CTX, 0x80]],
        check() {
          const h = H0.map((_, i) => dv.getUint32(CTX + 0x4c + 4 * i, true));
          return h.every((v, i) => v === expect[i]) ? null : `hash ${h.map((x) => x.toString(16))} != host ${expect.map((x) => x.toString(16))}`;
        },
      };
    },
  };
}

/** Linux i386 errno values used by the shim. */
const ENOENT = 2, EBADF = 9, ENOTTY = 25, ESPIPE = 29, ENOSYS = 38;

/**
 * A `busybox ARGV...` process with `stdin` bytes; returns { start, reset, stdout() }.
 * Syscalls (i386 numbers): the ones static glibc and busybox gzip make; unknown ones get -ENOSYS
 * (listed in `unknown`).
 */
function busyboxProcess(m, elf, argv, stdin) {
  const dv = new DataView(m.phys.buffer);
  const u8 = m.phys.u8;
  const BRK0 = 0x08300000, MMAP0 = 0x08800000, MMAP_END = 0x08f00000, SP_TOP = 0x09000000;
  let brk, mmapTop, inPos, out, exitCode;
  const unknown = new Set();
  const arg = (i) => dv.getInt32(SCB + 4 * i, true);
  const str = (a) => {
    let e = a;
    while (u8[e]) e++;
    return Buffer.from(u8.subarray(a, e)).toString('latin1');
  };
  const stat64 = (a) => {
    u8.fill(0, a, a + 96);
    dv.setUint32(a + 16, 0o010600, true); // st_mode: a FIFO (pipe), as stdin/stdout in the shell
    dv.setUint32(a + 20, 1, true);
    dv.setUint32(a + 52, 4096, true);
  };
  const sys = () => {
    const nr = arg(0), a1 = arg(1), a2 = arg(2), a3 = arg(3);
    switch (nr) {
      case 1: case 252: exitCode = a1; return 1; // exit, exit_group: the stub halts
      case 3: { // read
        if (a1 !== 0) return -EBADF;
        const n = Math.min(a3 >>> 0, stdin.length - inPos);
        u8.set(stdin.subarray(inPos, inPos + n), a2 >>> 0);
        inPos += n;
        return n;
      }
      case 4: // write
        if (a1 === 1) out.push(Buffer.from(u8.subarray(a2 >>> 0, (a2 >>> 0) + (a3 >>> 0))));
        else if (a1 !== 2) return -EBADF;
        return a3;
      case 146: { // writev
        let n = 0;
        for (let i = 0; i < a3; i++) {
          const b = dv.getUint32((a2 >>> 0) + 8 * i, true), l = dv.getUint32((a2 >>> 0) + 8 * i + 4, true);
          if (a1 === 1) out.push(Buffer.from(u8.subarray(b, b + l)));
          n += l;
        }
        return n;
      }
      case 45: // brk
        if (a1 !== 0 && (a1 >>> 0) >= BRK0 && (a1 >>> 0) < MMAP0) brk = a1 >>> 0;
        return brk;
      case 192: { // mmap2 (anonymous only)
        const len = ((a2 >>> 0) + 0xfff) & ~0xfff;
        if (mmapTop + len > MMAP_END) return -12;
        const a = mmapTop;
        mmapTop += len;
        u8.fill(0, a, a + len);
        return a;
      }
      case 91: case 125: case 219: return 0; // munmap, mprotect, madvise
      case 243: { // set_thread_area(struct user_desc *)
        const ud = a1 >>> 0;
        dv.setUint32(ud, 6, true); // entry_number
        const base = dv.getUint32(ud + 4, true), limit = dv.getUint32(ud + 8, true);
        m.setTls(base, limit);
        return 0;
      }
      case 54: return -ENOTTY; // ioctl: not a terminal
      case 195: case 196: stat64(a2 >>> 0); return 0; // stat64, lstat64
      case 197: stat64(a2 >>> 0); return a1 <= 2 ? 0 : -EBADF; // fstat64
      case 5: case 295: case 33: case 85: return -ENOENT; // open, openat, access, readlink
      case 6: return 0; // close
      case 19: case 140: return -ESPIPE; // lseek, _llseek
      case 20: case 224: return 100; // getpid, gettid
      case 199: case 200: case 201: case 202: return 0; // get[e]uid32, get[e]gid32
      case 13: if (a1) dv.setUint32(a1 >>> 0, 0x60000000, true); return 0x60000000; // time
      case 174: case 175: case 258: case 311: case 186: case 55: case 221: return 0; // signals, tid, robust list, sigaltstack, fcntl
      case 122: { u8.fill(0, a1 >>> 0, (a1 >>> 0) + 390); Buffer.from('Linux').copy(u8, a1 >>> 0); Buffer.from('6.1.0').copy(u8, (a1 >>> 0) + 130); Buffer.from('i686').copy(u8, (a1 >>> 0) + 260); return 0; }
      case 355: u8.fill(0, a1 >>> 0, (a1 >>> 0) + (a2 >>> 0)); return a2; // getrandom: zeros (deterministic)
      case 191: dv.setUint32(a2 >>> 0, 8 << 20, true); dv.setUint32((a2 >>> 0) + 4, -1 >>> 0, true); return 0; // ugetrlimit
      case 172: return -22; // prctl: -EINVAL
      case 386: return -ENOSYS; // rseq
      case 265: case 403: u8.fill(0, a2 >>> 0, (a2 >>> 0) + (nr === 403 ? 16 : 8)); return 0; // clock_gettime
      default:
        unknown.add(nr);
        return -ENOSYS;
    }
  };
  m.onIn = (port) => {
    if (port !== SYSCALL_PORT) throw new Error(`IN from port ${port}`);
    const r = sys();
    if (r === 1 && exitCode !== undefined) return 1;
    dv.setInt32(SCB, r, true);
    return 0;
  };
  return {
    unknown,
    exitCode: () => exitCode,
    stdout: () => Buffer.concat(out),
    reset() {
      brk = BRK0;
      mmapTop = MMAP0;
      inPos = 0;
      out = [];
      exitCode = undefined;
      u8.fill(0, BRK0, SP_TOP); // fresh heap, mmap area and stack
    },
    start() {
      const cpu = m.cpu;
      // Strings at the top, then auxv/envp/argv/argc below (System V i386 ABI).
      let p = SP_TOP - 0x100;
      const put = (bytes) => { p -= bytes.length; u8.set(bytes, p); return p; };
      const putStr = (s) => put(Buffer.from(`${s}\0`, 'latin1'));
      const rnd = put(createHash('sha256').update('x86jit').digest().subarray(0, 16));
      const plat = putStr('i686');
      const envs = ['PATH=/bin', 'HOME=/'].map(putStr);
      const args = argv.map(putStr);
      const auxv = [[3, elf.segs[0].vaddr + elf.phoff], [4, elf.phentsize], [5, elf.phnum], [6, 4096], [9, elf.entry], [11, 0], [12, 0], [13, 0], [14, 0], [16, 0], [17, 100], [23, 0], [25, rnd], [15, plat], [31, args[0]], [0, 0]];
      const words = [argv.length, ...args, 0, ...envs, 0, ...auxv.flat()];
      p = (p - 4 * words.length) & ~15;
      words.forEach((w, i) => dv.setUint32(p + 4 * i, w >>> 0, true));
      restart(cpu, elf.entry, p);
    },
  };
}

export function gzipLoop({ bytes = 96 << 10 } = {}) {
  const data = jobData(bytes, 0x5eed);
  return {
    name: `busybox gzip -c (deflate), ${bytes >> 10} KiB`,
    bytes,
    build() {
      const m = bareMachine(MEM);
      const elf = loadBusybox(m);
      // .data/.bss are restored before each run: gzip's globals start from the ELF image.
      const rw = elf.segs.filter((s) => s.vaddr >= 0x0823a000);
      const image = rw.map((s) => new Uint8Array(m.phys.u8.subarray(s.vaddr, s.vaddr + s.memsz)));
      const proc = busyboxProcess(m, elf, ['gzip', '-c'], data);
      return {
        m,
        reset() {
          rw.forEach((s, i) => m.phys.u8.set(image[i], s.vaddr));
          m.phys.u8.fill(0, 0, 0x100); // the canary word at %gs:0x14 before set_thread_area
          proc.reset();
        },
        start: () => proc.start(),
        // gzip's .data/.bss (globals, its G1/G2 state) and, via extra(), the whole stdout.
        ranges: rw.map((s) => [s.vaddr, s.memsz]),
        extra: () => createHash('sha256').update(proc.stdout()).digest('hex'),
        check() {
          if (proc.unknown.size) console.warn(`  gzip: unhandled syscalls ${[...proc.unknown].join(' ')}`);
          if (proc.exitCode() !== 0) return `gzip exited with ${proc.exitCode()}`;
          const z = proc.stdout();
          let back;
          try { back = gunzipSync(z); } catch (e) { return `output is not gzip (${e.message}; ${z.length} bytes)`; }
          if (Buffer.compare(back, data) !== 0) return 'gunzip(output) differs from the input';
          return null;
        },
      };
    },
  };
}
