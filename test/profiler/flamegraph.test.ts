/**
 * The HTML flame graph on the small guest (guest.ts: start -> f -> g): boxes nest as the stacks do,
 * widths are shares of the samples, labels fit their boxes, names are escaped. Rendering in a
 * browser is checked on a kernel profile in any-kernel.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { callTree, fitLabel, flameGraphHtml } from '../../src/profiler/flamegraph.js';
import { Profiler } from '../../src/profiler/profiler.js';
import { parseElfSymbols, SymbolTable } from '../../src/profiler/symbols.js';
import { buildGuest, guestMachine, runToHalt } from './guest.js';

interface Box { name: string; x: number; w: number; y: number; title: string }

function boxes(html: string): Box[] {
  const re = /<g data-x="([\d.]+)" data-w="([\d.]+)" data-n="([^"]*)"><title>([^<]*)<\/title><rect x="[\d.]+" y="(\d+)"/g;
  return [...html.matchAll(re)].map((m) => ({ name: m[3], x: +m[1], w: +m[2], y: +m[5], title: m[4] }));
}

describe('flame graph', () => {
  it('draws the call tree of the samples: callers below callees, widths = shares', () => {
    const m = guestMachine((t) => t.cpu);
    const prof = Profiler.attach(m, { period: 11, maxDepth: 8, textLow: 0, textHigh: 0x100000 });
    runToHalt(m);
    prof.detach();
    const html = flameGraphHtml(prof, parseElfSymbols(buildGuest().elf), 'test <guest>');
    expect(html).toContain('<title>test &lt;guest&gt;</title>');
    const b = boxes(html);
    const by = (n: string) => b.filter((x) => x.name === n);
    expect(by('all')).toHaveLength(1);
    expect(by('start')).toHaveLength(1);
    const [all, start, f, g] = ['all', 'start', 'f', 'g'].map((n) => by(n)[0]);
    expect(start.w).toBeCloseTo(1, 5); // every stack starts at start
    // Each callee sits one row above its caller, inside its span.
    for (const [caller, callee] of [[all, start], [start, f], [f, g]]) {
      expect(callee.y).toBeLessThan(caller.y);
      expect(callee.x).toBeGreaterThanOrEqual(caller.x - 1e-6);
      expect(callee.x + callee.w).toBeLessThanOrEqual(caller.x + caller.w + 1e-6);
    }
    // g spins: most samples are in it; the title gives its count of all samples.
    const total = prof.sampler.samples;
    const gSamples = Number(/^g \((\d+) samples/.exec(g.title)![1]);
    expect(g.w).toBeCloseTo(gSamples / total, 4);
    expect(gSamples / total).toBeGreaterThan(0.6);
    expect(html).toMatch(/<text [^>]*>g<\/text>/);
  });

  it('merges stacks into a tree and fits labels to their boxes', () => {
    const t = callTree(['a', 'b', 'c'], [[0, 1], [0, 1], [0, 2], [2]]);
    expect(t.samples).toBe(4);
    expect(t.children.get('a')!.samples).toBe(3);
    expect(t.children.get('a')!.children.get('b')!.samples).toBe(2);
    expect(t.children.get('c')!.samples).toBe(1);
    expect(fitLabel('start_kernel', 200)).toBe('start_kernel');
    expect(fitLabel('start_kernel', 60)).toBe('start..'); // 7 characters of 7.2 px in 60 - 6 px
    expect(fitLabel('start_kernel', 20)).toBe('');
    // A name with markup characters stays text.
    const html = flameGraphHtml({ sampler: { period: 1, forEachSample: (fn: (f: number[], u: boolean, i: number) => void) => fn([0x1000], false, 0), samples: 1 } } as never, new SymbolTable([{ addr: 0x1000, name: 'x<y>&"z"', size: 16 }]));
    expect(html).toContain('x&lt;y&gt;&amp;&quot;z&quot;');
    expect(html).not.toContain('x<y>');
  });
});
