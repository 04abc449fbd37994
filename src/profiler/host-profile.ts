/**
 * Guest names in host profiles: `node --cpu-prof dist/cli/main.js boot ...` writes a .cpuprofile in
 * which every translated block is a function from the script `x86jit/block_<phys hex>_<mode>.js`
 * (the generated code's `//# sourceURL`, src/jit/emit.ts). This rewrites those frames' names to the
 * guest function (`[guest] memset+0x1e`), so DevTools and speedscope show guest code next to the
 * emulator's own functions.
 *
 *   const p = JSON.parse(readFileSync('CPU.cpuprofile', 'utf8'));
 *   symbolizeHostProfile(p, symbols);                // in place; returns the frames renamed
 *
 * Blocks are keyed by guest-physical address; the symbol table is linear. Kernel code (CPL 0 in
 * the mode key) is mapped through Linux i386's direct map, linear = physical + PAGE_OFFSET
 * (0xc0000000 by default, `physOffset`); user code (CPL 3) is named `[guest user]`.
 */
import type { SymbolTable } from './symbols.js';
import { hex32 } from './symbols.js';

export interface HostCallFrame {
  functionName: string;
  url: string;
  [k: string]: unknown;
}

export interface HostProfile {
  nodes: { callFrame: HostCallFrame; [k: string]: unknown }[];
  [k: string]: unknown;
}

const BLOCK_URL = /x86jit\/block_([0-9a-f]{1,8})(?:_(\d+))?\.js$/;
/** CPL in bits 2-3 of the mode key (src/jit/mode.ts ModeBit.CPL_SHIFT). */
const CPL_SHIFT = 2;

/** Rename the frames of generated blocks to guest symbols; returns how many were renamed. */
export function symbolizeHostProfile(p: HostProfile, symbols: SymbolTable, physOffset = 0xc0000000): number {
  if (!Array.isArray(p.nodes)) throw new Error('not a .cpuprofile (no "nodes" array)');
  let renamed = 0;
  for (const n of p.nodes) {
    const m = BLOCK_URL.exec(n.callFrame?.url ?? '');
    if (m === null) continue;
    const phys = parseInt(m[1], 16);
    const mode = m[2] === undefined ? 0 : Number(m[2]);
    if (((mode >> CPL_SHIFT) & 3) === 3) n.callFrame.functionName = `[guest user] phys ${hex32(phys)}`;
    else {
      const lin = (phys + physOffset) >>> 0;
      const name = symbols.indexOf(lin) >= 0 ? symbols.format(lin) : hex32(lin);
      n.callFrame.functionName = `[guest] ${name}`;
    }
    renamed++;
  }
  return renamed;
}
