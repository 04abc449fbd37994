// x87 instruction handlers (SDM Vol. 1 ch. 8): each module registers its mnemonics (handlers.ts).
import './arith.js';
import './compare.js';
import './control.js';
import './load-store.js';
import './transcend.js';
