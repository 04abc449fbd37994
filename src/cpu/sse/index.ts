// SSE/SSE2 instruction handlers (a subset: data moves, XOR, MXCSR). Each module registers its
// mnemonics (handlers.ts). CPUID does not advertise SSE/SSE2 (src/hv/cpuid.ts): only these few
// instructions exist, enough for code that uses them without asking (kvm-unit-tests `emulator`).
import './moves.js';
import './logic.js';
import './mxcsr.js';
