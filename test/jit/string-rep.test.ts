/**
 * REP string instructions in translated code (inlined from sem/string.ts, the bulk path through
 * rt.movs/rt.stos): faults in the middle of a REP leave ECX/ESI/EDI and EIP precise and the
 * instruction restartable, a store into the running block takes effect, an interrupt is taken
 * between chunks, and a budget stops where the interpreter stops. The JIT must leave exactly the
 * interpreter's state (registers, icount, memory) in each.
 */
import { describe, expect, it } from 'vitest';
import { asm, check, expectSame, pair, runBoth, STUB, withPaging } from './helpers.js';

/** Fill 0x8000..0x30000 (below the GDT, IDT and fault stubs of helpers.ts) with a pattern. */
function pattern(t: Parameters<NonNullable<Parameters<typeof pair>[1]>>[0]): void {
  for (let k = 0x8000; k < 0x30000; k++) t.phys.u8[k] = (k * 7 + (k >> 8)) & 255;
}

describe('faults in the middle of REP', () => {
  // Page 0x25 is absent: the copies below run into it part-way (bulk, misaligned and backward).
  for (const [name, body] of [
    ['rep movsd into an absent page (bulk path)', 'mov esi, 0x20000\n mov edi, 0x23000\n mov ecx, 3000\n rep movsd'],
    ['rep movsd from an absent page, misaligned', 'mov esi, 0x23003\n mov edi, 0x20001\n mov ecx, 3000\n rep movsd'],
    ['rep stosw backwards into an absent page', 'std\n mov edi, 0x26ffe\n mov ecx, 6000\n mov eax, 0x1234\n rep stosw'],
    ['rep movsb backwards, per element (16-bit addressing)', 'std\n mov esi, 0x20000\n mov edi, 0x10000\n mov ecx, 0x120\n addr16 rep movsb'],
    ['repe cmpsd running into an absent page', 'mov esi, 0x20000\n mov edi, 0x23000\n mov ecx, 10000\n repe cmpsd'],
    ['rep lodsb running into an absent page', 'mov esi, 0x24ff0\n mov ecx, 100\n rep lodsb'],
  ] as const) {
    it(name, () => {
      const p = check(`
        mov ebx, 7
        ${body}
        add ebx, ecx
        hlt
      `, (t) => {
        pattern(t);
        // repe cmpsd compares two equal regions up to the absent page.
        t.phys.u8.copyWithin(0x23000, 0x20000, 0x22000);
        withPaging(t, [0x25, 0xf]);
      }, 0);
      // Stopped in the #PF stub with EIP of the REP instruction pushed, after some progress.
      expect(p.jit.cpu.eip).toBe(STUB + 14 + 1);
      expect(p.jit.cpu.cr2 >>> 12 === 0x25 || p.jit.cpu.cr2 >>> 12 === 0xf).toBe(true);
    });
  }

  it('the faulting REP restarts and finishes once the page is present', () => {
    const p = pair(asm(`
      mov esi, 0x20000
      mov edi, 0x23800
      mov ecx, 2000
      rep movsd
      hlt
    `), (t) => {
      pattern(t);
      withPaging(t, [0x25]);
    }, 0);
    runBoth(p);
    expectSame(p);
    const ecx = p.jit.cpu.regs[1];
    expect(ecx).toBeGreaterThan(0);
    expect(ecx).toBeLessThan(2000);
    // Map the page, resume both at the REP instruction with the registers the fault left.
    for (const t of [p.interp, p.jit]) {
      t.phys.write32(0x41000 + 0x25 * 4, 0x25003);
      t.cpu.mmu.flush(true);
      t.cpu.halted = false;
      // The #PF frame: error code, EIP, CS, EFLAGS.
      t.cpu.eip = t.phys.read32(t.cpu.regs[4] + 4);
      t.cpu.regs[4] += 16;
    }
    runBoth(p);
    expectSame(p);
    expect(p.jit.cpu.regs[1]).toBe(0);
    expect(p.jit.cpu.regs[7]).toBe(0x23800 + 8000);
  });
});

describe('self-modifying code', () => {
  it('rep movsb copies new code over a later instruction of the running block', () => {
    // The copy replaces `add eax, 1` (83 c0 01) with `add eax, 5` from the template at 3:.
    check(`
      mov edx, 20
    1:
      lea esi, [3f]
      lea edi, [2f]
      mov ecx, 3
      rep movsb
    2:
      add eax, 1
      mov byte ptr [3f + 2], dl
      dec edx
      jnz 1b
      hlt
    3:
      add eax, 5
    `, () => {}, 0);
  });

  it('rep stosb over the rest of its own block (bulk refuses code pages)', () => {
    check(`
      lea edi, [2f]
      mov ecx, 8
      mov al, 0x90
      rep stosb
    2:
      mov eax, 1
      mov ebx, 2
      hlt
    `, () => {}, 0);
  });
});

describe('interrupts and budgets', () => {
  it('an interrupt pending after one chunk is taken before the next', () => {
    const p = pair(asm(`
      sti
      mov esi, 0x10000
      mov edi, 0x1c000
      mov ecx, 10000
      rep movsd
      hlt
    `), pattern, 0);
    // sti, 3 movs, one chunk of 4096 elements.
    expect(p.interp.cpu.run(5)).toBe(p.engine.run(5));
    expectSame(p);
    expect(p.jit.cpu.regs[1]).toBe(10000 - 4096);
    p.interp.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x12 };
    p.jit.cpu.intr = { hasInterrupt: () => true, acknowledge: () => 0x12 };
    p.interp.cpu.intrDirty = p.jit.cpu.intrDirty = true;
    runBoth(p, 10);
    expectSame(p);
    expect(p.jit.cpu.eip).toBe(STUB + 0x12 + 1);
    expect(p.jit.cpu.regs[1]).toBe(10000 - 4096);
  });

  it('budgets of one instruction step through the chunks of REP as the interpreter does', () => {
    const p = pair(asm(`
      mov esi, 0x20000
      mov edi, 0x28000
      mov ecx, 9000
      rep movsb
      mov ecx, 9000
      repne scasb
      mov ecx, 3000
      addr16 rep stosd
      hlt
    `), pattern, 0);
    for (let n = 0; n < 20 && !p.interp.cpu.halted; n++) {
      expect(p.engine.run(1)).toBe(p.interp.cpu.run(1));
      expectSame(p);
    }
    expect(p.interp.cpu.halted).toBe(true);
  });
});
