// Integer instruction handlers: each exec-*.ts registers its mnemonics (handlers.ts). Owned by the integer interpreter.
import './exec-bcd.js';
import './exec-stack.js';
import './exec-branch.js';
import './exec-string.js';
import './exec-misc.js';
