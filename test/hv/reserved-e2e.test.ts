/**
 * Issue 7, point 1: inside the booted reference guest (default --mem 128M, --reserve 8M at the top
 * of RAM = 0x7800000), in both engines:
 *   - the e820 map, the kernel's memory total, /proc/iomem and `free` all leave the region out;
 *   - busybox `devmem ADDR 32` anywhere inside it reads 0xFFFFFFFF (over the hypervisor's header,
 *     its exit counters, the middle and the last word);
 *   - `devmem ADDR 32 0x12345678` is dropped: reading back still gives all-ones, the writes are
 *     counted as ReservedWrite exits in --stats, and the hypervisor's data is unchanged, checked on
 *     the host side: `--dump-reserved FILE` writes the region's host bytes when the guest stops, and
 *     the dump must hold the "x86jitHV" header, counters equal to what --stats printed, and no trace
 *     of the guest's value.
 * A full boot takes minutes in the interpreter; X86JIT_BOOT_TIMEOUT_MS raises the limit.
 */
import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitReasonName, ExitReason } from '../../src/cpu/exit.js';
import { RESERVED_COUNTERS_OFFSET, RESERVED_MAGIC } from '../../src/hv/reserved.js';
import { GuestSession, runCli } from '../e2e/session.js';
import { parseExitStats } from './guest.js';

const BOOT_TIMEOUT = Number(process.env.X86JIT_BOOT_TIMEOUT_MS ?? 15 * 60_000);
const PROMPT = /[#$] $/m;
const RAM = 128 << 20;
const REGION = { addr: 0x7800000, size: 8 << 20 };
const POKE = 0x12345678;
/** Addresses inside the region the guest reads: header, counters, a page inside, middle, last word. */
const READ_AT = [REGION.addr, REGION.addr + RESERVED_COUNTERS_OFFSET, REGION.addr + 0x1000, REGION.addr + REGION.size / 2, REGION.addr + REGION.size - 4];
/** ...and writes: over the magic, over the low and high halves of the IoOut counter, the middle. */
const WRITE_AT = [
  REGION.addr,
  REGION.addr + RESERVED_COUNTERS_OFFSET + 8 * ExitReason.IoOut,
  REGION.addr + RESERVED_COUNTERS_OFFSET + 8 * ExitReason.IoOut + 4,
  REGION.addr + REGION.size / 2,
];

const hex = (v: number) => `0x${v.toString(16).toUpperCase().padStart(8, '0')}`;

async function checkInGuest(mode: 'interp' | 'jit'): Promise<void> {
  const help = await runCli(['boot', '--help'], 30_000);
  expect(help.out, 'x86jit boot needs a --dump-reserved FILE option for the host-side check').toMatch(/--dump-reserved/);
  const dump = join(mkdtempSync(join(tmpdir(), 'x86jit-hv-e2e-')), 'reserved.bin');
  const s = new GuestSession(['boot', '--mode', mode, '--stats', '--dump-reserved', dump]);
  try {
    let at = await s.waitFor(/BOOT-OK/, BOOT_TIMEOUT);
    at = await s.waitFor(PROMPT, 120_000, at);
    let n = 0;
    const run = async (cmd: string): Promise<string> => {
      const marker = `M${n++}`;
      s.send(`${cmd}; echo ${marker}-$((40+2))\n`);
      const end = await s.waitFor(new RegExp(`${marker}-42\\r?\\n`), 300_000, at);
      // Output only: from the end of the echoed command line to the marker.
      const text = s.out.slice(at, end);
      at = end;
      const echoed = text.lastIndexOf(`echo ${marker}-$((40+2))`);
      const from = echoed < 0 ? 0 : text.indexOf('\n', echoed) + 1;
      return text.slice(from, text.lastIndexOf(`${marker}-42`)).replace(/\r/g, '').trim();
    };

    // The kernel was told: e820 reserved, and it counts RAM without the region.
    const dmesg = await run('dmesg');
    expect(dmesg).toMatch(/BIOS-e820: \[mem 0x0000000007800000-0x0000000007ffffff\] reserved/);
    const mem = /Memory: \d+K\/(\d+)K available/.exec(dmesg);
    expect(mem, 'dmesg "Memory: ...K/...K available"').not.toBeNull();
    expect(Number(mem![1])).toBeLessThanOrEqual((RAM - REGION.size) / 1024);
    expect(Number(mem![1])).toBeGreaterThan((RAM - REGION.size) / 1024 - 2048);

    // /proc/iomem: the region reserved, no System RAM over it.
    const iomem = await run('cat /proc/iomem');
    expect(iomem).toMatch(/^\s*07800000-07ffffff : Reserved\s*$/m);
    for (const m of iomem.matchAll(/^\s*([0-9a-f]+)-([0-9a-f]+) : System RAM\s*$/gm)) {
      const lo = parseInt(m[1], 16), hi = parseInt(m[2], 16);
      expect(hi < REGION.addr || lo >= REGION.addr + REGION.size, `System RAM ${m[1]}-${m[2]}`).toBe(true);
    }

    // free: total below RAM less the region.
    const free = await run('free');
    const total = /^Mem:\s+(\d+)/m.exec(free);
    expect(total, `free output:\n${free}`).not.toBeNull();
    expect(Number(total![1])).toBeLessThanOrEqual((RAM - REGION.size) / 1024);
    expect(Number(total![1])).toBeGreaterThan(64 * 1024);

    // devmem reads: all-ones everywhere in the region.
    for (const a of READ_AT) expect([hex(a), (await run(`devmem ${hex(a)} 32`)).trim()]).toEqual([hex(a), '0xFFFFFFFF']);
    // devmem writes: dropped.
    for (const a of WRITE_AT) await run(`devmem ${hex(a)} 32 ${hex(POKE)}`);
    for (const a of WRITE_AT) expect([hex(a), (await run(`devmem ${hex(a)} 32`)).trim()]).toEqual([hex(a), '0xFFFFFFFF']);
    // Control: devmem itself works and reads real memory elsewhere (the real-mode IVT at 0, which
    // the loader leaves zero and Linux does not use).
    const ivt = (await run('devmem 0x0 32')).trim();
    expect(ivt).toMatch(/^0x[0-9A-F]{8}$/);
    expect(ivt).not.toBe('0xFFFFFFFF');

    s.send('poweroff -f\n');
    const code = await s.exited;
    expect(code).toBe(0);

    // --stats: the writes were counted.
    const stats = parseExitStats(s.err);
    expect(stats.get('ReservedWrite') ?? 0).toBeGreaterThanOrEqual(WRITE_AT.length);
    for (const [name, count] of stats) expect([name, Number.isInteger(count)]).toEqual([name, true]);

    // Host side: the hypervisor's data in the region is intact and is what --stats printed.
    const bytes = readFileSync(dump);
    expect(bytes.length).toBe(REGION.size);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe(RESERVED_MAGIC);
    expect(bytes[8]).toBe(1);
    const counters = new Float64Array(bytes.buffer.slice(bytes.byteOffset + RESERVED_COUNTERS_OFFSET, bytes.byteOffset + RESERVED_COUNTERS_OFFSET + 8 * exitReasonName.length));
    for (let r = 0; r < exitReasonName.length; r++) expect([exitReasonName[r], counters[r]]).toEqual([exitReasonName[r], stats.get(exitReasonName[r]) ?? 0]);
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    expect(words.indexOf(POKE), 'the guest value landed in the region').toBe(-1);
  } finally {
    s.kill();
  }
}

describe('reserved region inside the reference guest', () => {
  test('--mode interp: iomem, free, devmem reads all-ones, writes dropped and counted, host data intact', () => checkInGuest('interp'), BOOT_TIMEOUT + 600_000);
  test('--mode jit: iomem, free, devmem reads all-ones, writes dropped and counted, host data intact', () => checkInGuest('jit'), BOOT_TIMEOUT + 600_000);
});
