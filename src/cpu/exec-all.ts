// Registers every handler module with the dispatch table (handlers.ts).
import './exec-int.js';
import './system/index.js';
import './fpu/index.js';
import './sse/index.js';
// Last: the semantic templates replace any hand-written handler of their mnemonics.
import './sem/index.js';
