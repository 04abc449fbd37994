/**
 * The native side on its own: the harness builds, runs hand-written sequences with known results
 * (so the recording itself is checked), reports faults with the right vector and state, and is
 * deterministic on generated batches.
 */
import { describe, expect, it } from 'vitest';
import { oracle } from '../support/oracle.js';
import { CODE_ADDR, FSAVE, initialScratch, SCRATCH_ADDR, type Sequence } from './format.js';
import { generate } from './gen/generate.js';
import { buildHarness, runNative } from './native-runner.js';

const build = buildHarness();
oracle('the native harness tests', build.ok, build.ok ? '' : build.reason);

function seq(code: number[], regs: number[] = [0, 0, 0, 0, SCRATCH_ADDR + 0x180, 0, 0, 0], eflags = 2): Sequence {
  const fsave = new Uint8Array(FSAVE.SIZE);
  new DataView(fsave.buffer).setUint16(FSAVE.cw, 0x037f, true);
  new DataView(fsave.buffer).setUint16(FSAVE.tw, 0xffff, true);
  return {
    id: 0, forms: ['hand'], code: Uint8Array.from(code), regs: Int32Array.from(regs), eflags, memSeed: 1234,
    patches: [[0, 0x11223344]], fsave, undefFlags: 0, undefRegs: 0, fpu: 'none', undefFsw: 0, fpStores: [], memMask: [],
  };
}

describe.skipIf(!build.ok)('native harness', () => {
  const exe = build.ok ? build.path : '';

  it('records registers, flags, memory and ESP', () => {
    const [o] = runNative(exe, [
      seq([
        0x05, 0x01, 0x00, 0x00, 0x00, // add eax, 1
        0xa3, ...le32(SCRATCH_ADDR + 8), // mov [scratch+8], eax
        0x53, // push ebx
        0xfd, // std
      ], [0x7fffffff, 1, 2, 0xabcdef, SCRATCH_ADDR + 0x180, 5, 6, 7]),
    ]);
    expect(o.status).toBe(0);
    expect(o.regs[0] >>> 0).toBe(0x80000000);
    expect(o.regs[4]).toBe(SCRATCH_ADDR + 0x17c);
    expect(o.eflags & 0xcd5).toBe(0x0800 | 0x0080 | 0x0010 | 0x0004 | 0x0400); // OF SF AF PF DF
    expect(o.scratch[8]).toBe(0x00);
    expect(o.scratch[11]).toBe(0x80);
    expect(o.scratch.slice(0x17c, 0x180)).toEqual(Uint8Array.from([0xef, 0xcd, 0xab, 0x00]));
    expect(o.scratch.slice(0, 4)).toEqual(Uint8Array.from([0x44, 0x33, 0x22, 0x11]));
    expect(o.es).toBe(o.ds);
  });

  it('fills the scratch area exactly as format.ts describes', () => {
    const s = seq([0x90]);
    const [o] = runNative(exe, [s]);
    expect(o.scratch).toEqual(initialScratch(s));
  });

  it('reports #DE, #UD and #GP with the state at the faulting instruction', () => {
    const out = runNative(exe, [
      seq([0x40, 0x31, 0xc9, 0xf7, 0xf1]), // inc eax; xor ecx,ecx; div ecx
      seq([0x90, 0x0f, 0x0b]), // nop; ud2
      seq([0xfa]), // cli at IOPL 0
      seq([0x6a, 0x00, 0x1f, 0x8b, 0x05, ...le32(SCRATCH_ADDR)]), // push 0; pop ds; mov eax, [scratch]
    ]);
    expect(out.map((o) => [o.status, o.vector, o.eipOff])).toEqual([[1, 0, 3], [1, 6, 1], [1, 13, 0], [1, 13, 3]]);
    expect(out[0].regs[0]).toBe(1);
    expect(out[3].ds).toBe(0);
  });

  it('stops a sequence that does not end (status 2) and goes on with the next one', () => {
    const out = runNative(exe, [seq([0xeb, 0xfe]), seq([0x40])]); // jmp $; inc eax
    expect(out.map((o) => o.status)).toEqual([2, 0]);
    expect(out[1].regs[0]).toBe(1);
  });

  it('runs x87 code from the given FRSTOR image and returns the FNSAVE image', () => {
    const s = seq([0xd9, 0xe8, 0xd9, 0xe8, 0xde, 0xc1]); // fld1; fld1; faddp
    const [o] = runNative(exe, [s]);
    const dv = new DataView(o.fsave.buffer, o.fsave.byteOffset);
    expect(dv.getUint16(FSAVE.sw, true) >> 11 & 7).toBe(7);
    expect(dv.getUint16(FSAVE.tw, true)).toBe(0x3fff);
    expect(dv.getUint16(FSAVE.st + 8, true)).toBe(0x4000); // 2.0
    expect(dv.getUint32(FSAVE.fip, true)).toBe(CODE_ADDR + 4);
  });

  it('generates the same sequences for the same seed and ids', () => {
    const a = generate(7, 1000, 500), b = generate(7, 1000, 500), c = generate(8, 1000, 500);
    const key = (s: Sequence): string => `${Array.from(s.code).join(',')}|${Array.from(s.regs).join(',')}|${s.eflags}|${s.memSeed}|${JSON.stringify(s.patches)}`;
    expect(a.map(key)).toEqual(b.map(key));
    expect(a.map(key)).not.toEqual(c.map(key));
  });

  it('is deterministic on a generated batch', () => {
    const seqs = generate(42, 0, 3000);
    const a = runNative(exe, seqs);
    const b = runNative(exe, seqs);
    expect(a.length).toBe(seqs.length);
    const differing = a.filter((o, i) => {
      const p = b[i];
      return o.status !== p.status || o.eflags !== p.eflags || o.eipOff !== p.eipOff ||
        o.regs.some((v, r) => v !== p.regs[r]) || o.scratch.some((v, k) => v !== p.scratch[k]) ||
        o.fsave.some((v, k) => v !== p.fsave[k]);
    }).length;
    expect(differing).toBe(0);
    const faults = a.filter((o) => o.status === 1).length;
    // most generated sequences run to the end; some fault on purpose (#DE, #GP, #UD, #BR)
    expect(faults).toBeGreaterThan(0);
    expect(faults).toBeLessThan(a.length / 4);
  });
});

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
