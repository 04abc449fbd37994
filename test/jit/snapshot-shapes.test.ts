/**
 * Snapshots of generated code in the configurations that change what the emitter writes (issue 17
 * point 5): the configuration the CLI ships (regions as the engine's defaults have them, the CLI's
 * threshold does not change the code), 16-bit code, non-flat data segments, paging, and user mode.
 * One small loop (loads, stores, ALU, PUSH/POP, a conditional branch) runs in each shape, the two
 * engines must agree, every instruction of it must be inline, and the shape must show in the code.
 * Regenerate with `npx vitest run test/jit/snapshot-shapes.test.ts -u` and read the diff.
 */
import { describe, expect, it } from 'vitest';
import { Seg } from '../../src/frontend/insn.js';
import type { Block } from '../../src/jit/block.js';
import { assembleIntel } from '../support/asm.js';
import { setFlatSegments } from '../support/machine.js';
import { CODE, DATA, type TestMachine } from '../cpu-int/harness.js';
import { expectSame, expectSourcesValid, pair, withPaging } from './helpers.js';

const LOOP32 = `
    mov ebx, ${DATA}
    mov ecx, 10
  1:
    mov eax, [ebx]
    add eax, ecx
    mov [ebx + 4], eax
    push eax
    pop edx
    dec ecx
    jnz 1b
  2:
    jmp 2b
`;
const LOOP16 = `
    mov bx, 0x4000
    mov cx, 10
  1:
    mov ax, [bx]
    add ax, cx
    mov [bx + 2], ax
    push ax
    pop dx
    dec cx
    jnz 1b
  2:
    jmp 2b
`;

/** Identity paging of the first MiB with user, writable pages (PTE bits P|RW|US). */
function userPaging(t: TestMachine): void {
  withPaging(t);
  for (let i = 0; i < 256; i++) t.phys.write32(0x41000 + i * 4, (i << 12) | 7);
  t.phys.write32(0x40000, 0x41000 | 7);
  t.cpu.mmu.flush(true);
}

interface Shape {
  name: string;
  bits: 16 | 32;
  setup: (t: TestMachine) => void;
  /** What the generated code of this shape must contain (or not). */
  shows: (source: string) => void;
  /** The loop's JNZ is translated too. Branches are emitted by the translator only in flat 32-bit
   *  code (emit-inline.ts isControl); in 16-bit or non-flat code they are handler calls today. */
  branchInline: boolean;
}

const shapes: Shape[] = [
  {
    name: 'cli-default',
    bits: 32,
    setup: () => {},
    // Flat segments without paging: memory straight through the RAM views, no segment base.
    shows: (s) => expect(s).not.toMatch(/segBase/),
    branchInline: true,
  },
  {
    name: 'code16',
    bits: 16,
    setup: (t) => setFlatSegments(t.cpu, true),
    // 16-bit registers are written back into the low half only.
    shows: (s) => expect(s).toMatch(/& -65536|& 0xffff0000|0xffff/),
    branchInline: false,
  },
  {
    name: 'non-flat',
    bits: 32,
    setup: (t) => {
      t.cpu.segBase[Seg.DS] = 0x10000;
      t.cpu.segBase[Seg.SS] = 0x8000;
    },
    // Segment bases and limits are applied by the CPU's segmented access path.
    shows: (s) => expect(s).toMatch(/cpu\.readMem\(3, /),
    branchInline: false,
  },
  {
    name: 'paging',
    bits: 32,
    setup: (t) => withPaging(t),
    shows: (s) => expect(s).toMatch(/tlb|TLB|mmu/),
    branchInline: true,
  },
  {
    name: 'user-mode',
    bits: 32,
    setup: (t) => {
      userPaging(t);
      t.cpu.cpl = 3;
    },
    shows: (s) => expect(s).toMatch(/tlb|TLB|mmu/),
    branchInline: true,
  },
];

describe('generated code in each shape', () => {
  for (const shape of shapes) {
    it(shape.name, async () => {
      const code = assembleIntel(`.intel_syntax noprefix\n${shape.bits === 16 ? '.code16' : '.code32'}\n${shape.bits === 16 ? LOOP16 : LOOP32}`, shape.bits, CODE);
      const p = pair(code, shape.setup, 1);
      // The same budget for both: the final self-loop runs until it is spent.
      const a = p.interp.cpu.run(400);
      const b = p.engine.run(400);
      expect(b).toBe(a);
      expectSame(p);
      expectSourcesValid(p);
      const blocks: Block[] = [...p.engine.blocks()].filter((x) => x.fn !== null).sort((x, y) => x.phys - y.phys);
      const body = blocks.find((x) => x.eip !== CODE && x.length >= 6);
      expect(body, 'the loop body was translated').toBeDefined();
      const last = body!.length - 1;
      for (let k = 0; k < last; k++) expect(body!.inlined[k], `instruction ${k} of the loop body inline`).toBe(1);
      expect(body!.inlined[last], 'the loop branch inline').toBe(shape.branchInline ? 1 : 0);
      const source = [...new Set(blocks.map((x) => x.source))].join('\n\n');
      shape.shows(source);
      await expect(source).toMatchFileSnapshot(`__snapshots__/shape-${shape.name}.js.snap`);
    });
  }
});
