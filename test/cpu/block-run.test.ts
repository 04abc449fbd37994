/**
 * The interpreter's pre-decoded blocks (src/cpu/block-cache.ts, Cpu.runBlock): `cpu.run` must do
 * exactly what single steps with the run loop's checks between them do (the reference loop below is
 * the run loop as it was before blocks): same registers, flags, memory, EIP, instruction count,
 * faults and thrown errors, including stores into the running block, stores into a block that is
 * not running, code changed behind the CPU's back (PhysMemory.codeChanged), the bulk string paths,
 * pages mixing code and data, page-crossing instructions and 16-bit code.
 */
import { describe, expect, test } from 'vitest';
import { FAULT } from '../../src/cpu/fault.js';
import type { Cpu } from '../../src/cpu/cpu.js';
import { getEflags } from '../../src/cpu/flags.js';
import { deliverException } from '../../src/cpu/system/interrupts.js';
import { asm, CODE, DATA, machine, type TestMachine } from '../cpu-int/harness.js';
import { generate } from '../jit/fuzz.js';
import { CODE_GEN_MAX } from '../../src/mem/phys.js';

/** Cpu.run before blocks: poll, then one step, per instruction. */
function stepRun(cpu: Cpu, budget: number): number {
  let done = 0;
  cpu.intrDirty = true;
  while (done < budget) {
    try {
      while (done < budget) {
        if (!cpu.intShadow) cpu.pollInterrupts();
        else cpu.intShadow = false;
        if (cpu.halted) return done;
        if (cpu.debugging()) cpu.stepDebug();
        else cpu.step();
        done++;
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      cpu.eip = cpu.insnEip;
      deliverException(cpu);
      done++;
    }
  }
  return done;
}

function outcome(t: TestMachine, run: () => number): string {
  let err = '';
  let n = 0;
  try {
    n = run();
  } catch (e) {
    err = e instanceof Error ? e.message : String(e);
  }
  const c = t.cpu;
  let h = 0x811c9dc5;
  for (const w of t.phys.i32) h = Math.imul(h ^ w, 16777619);
  return `n ${n} icount ${c.icount} err ${err} regs ${Array.from(c.regs, (r) => (r >>> 0).toString(16)).join(' ')} ` +
    `eip ${(c.eip >>> 0).toString(16)} eflags ${(getEflags(c) >>> 0).toString(16)} halted ${c.halted} mem ${(h >>> 0).toString(16)}`;
}

function load(t: TestMachine, code: Uint8Array, at = CODE): void {
  t.phys.u8.set(code, at);
  t.cpu.eip = at;
}

describe('self-modifying code', () => {
  test('a store into the next instruction of the running block takes effect', () => {
    const t = machine();
    // The MOV patches the NOP right after it (same block) into INC EAX.
    load(t, asm(`
      xor eax, eax
      mov byte ptr [${CODE + 9}], 0x40
      nop
      inc eax
      hlt`));
    t.cpu.run(100);
    expect(t.cpu.regs[0]).toBe(2);
    expect(t.cpu.icount).toBe(5);
  });

  test('a store several instructions ahead, then the patched block runs again', () => {
    const t = machine();
    const code = asm(`
      xor ecx, ecx
    again:
      mov eax, 0x11111111
      inc ecx
      cmp ecx, 3
      je done
      mov dword ptr [${CODE + 3}], 0x22222222
      jmp again
    done:
      hlt`);
    load(t, code);
    t.cpu.run(1000);
    expect(t.cpu.regs[0] >>> 0).toBe(0x22222222);
    expect(t.cpu.blockCache.hits).toBeGreaterThan(0);
  });

  /** Run `code` at CODE three times (so its block is decoded and then found), then rewrite it with `patch`
   *  and run again: EAX tells which code ran. */
  function rewrite(first: string, patch: (t: TestMachine, code: Uint8Array) => void): number {
    const t = machine();
    load(t, asm(first));
    for (let k = 0; k < 3; k++) {
      t.cpu.halted = false;
      t.cpu.eip = CODE;
      t.cpu.run(10);
    }
    expect(t.cpu.blockCache.hits).toBeGreaterThan(0);
    patch(t, asm('mov eax, 2\nhlt'));
    t.cpu.halted = false;
    t.cpu.eip = CODE;
    t.cpu.run(10);
    return t.cpu.regs[0];
  }

  test('code rewritten by the host between runs is decoded again after PhysMemory.codeChanged', () => {
    expect(rewrite('mov eax, 1\nhlt', (t, c) => {
      t.phys.u8.set(c, CODE);
      t.phys.codeChanged(CODE, c.length);
    })).toBe(2);
  });

  test('code rewritten through PhysMemory.write8 (DMA) between runs is decoded again', () => {
    expect(rewrite('mov eax, 1\nhlt', (t, c) => c.forEach((v, k) => t.phys.write8(CODE + k, v)))).toBe(2);
  });

  test('a host clearing codePages makes every block be checked again', () => {
    expect(rewrite('mov eax, 1\nhlt', (t, c) => {
      t.phys.u8.set(c, CODE);
      t.phys.codePages.fill(0);
    })).toBe(2);
  });

  test('code rewritten by a guest REP MOVSB and REP STOSB (the bulk paths) in another block is decoded again', () => {
    // The code at CODE + 0x100 copies the patch over CODE's block, runs it, then fills it with
    // INC EAX (0x40) and runs it again.
    const patch = asm('mov eax, 2\nhlt');
    const t = machine();
    const target = asm('mov eax, 1\nret');
    t.phys.u8.set(target, CODE);
    t.phys.u8.set(patch, DATA);
    load(t, asm(`
      mov esp, ${DATA + 0x1000}
      mov ebx, ${CODE}
      call ebx
      call ebx
      mov esi, ${DATA}
      mov edi, ${CODE}
      mov ecx, 5
      cld
      rep movsb
      mov byte ptr [${CODE + 5}], 0xc3
      call ebx
      mov edx, eax
      mov edi, ${CODE}
      mov al, 0x40
      mov ecx, 5
      rep stosb
      xor eax, eax
      call ebx
      hlt`), CODE + 0x100);
    t.cpu.run(1000);
    expect(t.cpu.regs[2]).toBe(2);
    expect(t.cpu.regs[0]).toBe(5);
  });

  test('a page holding code and data: stores next to the code leave its blocks valid, and the run agrees with single steps', () => {
    const code = asm(`
      mov ecx, 40
    l:
      mov [${CODE + 0x800}], ecx
      add eax, [${CODE + 0x800}]
      dec ecx
      jnz l
      mov byte ptr [${CODE + 0x40}], 0x90
      hlt`);
    const a = machine();
    const b = machine();
    load(a, code);
    load(b, code);
    expect(outcome(a, () => a.cpu.run(1000))).toBe(outcome(b, () => stepRun(b.cpu, 1000)));
    expect(a.cpu.blockCache.compares).toBeGreaterThan(30);
    expect(a.cpu.blockCache.builds).toBeLessThan(6);
  });

  test('the JIT marking and unmarking a page leaves its pre-decoded blocks tracked', () => {
    expect(rewrite('mov eax, 1\nhlt', (t, c) => {
      t.phys.markJitCode(CODE >>> 12, true);
      t.phys.markJitCode(CODE >>> 12, false);
      c.forEach((v, k) => t.phys.write8(CODE + k, v));
    })).toBe(2);
  });

  test('a page whose generation saturates is checked word by word from then on', () => {
    expect(rewrite('mov eax, 1\nhlt', (t, c) => {
      t.phys.codeGen[CODE >>> 12] = CODE_GEN_MAX;
      t.phys.write8(CODE + 0x800, 0); // disarm: the next arm finds the generation saturated
      t.cpu.eip = CODE;
      t.cpu.halted = false;
      t.cpu.run(10);
      t.phys.u8.set(c, CODE); // behind the CPU's back, no codeChanged: the word compare sees it
    })).toBe(2);
  });
});

describe('cpu.run agrees with single steps', () => {
  test('an instruction crossing a page runs, and so do the blocks around it', () => {
    const a = machine();
    const b = machine();
    // mov eax, imm32 straddling 0x2000, then more code on the next page.
    const code = asm('add ebx, 1\nadd ebx, 2\nmov eax, 0x12345678\ninc eax\nhlt');
    const at = 0x2000 - 6;
    load(a, code, at);
    load(b, code, at);
    expect(outcome(a, () => a.cpu.run(100))).toBe(outcome(b, () => stepRun(b.cpu, 100)));
    expect(a.cpu.regs[0]).toBe(0x12345679);
  });

  test('budgets that end inside blocks', () => {
    const code = asm(`
      mov ecx, 50
    l:
      add eax, ecx
      mov [${DATA}], eax
      add ebx, [${DATA}]
      dec ecx
      jnz l
      hlt`);
    for (const budget of [1, 2, 3, 7, 13, 100]) {
      const a = machine();
      const b = machine();
      load(a, code);
      load(b, code);
      let ra = '', rb = '';
      for (let k = 0; k < 5; k++) {
        ra += outcome(a, () => a.cpu.run(budget)) + '\n';
        rb += outcome(b, () => stepRun(b.cpu, budget)) + '\n';
      }
      expect(ra).toBe(rb);
    }
  });

  test('random sequences (the JIT fuzzer\'s generator)', { timeout: 300_000 }, () => {
    let failures = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const c = generate(seed);
      const code = Uint8Array.from(c.chunks.flat());
      const make = () => {
        const t = machine({ code16: c.code16 });
        for (let r = 0; r < 8; r++) t.cpu.regs[r] = c.regs[r];
        if (c.code16) t.cpu.regs[4] &= 0xffff;
        load(t, code, c.code16 ? 0xf80 : 0x10f80);
        return t;
      };
      const a = make();
      const b = make();
      const ra = outcome(a, () => a.cpu.run(300));
      const rb = outcome(b, () => stepRun(b.cpu, 300));
      if (ra !== rb) {
        failures++;
        if (failures <= 3) expect(`seed ${seed}: ${ra}`).toBe(`seed ${seed}: ${rb}`);
      }
    }
    expect(failures).toBe(0);
  });
});
