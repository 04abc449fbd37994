// acorn, re-exported for the JIT tests (verify mode uses the same parser).
import * as acornModule from 'acorn';
export const acorn = acornModule;
