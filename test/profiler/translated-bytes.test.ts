/**
 * Listings of translated blocks show the bytes that were translated, not today's memory: a tiny
 * guest calls `f`, rewrites f's immediate (self-modifying code), and calls it again; the JIT
 * invalidates the first translation and makes a second, and the profile lists both as they were.
 */
import { describe, expect, it } from 'vitest';
import { Jit } from '../../src/jit/engine.js';
import { collectProfile } from '../../src/profiler/profile-data.js';
import { Profiler, type ProfiledMachine } from '../../src/profiler/profiler.js';
import { noSymbols } from '../../src/profiler/symbols.js';
import { formatReport } from '../../src/profiler/report.js';
import { CODE, STACK_TOP, machine } from '../cpu-int/harness.js';
import { assembleIntel } from '../support/asm.js';
import { runToHalt } from './guest.js';

const GUEST = `
start:
  mov esp, ${STACK_TOP}
  mov ecx, 40
1:
  call f
  dec ecx
  jnz 1b
  mov byte ptr [f + 1], 0x22   # f now returns 0x22 + ebx
  mov ecx, 40
2:
  call f
  dec ecx
  jnz 2b
  hlt
  nop
f:
  mov eax, 0x11
  add eax, ebx
  ret
`;

describe('listings of translated blocks', () => {
  it('show the bytes as translated, also for a block the guest rewrote after its translation', () => {
    const code = assembleIntel(GUEST, 32, CODE);
    const t = machine();
    t.phys.u8.set(code, CODE);
    t.cpu.eip = CODE;
    const m: ProfiledMachine = { cpu: t.cpu, phys: t.phys, engine: new Jit(t.cpu, t.phys, { threshold: 2, verify: true }), hv: { statsLines: () => [] } };
    const prof = Profiler.attach(m, { period: 7, maxDepth: 1 });
    runToHalt(m);
    prof.detach();
    expect(t.cpu.regs[0] >>> 0).toBe((0x22 + t.cpu.regs[3]) >>> 0); // eax: the rewritten f ran

    // f's address: where its `mov eax, 0x22` (b8 22 00 00 00) is in memory now.
    const mem = t.phys.u8;
    let f = -1;
    for (let a = CODE; a < CODE + code.length - 5 && f < 0; a++) if (mem[a] === 0xb8 && mem[a + 1] === 0x22 && mem[a + 2] === 0 && mem[a + 3] === 0 && mem[a + 4] === 0) f = a;
    expect(f).toBeGreaterThan(CODE);

    const d = collectProfile(prof, noSymbols(), { top: 100 });
    const atF = d.hot.filter((h) => h.lin === f);
    const old = atF.find((h) => !h.valid);
    const now = atF.find((h) => h.valid);
    expect(old).toBeDefined();
    expect(now).toBeDefined();
    // The invalidated block lists the bytes it was translated from, beside their disassembly...
    expect(old!.disasm[0].hex).toBe('b8 11 00 00 00');
    expect(old!.disasm[0].text).toMatch(/mov\s+eax,\s*0x11\b/);
    // ...though memory holds the new bytes, which the second translation lists.
    expect(now!.disasm[0].hex).toBe('b8 22 00 00 00');
    expect(now!.disasm[0].text).toMatch(/mov\s+eax,\s*0x22\b/);
    expect(formatReport(d)).toMatch(/invalidated\)\n\s+[0-9a-f]{8}  b8 11 00 00 00/);
  });
});
