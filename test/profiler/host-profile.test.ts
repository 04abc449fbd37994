import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatedUrls, loadGeneratedMaps, symbolizeHostProfile, type SymbolizeOptions } from '../../src/profiler/host-profile.js';
import { bodyLineOffset, buildGuestSourceMap } from '../../src/jit/source-map.js';
import { parseSystemMap } from '../../src/profiler/symbols.js';

const syms = parseSystemMap('c1000000 T startup_32\nc1063de0 T native_flush_tlb_one_user\nc1063f00 T next_fn\n');
const frame = (functionName: string, url: string) => ({ callFrame: { functionName, url, scriptId: '1', lineNumber: 0, columnNumber: 0 } });

describe('host .cpuprofile symbolization', () => {
  it('names generated blocks after the guest function, leaves host frames alone', () => {
    const p = {
      nodes: [
        frame('(root)', ''),
        frame('run', 'file:///work/dist/jit/engine.js'),
        frame('block', 'x86jit/block_01063e6e_371.js'),
        frame('block', 'x86jit/block_00123000_15.js'), // CPL 3 (mode bits 2-3 = 3)
        frame('block', 'x86jit/block_3f000000_371.js'), // no symbol there
      ],
    };
    expect(symbolizeHostProfile(p, syms)).toBe(3);
    expect(p.nodes.map((n) => n.callFrame.functionName)).toEqual([
      '(root)',
      'run',
      '[guest] native_flush_tlb_one_user+0x8e',
      '[guest user] phys 0x00123000',
      '[guest] 0xff000000',
    ]);
  });
  it('refuses something that is not a .cpuprofile', () => {
    expect(() => symbolizeHostProfile({} as never, syms)).toThrow(/not a .cpuprofile/);
  });
});

describe('host .cpuprofile symbolization through source maps', () => {
  // A generated body: prologue, then instructions of two guest functions (0xc1063e6e.. and 0xc1063f00).
  const body = [
    '"use strict";', // 1 (script line 3)
    'return function block(cpu) {', // 2
    '// 0xc1063e6e MOV', // 3
    'r0 = 1;', // 4
    '// 0xc1063e70 ADD', // 5
    'r0 = r0 + 1;', // 6
    '// 0xc1063f00 PUSH', // 7
    'r1 = 2;', // 8
    '};', // 9
    '//# sourceURL=x86jit/block_01063e6e_371.js',
  ].join('\n');
  const script = (bodyLine: number) => bodyLine + bodyLineOffset();

  function profileWithMaps() {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-host-maps-'));
    const m = buildGuestSourceMap(body, { symbolize: (eip) => syms.formatKnown(eip) })!;
    writeFileSync(join(dir, 'block_01063e6e_371.js.map'), m.json);
    const p = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', scriptId: '0', lineNumber: -1, columnNumber: -1 }, hitCount: 0, children: [2, 3] },
        { id: 2, callFrame: { functionName: 'block', url: 'x86jit/block_01063e6e_371.js', scriptId: '9', lineNumber: 3, columnNumber: 7 }, hitCount: 4, children: [],
          positionTicks: [{ line: script(4), ticks: 1 }, { line: script(6), ticks: 2 }, { line: script(8), ticks: 1 }] },
        { id: 3, callFrame: { functionName: 'block', url: 'x86jit/block_00200000_371.js', scriptId: '10', lineNumber: 3, columnNumber: 7 }, hitCount: 1, children: [] },
      ],
      samples: [2, 2, 3, 2, 2],
      timeDeltas: [1, 1, 1, 1, 1],
      startTime: 0,
      endTime: 5,
    };
    return { dir, p };
  }

  it('resolves each line to its guest instruction, splits a frame spanning two guest functions', async () => {
    const { dir, p } = profileWithMaps();
    const maps = await loadGeneratedMaps(dir, generatedUrls(p));
    expect(maps.size).toBe(1);
    const o: SymbolizeOptions = { maps, instructions: new Map() };
    expect(symbolizeHostProfile(p, syms, undefined, o)).toBe(2);
    expect(o.mapped).toBe(1);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const main = byId.get(2)!;
    expect(main.callFrame).toMatchObject({ functionName: '[guest] native_flush_tlb_one_user', url: 'x86jit/guest/block_01063e6e_371.asm', lineNumber: 0 });
    expect(main.positionTicks).toEqual([{ line: 1, ticks: 1 }, { line: 2, ticks: 2 }]);
    expect(main.hitCount).toBe(3);
    const other = p.nodes.find((n) => n.callFrame.functionName === '[guest] next_fn')!;
    expect(other).toMatchObject({ hitCount: 1, positionTicks: [{ line: 3, ticks: 1 }] });
    expect(p.nodes[0].children).toEqual([2, 3, other.id]);
    expect(p.samples.filter((s) => s === other.id).length).toBe(1);
    expect(p.samples.filter((s) => s === 2).length).toBe(3);
    // No map for the second block: the whole-block fallback.
    expect(byId.get(3)!.callFrame.functionName).toBe('[guest] 0xc0200000');
    expect(Object.fromEntries(o.instructions!)).toEqual({
      'c1063e6e  mov  ; native_flush_tlb_one_user+0x8e': 1,
      'c1063e70  add  ; native_flush_tlb_one_user+0x90': 2,
      'c1063f00  push  ; next_fn': 1,
    });
  });

  it('a later function compiled under the same name (~2) is found by its own map', async () => {
    const { dir, p } = profileWithMaps();
    const second = buildGuestSourceMap(body.replace('block_01063e6e_371.js', 'block_01063e6e_371~2.js'), {})!;
    writeFileSync(join(dir, 'block_01063e6e_371~2.js.map'), second.json);
    p.nodes[2].callFrame.url = 'x86jit/block_01063e6e_371~2.js';
    (p.nodes[2] as { positionTicks?: unknown }).positionTicks = [{ line: script(8), ticks: 1 }];
    const o: SymbolizeOptions = { maps: await loadGeneratedMaps(dir, generatedUrls(p)) };
    symbolizeHostProfile(p, syms, undefined, o);
    expect(o.mapped).toBe(2);
    // This map has no names: the symbol table names the instruction.
    expect(p.nodes[2].callFrame).toMatchObject({ functionName: '[guest] next_fn', url: 'x86jit/guest/block_01063e6e_371~2.asm' });
  });
});
