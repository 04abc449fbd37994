/**
 * CPU exceptions as a single preallocated sentinel (DESIGN.md "CPU state and flags"): raising a
 * fault stores vector/error code in the CPU and throws `FAULT`, which allocates nothing and captures
 * no stack. The run loop catches it, rewinds EIP to the faulting instruction (faults restart it,
 * SDM Vol. 3 §6.5) and delivers the exception through the IDT.
 */
import type { CpuState } from './state.js';

export const Vec = {
  DE: 0, DB: 1, NMI: 2, BP: 3, OF: 4, BR: 5, UD: 6, NM: 7, DF: 8,
  TS: 10, NP: 11, SS: 12, GP: 13, PF: 14, MF: 16, AC: 17, MC: 18, XM: 19,
} as const;

/** The one object ever thrown for a guest exception. Never an Error: no stack capture. */
export const FAULT = { isGuestFault: true } as const;

export function isFault(e: unknown): boolean {
  return e === FAULT;
}

/** Raise exception `vector` with no error code. */
export function raise(cpu: CpuState, vector: number): never {
  cpu.excVector = vector;
  cpu.excHasCode = false;
  cpu.excCode = 0;
  throw FAULT;
}

/** Raise exception `vector` with error code `code` (#DF, #TS, #NP, #SS, #GP, #PF, #AC). */
export function raiseCode(cpu: CpuState, vector: number, code: number): never {
  cpu.excVector = vector;
  cpu.excHasCode = true;
  cpu.excCode = code;
  throw FAULT;
}
