/** How a guest stopped, as the API reports it (the machine's RunResult with API names). */
import type { StopKind } from '../hv/exit.js';

export type { StopKind };

export interface StopResult {
  /** Why: 'poweroff', 'reset', 'panic', 'triple-fault', 'debug-exit', 'halt', 'limit', 'quit', 'setup', 'error'. */
  kind: StopKind;
  /** The exit status `x86jit boot` would end with (0 for a clean power-off). */
  exitCode: number;
  /** What happened, in words; for crashes followed by the register dump. */
  message: string;
}

/** Statistics of a machine, at any time. */
export interface MachineStats {
  /** Guest instructions retired. */
  instructions: number;
  /** VM exit counts by reason, one "Reason  count" line each. */
  exits: string[];
  /** The execution engine's statistics lines (the JIT's; none for the interpreter). */
  engine: string[];
}
