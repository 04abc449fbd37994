/**
 * test/cpu-int's suites again, with every run through the JIT at threshold 0 (test/support/run-jit.ts):
 * the same expectations hold for translated code (issue 17 point 5). The afterAll check shows the
 * code really was translated and inlined, not interpreted.
 */
import { afterAll, expect } from 'vitest';
import { useJitEngine } from '../support/machine.js';
import { jitUse } from '../support/run-jit.js';

useJitEngine();
await import('./alu.test.js');
await import('./bcd-bits.test.js');
await import('./branch-string.test.js');
await import('./flags.test.js');
await import('./move-stack.test.js');
await import('./muldiv.test.js');
await import('./shift.test.js');

afterAll(() => {
  expect(jitUse.blocksCompiled, 'blocks translated').toBeGreaterThan(50);
  expect(jitUse.blocksRun, 'translated blocks run').toBeGreaterThan(50);
  expect(jitUse.inlineInsns, 'instructions translated inline').toBeGreaterThan(100);
});
