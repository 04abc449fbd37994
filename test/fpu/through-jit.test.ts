/**
 * test/fpu's suites again, with every run through the JIT at threshold 0 (test/support/run-jit.ts):
 * the same expectations hold for translated code (issue 17 point 5). The afterAll check shows the
 * code really was translated and run, not interpreted.
 */
import { afterAll, expect } from 'vitest';
import { useJitEngine } from '../support/machine.js';
import { jitUse } from '../support/run-jit.js';

useJitEngine();
await import('./float80.test.js');
await import('./hardware.test.js');
await import('./insn.test.js');

afterAll(() => {
  expect(jitUse.blocksCompiled, 'blocks translated').toBeGreaterThan(50);
  expect(jitUse.blocksRun, 'translated blocks run').toBeGreaterThan(50);
  // x87 instructions are handler calls from translated code (issue 17 lets them stay so).
});
