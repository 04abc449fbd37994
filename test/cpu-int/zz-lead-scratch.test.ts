import { expect, test } from 'vitest';
import { machine, asm, run, rd32, wr32, DATA } from './harness.js';
test('std rep movsd overlapping backwards', () => {
  const t = machine();
  for (let k = 0; k < 16; k++) wr32(t, DATA + k * 4, k + 1);
  // copy 8 dwords from DATA..DATA+31 to DATA+16.. backwards (overlap), like head_32.S
  t.cpu.regs[6] = DATA + 28; t.cpu.regs[7] = DATA + 44; t.cpu.regs[1] = 8;
  run(t, asm('std\nrep movsd\ncld\nhlt'));
  const out = []; for (let k = 0; k < 16; k++) out.push(rd32(t, DATA + k * 4));
  expect(out).toEqual([1,2,3,4,1,2,3,4,5,6,7,8,13,14,15,16]);
  expect(t.cpu.regs[6]).toBe(DATA - 4); expect(t.cpu.regs[7]).toBe(DATA + 12); expect(t.cpu.regs[1]).toBe(0);
});
