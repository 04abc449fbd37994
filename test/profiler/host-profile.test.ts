import { describe, expect, it } from 'vitest';
import { symbolizeHostProfile } from '../../src/profiler/host-profile.js';
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
