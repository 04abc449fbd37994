/**
 * The verifier (src/jit/verify.ts) accepts what the emitter generates and rejects anything outside
 * the runtime API: strings, other identifiers or properties, other node types.
 */
import { describe, expect, it } from 'vitest';
import { verifySource } from '../../src/jit/verify.js';

const ok = `"use strict";\nreturn (function block(cpu, rt, lim) { let k = 0, c = 0; const R = cpu.regs; let r0 = R[0];\ntry { r0 = (r0 + 1) | 0; R[0] = r0; cpu.eip = 4096; return 1; } catch (e) { cpu.insnEip = X[k]; throw e; } });`;

describe('verify mode', () => {
  it('accepts a generated-style block', () => {
    expect(() => verifySource(ok)).not.toThrow();
  });
  const bad: [string, string][] = [
    ['a string literal', ok.replace('cpu.eip = 4096', 'cpu.eip = "4096"')],
    ['a template literal', ok.replace('cpu.eip = 4096', 'cpu.eip = `4096`')],
    ['an unknown identifier', ok.replace('cpu.eip = 4096', 'process.exit(1)')],
    ['an unknown property', ok.replace('cpu.eip = 4096', 'cpu.constructor = 4096')],
    ['a computed string property', ok.replace('R[0] = r0', 'cpu["eip"] = r0')],
    ['a new expression', ok.replace('cpu.eip = 4096', 'cpu.eip = new X(1)')],
    ['a regular expression', ok.replace('cpu.eip = 4096', 'cpu.eip = /x/')],
    ['a nested function', ok.replace('cpu.eip = 4096', 'cpu.eip = function () {}')],
    ['a syntax error', ok.replace('return 1;', 'return 1 +;')],
  ];
  for (const [what, src] of bad) {
    it(`rejects ${what}`, () => {
      expect(() => verifySource(src)).toThrow();
    });
  }
});
