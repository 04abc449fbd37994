// Loads every semantic template module (each registers its templates with defSem), then puts the
// templated mnemonics into the interpreter's handler table (interp-gen.ts installTemplates).
import './alu.js';
import './shift.js';
import './muldiv.js';
import './bits.js';
import './move.js';
import './stack.js';
import './misc.js';
import './string.js';
import { installTemplates } from './interp-gen.js';

installTemplates();
