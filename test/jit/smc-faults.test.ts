/**
 * Self-modifying code, precise faults and interrupts: the JIT must leave exactly the interpreter's
 * state when code patches itself (also inside the running block), when an instruction in the
 * middle of a translated block faults, and when an external interrupt arrives.
 */
import { describe, expect, it } from 'vitest';
import { asm, DATA, expectSame, pair, runBoth, STUB, withPaging, useRegions, check, CountdownIrq } from './helpers.js';

// Regions after a few dispatcher entries, so these tests also run region code.
useRegions();

describe('self-modifying code', () => {
  it('a loop patches an immediate of its own running block (before the store)', () => {
    const p = check(`
      mov ecx, 30
    1:
      mov eax, 0x11111111
      add ebx, eax
      mov dword ptr [1b + 1], ecx
      dec ecx
      jnz 1b
      hlt
    `);
    expect(p.engine.stats.invalidations).toBeGreaterThan(0);
  });

  it('a store patches the next instruction of the same block (the block stops after the store)', () => {
    const p = check(`
      mov ecx, 30
    1:
      mov byte ptr [2f + 2], cl
    2:
      add eax, 0
      add ebx, eax
      dec ecx
      jnz 1b
      hlt
    `, () => {}, 0);
    expect(p.engine.stats.invalidations).toBeGreaterThan(0);
  });

  it('a read-modify-write into the running block completes (flags too) before the block stops', () => {
    check(`
      mov ecx, 30
    1:
      add dword ptr [2f + 1], 0x7fffffff
      setc bl
      seto bh
    2:
      mov eax, 0x11111111
      adc edx, eax
      dec ecx
      jnz 1b
      hlt
    `, () => {}, 0);
  });

  it('a handler-executed store (STOSB) patches the running block', () => {
    check(`
      mov edx, 20
    1:
      lea edi, [2f + 2]
      mov al, dl
      stosb
    2:
      add esi, 0
      dec edx
      jnz 1b
      hlt
    `, () => {}, 0);
  });

  it('code written elsewhere, then called, then rewritten and called again', () => {
    // Writes "mov eax, imm32; ret" at DATA with a changing immediate, calls it each time.
    check(`
      mov ecx, 25
    1:
      mov byte ptr [0x20000], 0xb8
      mov [0x20001], ecx
      mov byte ptr [0x20005], 0xc3
      mov edx, 0x20000
      call edx
      add ebx, eax
      dec ecx
      jnz 1b
      hlt
    `, () => {}, 1);
  });

  it('data writes next to code do not lose translated blocks', () => {
    const p = check(`
      mov ecx, 200
    1:
      mov [3f], ecx
      add eax, ecx
      dec ecx
      jnz 1b
      hlt
    3:
      .long 0
    `);
    expect(p.engine.stats.invalidations).toBe(0);
  });
});

describe('precise faults in the middle of a block', () => {
  it('#DE from a handler call after inline register and stack changes', () => {
    const p = check(`
      mov ecx, 5
    1:
      mov eax, 100
      add ebx, eax
      push ebx
      mov edx, 0
      mov esi, [0x20000]
      div esi
      mov edi, 7
      dec ecx
      jnz 1b
      hlt
    `, (t) => t.phys.write32(DATA, 0), 0);
    expect(p.jit.cpu.eip).toBe(STUB + 1); // halted in the #DE stub
    expect(p.jit.cpu.regs[7]).toBe(0);
  });

  it('#PF on an inline store and an inline load, with paging on (CR2, error code, EIP)', () => {
    for (const access of ['mov [0x50010], ebx', 'add ebx, [0x50010]', 'push ebx']) {
      const p = check(`
        mov ecx, 3
      1:
        mov ebx, 3
        add ebx, ecx
        inc edi
        cmp ecx, 1
        jne 2f
        mov esp, 0x50020
      2:
        ${access}
        dec ecx
        jnz 1b
        hlt
      `, (t) => withPaging(t, [0x50]), 0);
      expect(p.jit.cpu.cr2).toBe(access === 'push ebx' ? 0x5001c : 0x50010);
    }
  });

  it('flags at the fault are the flags before the faulting instruction (no dead-flag loss)', () => {
    check(`
      mov eax, 5
      cmp eax, 9
      mov ebx, [0x50000]
      add eax, 1
      hlt
    `, (t) => withPaging(t, [0x50]), 0);
  });
});

describe('interrupts', () => {
  it('an external interrupt raised between run() calls is taken at the same instruction', () => {
    const p = pair(asm(`
      sti
      mov ecx, 1000
    1:
      add eax, ecx
      dec ecx
      jnz 1b
      hlt
    `));
    expect(p.interp.cpu.run(777)).toBe(p.engine.run(777));
    expectSame(p);
    p.interp.cpu.intr = new CountdownIrq(0, 0x10);
    p.jit.cpu.intr = new CountdownIrq(0, 0x10);
    runBoth(p);
    expectSame(p);
    expect(p.jit.cpu.eip).toBe(STUB + 0x10 + 1);
  });

  it('STI shadow: interrupt pending during STI is taken after the next instruction', () => {
    const p = pair(asm(`
      mov ecx, 100
    1:
      cli
      inc eax
      sti
      inc ebx
      dec ecx
      jnz 1b
      hlt
    `), () => {}, 0);
    p.interp.cpu.run(250);
    p.engine.run(250);
    expectSame(p);
    p.interp.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x11 };
    p.jit.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x11 };
    runBoth(p, 10);
    expectSame(p);
  });

  it('EFLAGS.TF set by POPF in a hot loop: the single-step #DB comes after the next instruction', () => {
    const p = check(`
      mov ecx, 60
    1:
      add eax, ecx
      cmp ecx, 3
      jne 2f
      pushfd
      or dword ptr [esp], 0x100
      popfd
      inc ebx
      add edx, 5
    2:
      dec ecx
      jnz 1b
      hlt
    `);
    expect(p.jit.cpu.eip).toBe(STUB + 1 + 1); // halted in the #DB stub (vector 1)
  });

  it('HLT stops run() early in both', () => {
    const p = pair(asm(`mov ecx, 10\n1: dec ecx\njnz 1b\nhlt\nmov eax, 1`));
    const n = runBoth(p, 1000);
    expect(n.jit).toBe(n.interp);
    expect(n.jit).toBe(22);
    expect(p.jit.cpu.halted).toBe(true);
    expectSame(p);
  });
});
