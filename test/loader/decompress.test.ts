/**
 * Host decompression of bzImage payloads (decompress.ts): each format the kernel build can write,
 * made here by the same encoder and options as arch/x86/boot/compressed/Makefile (and
 * scripts/xz_wrap.sh), with the u32 size appended as `*_with_size` does, unpacked and compared
 * with the input. Encoders other than gzip are host tools (oracles: a missing one fails under CI).
 */
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressKernel, hostUnpackKernel } from '../../src/loader/decompress.js';
import { LoaderError } from '../../src/loader/errors.js';
import { errorOf } from './loader-error.js';
import { oracle } from '../support/oracle.js';
import { makeBzImage } from './fake-bzimage.js';
import { makeVmlinux } from './fake-vmlinux.js';

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `data` through `cmd args` (stdin to stdout), then the u32 LE size, as the kernel Makefile's *_with_size. */
function withSize(compressed: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(compressed.length + 4);
  out.set(compressed);
  new DataView(out.buffer).setUint32(compressed.length, size, true);
  return out;
}

function encode(cmd: string, args: string[], data: Uint8Array): Uint8Array {
  return withSize(new Uint8Array(execFileSync(cmd, args, { input: data, maxBuffer: 1 << 28 })), data.length);
}

const vmlinux = makeVmlinux();
const haveXz = hasCommand('xz');


// [format, package that has the encoder, command, its arguments as the kernel build uses them]
const TOOLS = [
  ['xz', 'xz-utils', 'xz', ['--check=crc32', '--x86', '--lzma2=,dict=32MiB', '-c']],
  ['lzma', 'xz-utils', 'lzma', ['-9', '-c']],
  ['bzip2', 'bzip2', 'bzip2', ['-9', '-c']],
  // The kernel uses -22 --ultra; -19 with the same 128 MiB window (wlog 27) makes the decoder do the
  // same work and compresses in a fraction of the time.
  ['zstd', 'zstd', 'zstd', ['-19', '--zstd=wlog=27', '-c', '-q']],
  ['lz4', 'lz4', 'lz4', ['-l', '-9', '-c', '-q']],
  ['lzo', 'lzop', 'lzop', ['-9', '-c']],
] as const;

describe('host decompression of a bzImage payload', () => {
  it('unpacks gzip (node:zlib; gzip -9 as the kernel Makefile, its trailer is the size)', () => {
    const r = hostUnpackKernel(makeBzImage({ payload: gzipSync(vmlinux, { level: 9 }) }), 'k');
    expect('vmlinux' in r && r.format).toBe('gzip');
    expect('vmlinux' in r && Buffer.compare(r.vmlinux, vmlinux)).toBe(0);
  });

  for (const [format, pkg, cmd, args] of TOOLS) {
    const present = oracle(`${format} round trip`, hasCommand(cmd), `install ${pkg} (apt-get install ${pkg}) for the ${cmd} encoder`);
    it.skipIf(!present)(`unpacks ${format} (${cmd} ${args.join(' ')})`, () => {
      const payload = encode(cmd, [...args], vmlinux);
      const r = hostUnpackKernel(makeBzImage({ payload }), 'k');
      expect('vmlinux' in r && r.format).toBe(format);
      expect('vmlinux' in r && Buffer.compare(r.vmlinux, vmlinux)).toBe(0);
    });
  }

  it.skipIf(!haveXz)('unpacks xz without the x86 filter and with several blocks', () => {
    const payload = encode('xz', ['--check=crc32', '--block-size=200KiB', '-c'], vmlinux);
    const r = hostUnpackKernel(makeBzImage({ payload }), 'k');
    expect('vmlinux' in r && Buffer.compare(r.vmlinux, vmlinux)).toBe(0);
  });

  it('skips a payload whose first bytes are no known format, naming them', () => {
    const payload = withSize(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]), 8);
    expect(hostUnpackKernel(makeBzImage({ payload }), 'k')).toEqual({ skipped: 'kernel payload is in a format x86jit does not know (first bytes de ad be ef)' });
    expect(errorOf(() => decompressKernel(makeBzImage({ payload }), 'k')).message).toMatch(/^k: cannot unpack the kernel on the host: kernel payload is in a format/);
  });

  it('names the format and the file for a corrupt payload, in one line', () => {
    const gz = gzipSync(vmlinux);
    gz[gz.length >> 1] ^= 0x55;
    const e = errorOf(() => hostUnpackKernel(makeBzImage({ payload: gz }), 'vmlinuz-bad'));
    expect(e.message).toMatch(/^vmlinuz-bad: corrupt gzip-compressed kernel payload \(.+\)$/);
    expect(e.message).not.toContain('\n');
    if (haveXz) {
      const xz = encode('xz', ['--check=crc32', '--x86', '--lzma2=preset=6', '-c'], vmlinux);
      xz[xz.length >> 1] ^= 0x55;
      expect(errorOf(() => hostUnpackKernel(makeBzImage({ payload: xz }), 'vmlinuz-bad')).message).toMatch(/^vmlinuz-bad: corrupt xz-compressed kernel payload \(.+\)$/);
      const cut = encode('xz', ['--check=crc32', '-c'], vmlinux);
      expect(errorOf(() => hostUnpackKernel(makeBzImage({ payload: cut.subarray(0, cut.length >> 1) }), 'k')).message).toMatch(/^k: corrupt xz-compressed kernel payload \(/);
    }
    if (hasCommand('lzop')) {
      const lzo = encode('lzop', ['-9', '-c'], vmlinux);
      lzo[lzo.length >> 1] ^= 0x55;
      expect(errorOf(() => hostUnpackKernel(makeBzImage({ payload: lzo }), 'k')).message).toMatch(/^k: corrupt lzo-compressed kernel payload \(.+\)$/);
    }
  });

  it('refuses a payload whose size field does not match what it unpacks to', () => {
    const payload = gzipSync(vmlinux);
    const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    v.setUint32(payload.length - 4, vmlinux.length + 1, true); // gzip's ISIZE is the kernel's size field
    expect(errorOf(() => hostUnpackKernel(makeBzImage({ payload }), 'k')).message).toMatch(/^k: corrupt gzip-compressed kernel payload/);
  });

  it('refuses a payload that unpacks to something other than an ELF file', () => {
    const data = new Uint8Array(4096).fill(0x41);
    expect(errorOf(() => hostUnpackKernel(makeBzImage({ payload: gzipSync(data) }), 'k')).message).toBe('k: the gzip-compressed kernel payload does not unpack to an ELF file (starts 0x41414141)');
  });

  it('gives a LoaderError or the right vmlinux for mutated payloads of every format, nothing else', () => {
    const small = makeVmlinux(48 * 1024);
    const payloads: Uint8Array[] = [gzipSync(small)];
    for (const [, , cmd, args] of TOOLS) if (hasCommand(cmd)) payloads.push(encode(cmd, [...args], small));
    let x = 7;
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % 0xffffff;
    let rejected = 0;
    for (const base of payloads) {
      for (let i = 0; i < 100; i++) {
        const p = rnd() % 5 === 0 ? base.slice(0, rnd() % base.length) : base.slice();
        for (let n = 1 + (rnd() % 4); n > 0; n--) p[rnd() % p.length] = rnd() & 0xff;
        try {
          const r = hostUnpackKernel(makeBzImage({ payload: p }), 'k');
          if ('vmlinux' in r) expect(r.vmlinux.length).toBe(new DataView(p.buffer).getUint32(p.length - 4, true));
        } catch (e) {
          if (!(e instanceof LoaderError)) throw e;
          expect(e.message).not.toContain('\n');
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(payloads.length * 30);
  });

  it("refuses a size field over twice the kernel's init_size before allocating it", () => {
    const payload = withSize(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 1]), 0x1000001);
    expect(errorOf(() => hostUnpackKernel(makeBzImage({ payload, initSize: 0x800000 }), 'k')).message).toBe("k: corrupt xz-compressed kernel payload (its size field says 16 MiB, over twice the kernel's init_size)");
  });
});
