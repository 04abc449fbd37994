/**
 * The import rule of DESIGN.md "Layers": each src/ folder imports only folders below it, so no two
 * folders import each other, directly or through others. Every import counts: static, type-only,
 * `export ... from` and dynamic `import('...')`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Top to bottom: DESIGN.md's list, with the API beside the CLI, the reference guest's builder above
 * the loader it uses, the leaf of architectural constants at the bottom, and the hypervisor above
 * the CPU: the CPU defines its VM exit record and the hypervisor consumes it (DESIGN.md: "the exit
 * record and its reasons belong to the level that raises them", as KVM's vCPU defines kvm_run and
 * the VMM consumes it), so the CPU imports nothing of the hypervisor.
 */
export const LAYERS = ['cli', 'api', 'machine', 'profiler', 'guest', 'loader', 'devices', 'jit', 'hv', 'cpu', 'frontend', 'mem', 'arch'];

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*'([^']+)'|(?:^|[\s;(=])import\s*\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm;

interface Edge {
  from: string;
  to: string;
  file: string;
  spec: string;
}

function folderOf(path: string): string {
  return relative(SRC, path).split('/')[0];
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec.startsWith('.')) continue;
      const from = folderOf(file);
      const to = folderOf(resolve(dirname(file), spec));
      if (from !== to) out.push({ from, to, file: relative(SRC, file), spec });
    }
  }
  return out;
}

describe('layers', () => {
  const all = edges();

  it('finds the imports it checks (the scan itself works)', () => {
    // The machine builds the CPU and the JIT: if these edges are not seen, the pattern is broken.
    expect(all.some((e) => e.from === 'machine' && e.to === 'cpu')).toBe(true);
    expect(all.some((e) => e.from === 'machine' && e.to === 'jit')).toBe(true);
    expect(all.some((e) => e.from === 'cpu' && e.to === 'mem')).toBe(true);
  });

  it('every src/ folder is in the layer list', () => {
    const folders = readdirSync(SRC).filter((n) => statSync(join(SRC, n)).isDirectory());
    expect(folders.filter((f) => !LAYERS.includes(f))).toEqual([]);
  });

  it('imports go downward only (hence no cycle between folders)', () => {
    const upward = all
      .filter((e) => LAYERS.indexOf(e.to) < LAYERS.indexOf(e.from))
      .map((e) => `${e.from} -> ${e.to}: ${e.file} imports '${e.spec}'`);
    expect(upward).toEqual([]);
  });
});
