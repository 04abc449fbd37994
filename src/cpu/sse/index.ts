// SSE/SSE2 instruction handlers (a subset: data moves, XOR, MXCSR) and EMMS. Each module registers
// its mnemonics (handlers.ts). CPUID advertises none of SSE/SSE2/MMX (src/hv/cpuid.ts): only these
// few instructions exist, enough for code that uses them without asking (kvm-unit-tests `emulator`).
import './moves.js';
import './logic.js';
import './mxcsr.js';
import './mmx.js';
