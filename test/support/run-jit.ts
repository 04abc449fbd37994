/**
 * runToEnd through the JIT (src/jit/engine.ts) at threshold 0, so that the CPU-level suites
 * (test/cpu-int, test/fpu) also run every instruction as translated code (issue 17 point 5):
 * `useJitEngine()` before the suites are imported, then their `run()` goes through here.
 *
 * A UD2 written at the end of the code stops the run there: its #UD (a fault, so nothing has
 * changed, SDM Vol. 2 UD) ends `Jit.run` with EIP at the end (Jit.stopOnFault), as the
 * interpreter's step loop stops when EIP reaches the end. Any other guest fault ends the run the
 * same way and its vector is returned, as the step loop returns it. One difference remains: the
 * UD2 is an instruction, so an interrupt shadow left by the code's last instruction (MOV SS, POP
 * SS, STI) is spent on it.
 */
import type { Cpu } from '../../src/cpu/cpu.js';
import { FAULT } from '../../src/cpu/fault.js';
import { Jit } from '../../src/jit/engine.js';
import type { PhysMemory } from '../../src/mem/phys.js';

/** Translated code used by runToEndJit since the process started (a suite checks that it ran). */
export const jitUse = { blocksCompiled: 0, blocksRun: 0, inlineInsns: 0 };

/** The engines' own code-write hooks, told apart from one a test installed on the memory. */
const engineHooks = new WeakSet<object>();

export function runToEndJit(cpu: Cpu, phys: PhysMemory, code: Uint8Array, at: number, maxSteps: number): number {
  phys.u8.set(code, at);
  const end = at + code.length;
  const saved = phys.u8.slice(end, end + 2);
  phys.u8.set([0x0f, 0x0b], end); // ud2
  // Written behind the interpreter's pre-decoded blocks too (test RAM is identity-mapped: host = physical).
  phys.codeChanged(at, code.length + 2);
  cpu.eip = at;
  // A new engine for every piece of code: the code was written behind any old engine's back. A
  // code-write hook the test installed keeps being called.
  const testHook = engineHooks.has(phys.onCodeWrite) ? null : phys.onCodeWrite;
  const jit = new Jit(cpu, phys, { threshold: 0, verify: true });
  if (testHook !== null) {
    const own = phys.onCodeWrite;
    phys.onCodeWrite = (a, size) => {
      testHook(a, size);
      own(a, size);
    };
  }
  engineHooks.add(phys.onCodeWrite);
  jit.stopOnFault = true;
  jit.onCompile = (b) => {
    jitUse.inlineInsns += b.inlineInsns;
  };
  try {
    for (let n = 0; n < maxSteps && !cpu.halted; ) {
      const d = jit.run(maxSteps - n);
      if (d === 0) break;
      n += d;
    }
    return -1;
  } catch (e) {
    if (e !== FAULT) throw e;
    return cpu.eip === end && cpu.excVector === 6 ? -1 : cpu.excVector;
  } finally {
    jitUse.blocksCompiled += jit.stats.blocksCompiled;
    jitUse.blocksRun += jit.stats.blocksRun;
    phys.u8.set(saved, end);
    phys.codeChanged(end, 2);
  }
}
