/**
 * Exports of the sampled stacks for flame-graph viewers, frames = guest functions:
 * - speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json): one
 *   "sampled" profile weighted by guest instructions (each sample = `period` instructions), and one
 *   weighted by host time (the host milliseconds since the previous sample);
 * - Chrome DevTools' `.cpuprofile` (a call tree of nodes, `samples` = leaf node ids, `timeDeltas`
 *   in microseconds of host time), which DevTools' Performance panel and speedscope both open.
 *
 *   writeFileSync('boot.speedscope.json', JSON.stringify(toSpeedscope(prof, symbols, 'boot')));
 *
 * Stacks are root first in both formats; the leaf is the sampled EIP's function.
 */
import { functionName } from './profile-data.js';
import type { Profiler } from './profiler.js';
import type { SymbolTable } from './symbols.js';

export const SPEEDSCOPE_SCHEMA = 'https://www.speedscope.app/file-format-schema.json';

export interface SpeedscopeFrame {
  name: string;
  file?: string;
}

export interface SpeedscopeSampledProfile {
  type: 'sampled';
  name: string;
  unit: 'none' | 'nanoseconds' | 'microseconds' | 'milliseconds' | 'seconds' | 'bytes';
  startValue: number;
  endValue: number;
  samples: number[][];
  weights: number[];
}

export interface SpeedscopeFile {
  $schema: typeof SPEEDSCOPE_SCHEMA;
  shared: { frames: SpeedscopeFrame[] };
  profiles: SpeedscopeSampledProfile[];
  name: string;
  activeProfileIndex: number;
  exporter: string;
}

/** Stacks of every sample as frame-index arrays (root first), with the frame table (also for
 *  flamegraph.ts). */
export function sampleStacks(p: Profiler, symbols: SymbolTable): { frames: SpeedscopeFrame[]; stacks: number[][] } {
  const frames: SpeedscopeFrame[] = [];
  const index = new Map<string, number>();
  const out: number[][] = [];
  const frameOf = (name: string): number => {
    let i = index.get(name);
    if (i === undefined) {
      i = frames.length;
      index.set(name, i);
      frames.push({ name, file: 'guest' });
    }
    return i;
  };
  p.sampler.forEachSample((addrs, user) => {
    const st: number[] = [];
    for (let k = addrs.length - 1; k >= 0; k--) {
      st.push(frameOf(functionName(symbols, addrs[k], user && k === 0)));
    }
    out.push(st);
  });
  return { frames, stacks: out };
}

export function toSpeedscope(p: Profiler, symbols: SymbolTable, name = 'x86jit guest profile'): SpeedscopeFile {
  const { frames, stacks: st } = sampleStacks(p, symbols);
  const s = p.sampler;
  const n = st.length;
  const instrWeights = new Array<number>(n).fill(s.period);
  const timeWeights = new Array<number>(n);
  let prev = s.startTime;
  for (let i = 0; i < n; i++) {
    timeWeights[i] = Math.max(0, s.times[i] - prev);
    prev = s.times[i];
  }
  return {
    $schema: SPEEDSCOPE_SCHEMA,
    shared: { frames },
    profiles: [
      { type: 'sampled', name: `${name}: guest instructions`, unit: 'none', startValue: 0, endValue: n * s.period, samples: st, weights: instrWeights },
      { type: 'sampled', name: `${name}: host time`, unit: 'milliseconds', startValue: 0, endValue: prev - s.startTime, samples: st, weights: timeWeights },
    ],
    name,
    activeProfileIndex: 0,
    exporter: 'x86jit profiler',
  };
}

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number; columnNumber: number };
  hitCount: number;
  children: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Chrome `.cpuprofile` (DevTools protocol Profiler.Profile): times in microseconds. */
export function toCpuProfile(p: Profiler, symbols: SymbolTable): CpuProfile {
  const { frames, stacks: st } = sampleStacks(p, symbols);
  const mk = (id: number, functionName: string): CpuProfileNode => ({
    id,
    callFrame: { functionName, scriptId: '0', url: 'guest', lineNumber: -1, columnNumber: -1 },
    hitCount: 0,
    children: [],
  });
  const nodes: CpuProfileNode[] = [mk(1, '(root)')];
  const childOf = new Map<string, number>();
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  const s = p.sampler;
  let prev = s.startTime;
  for (let i = 0; i < st.length; i++) {
    let node = 1;
    for (const f of st[i]) {
      const key = `${node}:${f}`;
      let c = childOf.get(key);
      if (c === undefined) {
        c = nodes.length + 1;
        nodes.push(mk(c, frames[f].name));
        nodes[node - 1].children.push(c);
        childOf.set(key, c);
      }
      node = c;
    }
    nodes[node - 1].hitCount++;
    samples.push(node);
    timeDeltas.push(Math.round((s.times[i] - prev) * 1000));
    prev = s.times[i];
  }
  const startTime = Math.round(s.startTime * 1000);
  return { nodes, startTime, endTime: startTime + timeDeltas.reduce((a, b) => a + b, 0), samples, timeDeltas };
}
