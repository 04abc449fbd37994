/**
 * Issue 7, point 2: the project's own test guest (programs/hv-guest.s) calls every hypercall, reads
 * the CPUID leaves, probes what CPUID advertises, and checks that privileged instructions at CPL 3
 * raise #GP (and VMCALL at CPL 3 returns -1). It runs through the CLI (`--flat`) and on an
 * in-process Machine, in both engines; the tests check the answers it reports and the exit counters.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { oracle } from '../support/oracle.js';
import { existsSync } from 'node:fs';
import { ExitReason } from '../../src/cpu/exit.js';
import { RESERVED_COUNTERS_OFFSET, RESERVED_MAGIC } from '../../src/hv/reserved.js';
import { CLI, runCli } from '../e2e/session.js';
import { assembleProgram, FLAT_ADDR, haveBinutils, parseReport, runFlat, writeTemp } from './guest.js';

const NO_FAULT = 0xff;
const GP = 13;
const UD = 6;
const HELLO = 'hello from the x86jit hv test guest\n';

/** "x86jit" strings from register words, little-endian, in the order given. */
function regsText(...words: number[]): string {
  let s = '';
  for (const w of words) for (let k = 0; k < 4; k++) s += String.fromCharCode((w >>> (8 * k)) & 0xff);
  return s;
}

/** CPUID.1:EDX bits (SDM Vol. 2A, Table 3-11). */
const EDX = { FPU: 0, VME: 1, DE: 2, PSE: 3, TSC: 4, MSR: 5, PAE: 6, MCE: 7, CX8: 8, APIC: 9, SEP: 11, MTRR: 12, PGE: 13, MCA: 14, CMOV: 15, PAT: 16, PSE36: 17, CLFSH: 19, MMX: 23, FXSR: 24, SSE: 25, SSE2: 26, HTT: 28 } as const;

/** Probes the guest runs at CPL 0, with what they must raise. */
const RING0: Record<string, number> = {
  r0_cmov: NO_FAULT,
  r0_cmpxchg8b: NO_FAULT,
  r0_rdtsc: NO_FAULT,
  r0_rdmsr_tsc: NO_FAULT,
  r0_wrmsr_sysenter_cs: NO_FAULT,
  r0_rdmsr_unknown: GP,
  r0_wrmsr_unknown: GP,
  r0_fninit: NO_FAULT,
  r0_fxsave: NO_FAULT,
  r0_fxrstor: NO_FAULT,
  r0_cr4_pse_pge: NO_FAULT,
  r0_ud2: UD,
};

/** Privileged instructions at CPL 3 with IOPL 0 and no I/O permission bitmap: #GP(0) each. */
const RING3_GP = [
  'hlt', 'cli', 'sti', 'mov_from_cr0', 'mov_to_cr0', 'mov_to_cr3', 'mov_to_cr4', 'mov_to_dr7', 'lgdt', 'lidt', 'ltr', 'lldt', 'lmsw',
  'clts', 'wrmsr', 'rdmsr', 'invlpg', 'wbinvd', 'invd', 'in_imm', 'out_imm', 'in_dx', 'out_dx', 'insb', 'outsb',
];
/** Allowed at CPL 3: CPUID, RDTSC (CR4.TSD = 0), VMCALL (returns -1), and port I/O / CLI with IOPL 3. */
const RING3_OK = ['cpuid_user', 'rdtsc_user', 'vmcall0_user', 'vmcall1_user', 'vmcall2_user', 'cli_iopl3', 'in_iopl3', 'out_iopl3'];

/** Check everything the guest reported on its console. */
function checkReport(text: string): void {
  const r = parseReport(text);
  const get = (k: string): number[] => {
    const v = r.get(k);
    if (!v) throw new Error(`the guest did not report "${k}"; console:\n${text}`);
    return v;
  };
  expect(text.startsWith(HELLO)).toBe(true);
  expect(text).not.toMatch(/^fatal/m);

  // Hypercalls at CPL 0 (README "Hypercalls").
  const [ver, b, c, d] = get('version');
  expect(ver).toBe(1);
  expect(regsText(b, c, d)).toBe('x86jitHVx86j');
  expect(get('cw')).toEqual([HELLO.length]);
  expect(get('cwbig')).toEqual([(-22) >>> 0]);
  expect(get('unknown')).toEqual([(-1000) >>> 0]);

  // CPUID leaves.
  const l0 = get('cpuid 00000000');
  expect(l0[0]).toBeGreaterThanOrEqual(1);
  expect(regsText(l0[1], l0[3], l0[2])).toBe('x86jitx86jit');
  const l1 = get('cpuid 00000001');
  expect((l1[0] >>> 8) & 0xf).toBe(6); // family 6: an i686
  expect(l1[2]).toBe(0x80000000); // only the hypervisor-present bit in ECX (no SSE3...)
  const edx = l1[3];
  for (const f of ['FPU', 'PSE', 'TSC', 'MSR', 'CX8', 'SEP', 'PGE', 'CMOV', 'FXSR'] as const) expect([f, (edx >>> EDX[f]) & 1]).toEqual([f, 1]);
  // Not implemented (or, for the APIC, hidden from Linux): never advertised.
  for (const f of ['VME', 'PAE', 'MCE', 'APIC', 'MTRR', 'MCA', 'PAT', 'PSE36', 'CLFSH', 'MMX', 'SSE', 'SSE2', 'HTT'] as const) expect([f, (edx >>> EDX[f]) & 1]).toEqual([f, 0]);
  const hv = get('cpuid 40000000');
  expect(hv[0]).toBeGreaterThanOrEqual(0x40000000);
  expect(regsText(hv[1], hv[2], hv[3])).toBe('x86jitHVx86j');
  expect(get('cpuid 80000000')[0]).toBe(0x80000004);
  let brand = '';
  for (const leaf of ['80000002', '80000003', '80000004']) brand += regsText(...get(`cpuid ${leaf}`));
  expect(brand.replace(/\0+$/, '')).toBe('x86jit virtual i686 CPU');

  // Probes: [vector, error code].
  for (const [name, vec] of Object.entries(RING0)) expect([name, ...get(`probe ${name}`)]).toEqual([name, vec, 0]);
  for (const name of RING3_GP) expect([name, ...get(`probe ${name}`)]).toEqual([name, GP, 0]);
  for (const name of RING3_OK) expect([name, ...get(`probe ${name}`)]).toEqual([name, NO_FAULT, 0]);
  expect(get('probe hlt_iopl3')).toEqual([GP, 0]); // IOPL does not make HLT legal

  // VMCALL at CPL 3: -1 (KVM's -KVM_EPERM); the console write and the power-off did not happen.
  expect(get('uvmcall0')).toEqual([0xffffffff]);
  expect(get('uvmcall1')).toEqual([0xffffffff]);
  expect(get('uvmcall2')).toEqual([0xffffffff]);
  expect(text.split('hello').length - 1).toBe(1);
}

const hasAs = oracle('the hv test guest', haveBinutils(), 'GNU as/ld are not installed (Debian: apt-get install binutils)');

describe.skipIf(!hasAs)('hv test guest on an in-process Machine', () => {
  let bin: Uint8Array;
  beforeAll(() => {
    bin = assembleProgram('hv-guest.s').bin;
  });

  for (const mode of ['interp', 'jit'] as const) {
    test(`--mode ${mode}: hypercalls, CPUID, CPL 3 faults; exits counted in the reserved region`, async () => {
      const { machine, result, console: text } = await runFlat(bin, { mode });
      expect(result.why).toMatch(/powered off by hypercall \(status 0\)/);
      expect(result.exitCode).toBe(0);
      checkReport(text);

      // Exit counters: exactly the exits this program makes.
      const n = machine.hv.counts;
      const lines = text.split('\n').length - 1;
      // one CONSOLE_WRITE per line + VERSION, the too-long write, the unknown call, 3 at CPL 3, POWER_OFF
      expect(n[ExitReason.Vmcall]).toBe(lines + 7);
      expect(n[ExitReason.Cpuid]).toBe(8 + 1); // 8 leaves at CPL 0, one at CPL 3
      expect(n[ExitReason.Rdmsr]).toBe(2); // TSC and the unknown MSR; the CPL 3 RDMSR faults first
      expect(n[ExitReason.Wrmsr]).toBe(2);
      expect(n[ExitReason.IoIn]).toBe(1); // only with IOPL 3
      expect(n[ExitReason.IoOut]).toBe(1);
      expect(n[ExitReason.Hlt]).toBe(0);
      expect(n[ExitReason.MovCr]).toBe(2); // CR0 (protected mode) and CR4 at CPL 0; none from CPL 3
      expect(n[ExitReason.CacheFlush]).toBe(0);
      expect(n[ExitReason.Invlpg]).toBe(0);
      expect(n[ExitReason.ReservedWrite]).toBe(0);
      expect(n[ExitReason.TripleFault]).toBe(0);

      // The counters are the hypervisor's data inside the reserved region (host side).
      const r = machine.opts.reserve!;
      expect(n.buffer).toBe(machine.phys.buffer);
      expect(n.byteOffset).toBe(r.addr + RESERVED_COUNTERS_OFFSET);
      expect(Buffer.from(machine.phys.hostView(r.addr, 8)).toString('latin1')).toBe(RESERVED_MAGIC);
      // ...and the guest sees none of it.
      expect(machine.phys.read32(r.addr + RESERVED_COUNTERS_OFFSET + 8 * ExitReason.Vmcall) >>> 0).toBe(0xffffffff);
    });
  }

  test('POWER_OFF passes the guest status on', async () => {
    // mov eax, 2; mov ebx, 42; vmcall (real mode, CPL 0)
    const prog = Uint8Array.from([0x66, 0xb8, 2, 0, 0, 0, 0x66, 0xbb, 42, 0, 0, 0, 0x0f, 0x01, 0xc1, 0xfa, 0xf4]);
    const { result } = await runFlat(prog, { mode: 'interp' });
    expect(result.exitCode).toBe(42);
    expect(result.why).toMatch(/powered off by hypercall \(status 42\)/);
  });
});

describe.skipIf(!hasAs)('hv test guest through the CLI', () => {
  let file: string;
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
    file = writeTemp(assembleProgram('hv-guest.s').bin, 'hv-guest.bin');
  });

  for (const mode of ['interp', 'jit'] as const) {
    test(`x86jit boot --flat --mode ${mode}`, async () => {
      const { code, out, err } = await runCli(['boot', '--kernel', file, '--flat', `0x${FLAT_ADDR.toString(16)}`, '--mem', '32M', '--mode', mode, '--stats'], 120_000);
      expect(err).not.toMatch(/guest CPU state/);
      expect(code).toBe(0);
      checkReport(out);
      expect(err).toMatch(/VM exits by reason:/);
      expect(err).toMatch(/^\s+Vmcall\s+\d+$/m);
    }, 150_000);
  }
});
