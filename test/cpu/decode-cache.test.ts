import { expect, test } from 'vitest';
import { machine, asm, run, CODE } from '../cpu-int/harness.js';

test('self-modifying code: a patched instruction is re-decoded', () => {
  const t = machine();
  // Runs "mov eax, imm32" twice; between the runs the code patches the immediate in place.
  const code = asm(`
    xor ecx, ecx
  again:
    mov eax, 0x11111111
    inc ecx
    cmp ecx, 2
    je done
    mov dword ptr [${CODE + 3}], 0x22222222
    jmp again
  done:
    hlt`);
  run(t, code);
  expect(t.cpu.regs[0] >>> 0).toBe(0x22222222);
  expect(t.cpu.decodeCache.hits).toBeGreaterThan(0);
});

test('the same bytes decode differently in 16-bit and 32-bit code', () => {
  const t = machine();
  const bytes = Uint8Array.from([0xb8, 0x34, 0x12, 0x78, 0x56]); // 32-bit: mov eax,0x56781234
  run(t, bytes);
  expect(t.cpu.regs[0] >>> 0).toBe(0x56781234);
  // Same host bytes, now as 16-bit code: mov ax,0x1234 (3 bytes), then 78 56 = js +0x56.
  t.cpu.code32 = false;
  t.cpu.regs[0] = 0;
  t.cpu.eip = CODE;
  t.cpu.step();
  expect(t.cpu.regs[0]).toBe(0x1234);
  expect(t.cpu.eip).toBe(CODE + 3);
});
