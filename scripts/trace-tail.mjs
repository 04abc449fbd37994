// Debug aid: boot a kernel in the interpreter and print the last N instructions executed before
// the machine stops (or after a given count). Usage: node scripts/trace-tail.mjs [maxInsns] [N] [cmdline]
import { Machine } from '../dist/machine/machine.js';
import { prepareReferenceGuest } from '../dist/guest/reference.js';
import { disassembleAt } from '../dist/machine/disasm-at.js';
import { readFileSync } from 'node:fs';

const max = Number(process.argv[2] ?? 5e7);
const N = Number(process.argv[3] ?? 200);
const g = prepareReferenceGuest(() => {});
const m = new Machine({ memBytes: 128 << 20, mode: 'interp', clock: 'deterministic', reserve: { addr: 120 << 20, size: 8 << 20 }, testDevices: false, console: (b) => process.stdout.write(b), jitThreshold: 50, jitVerify: false });
await m.init();
m.loadLinux(readFileSync(g.kernel), g.kernel, process.argv[4] ?? g.cmdline, readFileSync(g.initrd), g.initrd);
const cpu = m.cpu;
const ring = new Array(N);
let pos = 0;
const origStep = cpu.step.bind(cpu);
cpu.step = function () {
  ring[pos++ % N] = [(cpu.segBase[1] + cpu.eip) | 0, cpu.regs.slice()];
  origStep();
};
m.engine = { run: (b) => cpu.run(Math.min(b, max - cpu.icount)) };
const r = await Promise.race([m.run(), new Promise((res) => { const t = setInterval(() => { if (cpu.icount >= max) { clearInterval(t); res({ exitCode: -1, why: 'max reached' }); } }, 50); })]);
console.log('\n=== stop:', r.why.split('\n')[0], 'icount', cpu.icount);
for (let k = Math.max(0, pos - N); k < pos; k++) {
  const [a, regs] = ring[k % N];
  let d; try { d = disassembleAt(cpu, a); } catch { d = null; }
  console.log((a >>> 0).toString(16).padStart(8, '0'), (d?.text ?? '?').padEnd(40), [...regs].map((x) => (x >>> 0).toString(16)).join(' '));
}
process.exit(0);
