/**
 * Loops of the reference kernel (vmlinux unpacked from the reference bzImage, System.map for the
 * addresses): crc32_le, memcpy, memset, zlib_inflate (inflate_fast). The vmlinux PT_LOAD segments
 * are loaded at their physical addresses (0x01000000...), paging is on with 4 MiB pages mapping
 * 0xC0000000 -> 0 (PAGE_OFFSET of the i386 kernel) plus identity for the low driver and stack; the
 * functions run at their linked addresses with the kernel's regparm(3) convention (EAX, EDX, ECX).
 *
 * As the booted kernel does (ftrace_init), each function's leading `call __fentry__` is turned into
 * the 5-byte NOP (0f 1f 44 00 00). No other boot-time patching applies to these functions (no
 * alternatives or static calls in them; checked with objdump).
 */
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { jobData } from '../guest-job.mjs';
import { DRIVER, ENABLE_PAGING, asm, bareMachine, elfSegments, writeKernelPageDirectory } from './machine.mjs';

const MEM = 64 << 20;
const HIGH = 0xc0000000;
/** Variables of the drivers (low memory). */
const CNT = 0xf00, VAR = 0xf04, VAR2 = 0xf08;
/** Data area: physical 0x02000000.., used through the kernel's linear addresses (0xC2000000..). */
const DATA = 0x02000000;

let cached;
/** The vmlinux image with its __fentry__ calls nopped, and its System.map. */
export function kernelImage(ref) {
  if (cached) return cached;
  const elf = elfSegments(new Uint8Array(readFileSync(ref.vmlinux)));
  const syms = new Map();
  const text = [];
  for (const line of readFileSync(ref.systemMap, 'latin1').split('\n')) {
    const [a, t, name] = line.split(' ');
    if (!name) continue;
    const addr = parseInt(a, 16) >>> 0;
    if (!syms.has(name)) syms.set(name, addr);
    if (t === 't' || t === 'T') text.push(addr);
  }
  const fentry = syms.get('__fentry__');
  const seg = elf.segs[0]; // .text ...
  const code = new Uint8Array(seg.data); // copy: patched below
  let patched = 0;
  for (const addr of text) {
    const o = addr - seg.vaddr;
    if (o < 0 || o + 5 > code.length || code[o] !== 0xe8) continue;
    const rel = code[o + 1] | (code[o + 2] << 8) | (code[o + 3] << 16) | (code[o + 4] << 24);
    if (((addr + 5 + rel) >>> 0) !== fentry) continue;
    code.set([0x0f, 0x1f, 0x44, 0x00, 0x00], o);
    patched++;
  }
  cached = { elf, segs: [{ ...seg, data: code }, ...elf.segs.slice(1)], syms, patched };
  return cached;
}

function kernelMachine(ref) {
  const img = kernelImage(ref);
  const m = bareMachine(MEM);
  for (const s of img.segs) {
    m.phys.u8.set(s.data, s.paddr);
    m.phys.u8.fill(0, s.paddr + s.data.length, s.paddr + s.memsz);
  }
  writeKernelPageDirectory(m, MEM >>> 20);
  const sym = (n) => {
    const a = img.syms.get(n);
    if (a === undefined) throw new Error(`System.map has no ${n}`);
    return `0x${a.toString(16)}`;
  };
  return { m, sym, setup: asm(ENABLE_PAGING, DRIVER) };
}

const hex = (n) => `0x${(n >>> 0).toString(16)}`;

/** Reflected CRC-32 (poly 0xEDB88320) without pre/post inversion: the kernel's crc32_le(crc, p, len). */
function crc32le(crc, buf) {
  let c = crc >>> 0;
  for (let i = 0; i < buf.length; i++) {
    c ^= buf[i];
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return c >>> 0;
}

export function crc32Loop(ref, { calls = 2000, len = 4096 } = {}) {
  const data = jobData(len, 0x1234567);
  return {
    name: 'kernel crc32_le (slice-by-8), 4 KiB',
    bytes: calls * len,
    build() {
      const { m, sym, setup } = kernelMachine(ref);
      const buf = DATA;
      m.phys.u8.set(data, buf);
      const driver = asm(`
        loop:
          mov eax, [${VAR}]
          mov edx, ${hex(HIGH + buf)}
          mov ecx, ${len}
          call ${sym('crc32_le')}
          mov [${VAR}], eax
          dec dword ptr [${CNT}]
          jnz loop
          hlt`, DRIVER);
      let expect = 0xffffffff;
      for (let i = 0; i < calls; i++) expect = crc32le(expect, data);
      return {
        m, setup, driver,
        reset() {
          m.phys.i32[CNT >> 2] = calls;
          m.phys.i32[VAR >> 2] = -1;
        },
        ranges: [[VAR, 4]],
        check: () => ((m.phys.i32[VAR >> 2] >>> 0) === expect ? null : `crc ${hex(m.phys.i32[VAR >> 2])} != host ${hex(expect)}`),
      };
    },
  };
}

/** (dst offset, src offset, length): page copies, packet- and sector-sized, small and odd copies. */
const COPIES = [
  [0x0000, 0x0000, 4096], [0x1000, 0x2000, 4096], [0x3004, 0x5001, 1514], [0x4000, 0x0800, 512],
  [0x4800, 0x7003, 256], [0x5000, 0x6000, 128], [0x5100, 0x6101, 64], [0x5200, 0x6202, 40],
  [0x5300, 0x6303, 33], [0x5400, 0x6400, 16], [0x5500, 0x6505, 12], [0x5600, 0x6606, 7],
  [0x5700, 0x6707, 3], [0x8000, 0x9000, 4096], [0x6000, 0xa010, 2048], [0x7001, 0xb000, 1000],
];

function opTable(m, table, rows) {
  for (let i = 0; i < rows.length; i++) for (let k = 0; k < 3; k++) m.phys.i32[(table >> 2) + i * 3 + k] = rows[i][k];
}

/** Driver: call `fn(eax, edx, ecx)` for each 12-byte row of the table at `table`, [CNT] times. */
function tableDriver(fn, table, count) {
  return asm(`
    outer:
      mov ebx, ${hex(HIGH + table)}
    inner:
      mov eax, [ebx]
      mov edx, [ebx+4]
      mov ecx, [ebx+8]
      call ${fn}
      add ebx, 12
      cmp ebx, ${hex(HIGH + table + count * 12)}
      jb inner
      dec dword ptr [${CNT}]
      jnz outer
      hlt`, DRIVER);
}

export function memcpyLoop(ref, { passes = 1500 } = {}) {
  const src = DATA, dst = DATA + 0x10000, table = DATA + 0x40000;
  const data = jobData(0x10000, 0x777);
  return {
    name: 'kernel memcpy (rep movsl), 16 sizes',
    bytes: passes * COPIES.reduce((a, c) => a + c[2], 0),
    build() {
      const { m, sym, setup } = kernelMachine(ref);
      const driver = tableDriver(sym('memcpy'), table, COPIES.length);
      opTable(m, table, COPIES.map(([d, s, n]) => [HIGH + dst + d, HIGH + src + s, n]));
      const expect = new Uint8Array(0x10000);
      for (const [d, s, n] of COPIES) expect.set(data.subarray(s, s + n), d);
      return {
        m, setup, driver,
        reset() {
          m.phys.i32[CNT >> 2] = passes;
          m.phys.u8.set(data, src);
          m.phys.u8.fill(0, dst, dst + 0x10000);
        },
        ranges: [[dst, 0x10000]],
        check: () => (Buffer.compare(m.phys.u8.subarray(dst, dst + 0x10000), expect) === 0 ? null : 'destination differs from the host copy'),
      };
    },
  };
}

export function memsetLoop(ref, { passes = 1500 } = {}) {
  const dst = DATA, table = DATA + 0x40000;
  const rows = COPIES.map(([d, , n], i) => [d, 0x11 * (i + 1), n]);
  return {
    name: 'kernel memset (rep stosl), 16 sizes',
    bytes: passes * COPIES.reduce((a, c) => a + c[2], 0),
    build() {
      const { m, sym, setup } = kernelMachine(ref);
      const driver = tableDriver(sym('memset'), table, rows.length);
      opTable(m, table, rows.map(([d, c, n]) => [HIGH + dst + d, c, n]));
      const expect = new Uint8Array(0x10000);
      for (const [d, c, n] of rows) expect.fill(c & 0xff, d, d + n);
      return {
        m, setup, driver,
        reset() {
          m.phys.i32[CNT >> 2] = passes;
          m.phys.u8.fill(0, dst, dst + 0x10000);
        },
        ranges: [[dst, 0x10000]],
        check: () => (Buffer.compare(m.phys.u8.subarray(dst, dst + 0x10000), expect) === 0 ? null : 'destination differs from the host memset'),
      };
    },
  };
}

/**
 * zlib_inflateInit2(strm, -15) + zlib_inflate(strm, Z_FINISH) on raw deflate data (host zlib -6 of
 * text-like bytes): the path the kernel takes to unpack the gzip'd initramfs; inflate_fast is its
 * inner loop. The workspace is caller-provided (no allocation in kernel zlib).
 */
export function inflateLoop(ref, { bytes = 64 << 10, calls = 12 } = {}) {
  const data = jobData(bytes, 0x31337);
  const z = deflateRawSync(data, { level: 6 });
  const strm = DATA, ws = DATA + 0x1000, inp = DATA + 0x100000, out = DATA + 0x200000;
  return {
    name: `kernel zlib_inflate/inflate_fast, ${bytes >> 10} KiB`,
    bytes: calls * bytes,
    build() {
      const { m, sym, setup } = kernelMachine(ref);
      m.phys.u8.set(z, inp);
      const S = hex(HIGH + strm);
      const driver = asm(`
        loop:
          mov dword ptr [${S}], ${hex(HIGH + inp)}
          mov dword ptr [${S}+4], ${z.length}
          mov dword ptr [${S}+8], 0
          mov dword ptr [${S}+12], ${hex(HIGH + out)}
          mov dword ptr [${S}+16], ${bytes}
          mov dword ptr [${S}+20], 0
          mov dword ptr [${S}+32], ${hex(HIGH + ws)}
          mov eax, ${S}
          mov edx, -15
          call ${sym('zlib_inflateInit2')}
          test eax, eax
          jnz done
          mov eax, ${S}
          mov edx, 4
          call ${sym('zlib_inflate')}
          cmp eax, 1
          jne done
          dec dword ptr [${CNT}]
          jnz loop
        done:
          mov [${VAR}], eax
          hlt`, DRIVER);
      return {
        m, setup, driver,
        reset() {
          m.phys.i32[CNT >> 2] = calls;
          m.phys.i32[VAR >> 2] = -99;
          m.phys.u8.fill(0, out, out + bytes);
        },
        ranges: [[VAR, 4], [strm, 48], [out, bytes]],
        check() {
          const r = m.phys.i32[VAR >> 2];
          if (r !== 1) return `zlib_inflate returned ${r} (want Z_STREAM_END = 1)`;
          if (m.phys.i32[(strm + 20) >> 2] !== bytes) return `total_out ${m.phys.i32[(strm + 20) >> 2]} != ${bytes}`;
          return Buffer.compare(m.phys.u8.subarray(out, out + bytes), data) === 0 ? null : 'inflated bytes differ from the input';
        },
      };
    },
  };
}

/**
 * mpihelp_submul_1(res, s1, n, limb): res[0..n) -= s1[0..n) * limb, returning the borrow limb. The
 * reference boot retires a third of its instructions in this loop body (`x86jit profile` of the
 * boot: the kernel's RSA/MPI code, built generically with 16-bit partial products on i386).
 * 64-limb (2048-bit) operands, as an RSA-2048 step uses; the 4th argument goes on the stack (regparm 3).
 */
export function mpiSubmulLoop(ref, { limbs = 64, calls = 4000 } = {}) {
  const res = DATA, s1 = DATA + 0x1000;
  const r0 = jobData(limbs * 4, 0x5151), a = jobData(limbs * 4, 0x2323);
  const limb = 0x9e3779b9;
  const words = (b) => Array.from({ length: limbs }, (_, i) => b[i * 4] | (b[i * 4 + 1] << 8) | (b[i * 4 + 2] << 16) | (b[i * 4 + 3] << 24));
  return {
    name: `kernel mpihelp_submul_1, ${limbs} limbs`,
    bytes: calls * limbs * 4,
    build() {
      const { m, sym, setup } = kernelMachine(ref);
      const driver = asm(`
        loop:
          push ${hex(limb)}
          mov eax, ${hex(HIGH + res)}
          mov edx, ${hex(HIGH + s1)}
          mov ecx, ${limbs}
          call ${sym('mpihelp_submul_1')}
          add esp, 4
          add [${VAR}], eax
          dec dword ptr [${CNT}]
          jnz loop
          hlt`, DRIVER);
      // The host's result: the same `calls` subtractions, limb by limb, with BigInt.
      const mask = (1n << 32n) - 1n;
      const rv = words(r0).map((w) => BigInt(w >>> 0)), av = words(a).map((w) => BigInt(w >>> 0));
      let borrows = 0n;
      for (let c = 0; c < calls; c++) {
        let carry = 0n;
        for (let i = 0; i < limbs; i++) {
          const p = av[i] * BigInt(limb) + carry;
          const lo = p & mask;
          carry = p >> 32n;
          const d = rv[i] - lo;
          if (d < 0n) carry++;
          rv[i] = d & mask;
        }
        borrows = (borrows + carry) & mask;
      }
      return {
        m, setup, driver,
        reset() {
          m.phys.i32[CNT >> 2] = calls;
          m.phys.i32[VAR >> 2] = 0;
          m.phys.u8.set(r0, res);
          m.phys.u8.set(a, s1);
        },
        ranges: [[VAR, 4], [res, limbs * 4]],
        check() {
          if (BigInt(m.phys.i32[VAR >> 2] >>> 0) !== borrows) return `borrow sum ${hex(m.phys.i32[VAR >> 2])} != host ${hex(Number(borrows))}`;
          for (let i = 0; i < limbs; i++) if (BigInt(m.phys.i32[(res >> 2) + i] >>> 0) !== rv[i]) return `limb ${i} differs from the host's`;
          return null;
        },
      };
    },
  };
}
