/**
 * Lazy arithmetic flags. PLACEHOLDER written by the skeleton (eager: the six arithmetic flags live in
 * cpu.eflags): the interpreter's owner replaces it with the lazy implementation, keeping this API.
 */
import type { CpuState } from './state.js';

export class LazyFlags {
  /** Operation kind of the last flag-setting instruction (0 = flags are materialised in eflags). */
  op = 0;
  res = 0;
  a = 0;
  b = 0;
}

/** The architectural EFLAGS value (bit 1 set). */
export function getEflags(cpu: CpuState): number {
  return cpu.eflags | 2;
}

/** Replace EFLAGS with `v` (the caller has already applied the writable-bit rules). */
export function setEflags(cpu: CpuState, v: number): void {
  cpu.lf.op = 0;
  cpu.eflags = (v & 0x3f7fd5) | 2;
}

/** Condition code cc (0-15: O NO B AE E NE BE A S NS P NP L GE LE G), SDM Vol. 1 Appendix B. */
export function testCC(cpu: CpuState, cc: number): boolean {
  const f = getEflags(cpu);
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = (f & 0x800) !== 0; break;
    case 1: r = (f & 1) !== 0; break;
    case 2: r = (f & 0x40) !== 0; break;
    case 3: r = (f & 0x41) !== 0; break;
    case 4: r = (f & 0x80) !== 0; break;
    case 5: r = (f & 4) !== 0; break;
    case 6: r = ((f >> 7) & 1) !== ((f >> 11) & 1); break;
    default: r = (f & 0x40) !== 0 || ((f >> 7) & 1) !== ((f >> 11) & 1); break;
  }
  return (cc & 1) === 0 ? r : !r;
}
