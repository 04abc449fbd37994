import { afterEach, describe, expect, it, vi } from 'vitest';
import { oracle } from './oracle.js';

describe('oracle (a missing outside tool or suite)', () => {
  const saved = process.env.CI;
  afterEach(() => {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
    vi.restoreAllMocks();
  });

  it('fails loudly under CI=true, naming what is missing', () => {
    process.env.CI = 'true';
    expect(() => oracle('tool x', false, 'install x')).toThrow(/CI=true and an oracle is missing .*tool x cannot run: install x/);
    expect(oracle('tool x', true, 'install x')).toBe(true);
  });

  it('skips with one line on a user machine', () => {
    delete process.env.CI;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(oracle('tool x', false, 'install x')).toBe(false);
    expect(warn).toHaveBeenCalledWith('SKIP tool x cannot run: install x');
    process.env.CI = 'false';
    expect(oracle('tool x', false, 'install x')).toBe(false);
  });
});
