// Debug aid: boot the reference guest in the interpreter for N instructions, sampling EIP every
// 997 instructions, and print the hottest kernel symbols plus the console output.
// Usage: node scripts/where.mjs [instructions] [cmdline]
import { Machine } from '../dist/machine/machine.js';
import { prepareReferenceGuest } from '../dist/guest/reference.js';
import { readFileSync } from 'node:fs';

const n = Number(process.argv[2] ?? 1e8);
const g = prepareReferenceGuest(() => {});
const syms = readFileSync(g.systemMap, 'utf8').split('\n').map((l) => l.split(' ')).filter((p) => p.length >= 3 && /[tTwW]/.test(p[1])).map((p) => [parseInt(p[0], 16), p[2]]).sort((a, b) => a[0] - b[0]);
function sym(a) { let lo = 0, hi = syms.length - 1; if (!syms.length || a < syms[0][0]) return '?'; while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (syms[mid][0] <= a) lo = mid; else hi = mid - 1; } return syms[lo][1] + '+0x' + (a - syms[lo][0]).toString(16); }
let out = '';
const m = new Machine({ memBytes: 128 << 20, mode: 'interp', clock: 'deterministic', reserve: { addr: 120 << 20, size: 8 << 20 }, testDevices: false, console: (b) => { out += Buffer.from(b).toString('latin1'); }, jitThreshold: 50, jitVerify: false });
await m.init();
m.loadLinux(readFileSync(g.kernel), g.kernel, process.argv[3] ?? 'console=ttyS0', readFileSync(g.initrd), g.initrd);
const hist = new Map();
const cpu = m.cpu;
const t0 = Date.now();
m.engine = { run(b) { let d = 0; while (d < b) { const k = cpu.run(Math.min(997, b - d)); d += k; const e = (cpu.segBase[1] + cpu.eip) >>> 0; const s = sym(e).split('+')[0]; hist.set(s, (hist.get(s) ?? 0) + 1); if (k === 0 || cpu.halted) break; } if (cpu.icount >= n) m.requestStop({ exitCode: 0, why: 'limit' }); return d; } };
const r = await m.run();
console.log(out);
console.log('=== stop:', r.why.split('\n').slice(0, 20).join('\n'), '\nicount', cpu.icount, 'wall s', (Date.now() - t0) / 1000, 'eip', sym((cpu.segBase[1] + cpu.eip) >>> 0));
console.log([...hist.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${String(v).padStart(7)} ${k}`).join('\n'));
process.exit(0);
