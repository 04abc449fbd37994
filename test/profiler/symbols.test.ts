import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSymbolFile, parseElfSymbols, parseSystemMap } from '../../src/profiler/symbols.js';
import { buildGuest } from './guest.js';
import { CODE } from '../cpu-int/harness.js';

const MAP = `c1000000 T startup_32
c1000000 T _text
c1000078 T start_cpu0
c1000100 D some_data
c1000200 t local_helper
c1000300 W weak_fn
garbage line
`;

describe('System.map', () => {
  const t = parseSystemMap(MAP);
  it('keeps text symbols only, one name per address (aliases without a leading underscore win)', () => {
    expect(t.names).toEqual(['startup_32', 'start_cpu0', 'local_helper', 'weak_fn']);
  });
  it('formats address -> symbol+offset by binary search', () => {
    expect(t.format(0xc1000000)).toBe('startup_32');
    expect(t.format(0xc1000077)).toBe('startup_32+0x77');
    expect(t.format(0xc1000078)).toBe('start_cpu0');
    expect(t.format(0xc1000150)).toBe('start_cpu0+0xd8');
    expect(t.format(0xc1000305)).toBe('weak_fn+0x5');
    expect(t.nameOf(0xc1000201)).toBe('local_helper');
  });
  it('names nothing below the first symbol or far past the last one', () => {
    expect(t.indexOf(0xbfffffff)).toBe(-1);
    expect(t.format(0x1234)).toBe('0x00001234');
    expect(t.indexOf(0xc1000300 + 0x10000)).toBe(-1);
    expect(t.indexOf(0xc1000300 + 0xffff)).toBe(3);
  });
  it('loads from a file and refuses a file without text symbols', () => {
    const dir = mkdtempSync(join(tmpdir(), 'x86jit-sym-'));
    writeFileSync(join(dir, 'System.map'), MAP);
    writeFileSync(join(dir, 'empty.map'), 'The real System.map is in the linux-image-dbg package\n');
    expect(loadSymbolFile(join(dir, 'System.map')).format(0xc1000079)).toBe('start_cpu0+0x1');
    expect(() => loadSymbolFile(join(dir, 'empty.map'))).toThrow(/neither an ELF file nor a System.map/);
  });
});

describe('ELF32 symbol table', () => {
  it('reads the function symbols binutils wrote, with their sizes', () => {
    const g = buildGuest();
    const t = parseElfSymbols(g.elf, 'g.elf');
    expect(t.names).toEqual(['start', 'f', 'g']);
    expect(t.starts[0]).toBe(CODE);
    expect(t.format(CODE + 1)).toBe('start+0x1');
    // g is the last function: its size bounds it, so the byte after it has no symbol.
    const gi = t.names.indexOf('g');
    expect(t.ends[gi]).toBe(CODE + g.text.length);
    expect(t.indexOf(CODE + g.text.length)).toBe(-1);
    expect(loadSymbolFile(g.elfPath).names).toEqual(t.names);
  });
  it('rejects non-ELF and 64-bit input', () => {
    expect(() => parseElfSymbols(new Uint8Array(64), 'x')).toThrow(/not an ELF/);
    const e = new Uint8Array(64);
    e.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    expect(() => parseElfSymbols(e, 'x')).toThrow(/32-bit/);
  });
});
