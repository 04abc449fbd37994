/**
 * Decoder throughput on a real binary: decodes the whole `.text` of Debian's busybox-static
 * (i386, ~468k instructions) once per iteration, through the same ByteSource interface the CPU
 * uses, and reports instructions decoded per second. Also times decode + disassembly.
 *
 *   npm run build && node bench/decoder.bench.mjs
 *
 * Reads the compiled modules from dist/ (tsc output), fetches busybox-static on first use.
 */
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { busyboxStaticPath, debianPackageVersion } from '../dist/guest/debian.js';
import { decode } from '../dist/frontend/decoder.js';
import { formatInsn } from '../dist/frontend/disasm.js';
import { Insn } from '../dist/frontend/insn.js';

/** .text of an ELF32 file (section header fields per the ELF spec). */
function textSection(file) {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const shoff = dv.getUint32(0x20, true), shentsize = dv.getUint16(0x2e, true);
  const shnum = dv.getUint16(0x30, true), shstrndx = dv.getUint16(0x32, true);
  const sh = (i, f) => dv.getUint32(shoff + i * shentsize + f, true);
  const names = sh(shstrndx, 0x10);
  for (let i = 0; i < shnum; i++) {
    let name = '';
    for (let p = names + sh(i, 0); file[p] !== 0; p++) name += String.fromCharCode(file[p]);
    if (name === '.text') return { addr: sh(i, 0x0c), offset: sh(i, 0x10), size: sh(i, 0x14) };
  }
  throw new Error('no .text');
}

class BufferSource {
  constructor(bytes, base) { this.bytes = bytes; this.base = base; }
  fetch8(addr) { return this.bytes[(addr - this.base) >>> 0]; }
}

const file = new Uint8Array(readFileSync(busyboxStaticPath()));
const text = textSection(file);
// Padding so the decoder may read past the last instruction without leaving the array.
const bytes = new Uint8Array(text.size + 16);
bytes.set(file.subarray(text.offset, text.offset + text.size));
const src = new BufferSource(bytes, text.addr);
const insn = new Insn();
const end = text.addr + text.size;

function decodeAll() {
  let n = 0;
  for (let a = text.addr; a < end; a += insn.len) { decode(insn, src, a, true); n++; }
  return n;
}
const count = decodeAll();

function disassembleAll() {
  let chars = 0;
  for (let a = text.addr; a < end; a += insn.len) { decode(insn, src, a, true); chars += formatInsn(insn, a).length; }
  return chars;
}

const bench = new Bench({ time: 3000, warmupTime: 1000 });
bench.add(`decode busybox .text (${count} insns)`, decodeAll);
bench.add(`decode + disassemble busybox .text`, disassembleAll);
await bench.run();
// CPU time of this process for a fixed number of passes: steadier than wall time on a shared machine.
const passes = 20;
const cpu0 = process.cpuUsage();
for (let k = 0; k < passes; k++) decodeAll();
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(`binary: busybox-static ${debianPackageVersion('busybox-static') ?? '(version unknown)'} .text`);
console.log(`decode, by CPU time: ${(count * passes / cpuSeconds / 1e6).toFixed(2)} M instructions/s`);
for (const task of bench.tasks) {
  const r = task.result;
  const ms = r.latency.mean;
  console.log(`${task.name}: ${ms.toFixed(1)} ms per pass, ${(count / ms / 1000).toFixed(2)} M instructions/s (±${r.latency.rme.toFixed(1)}%)`);
}
