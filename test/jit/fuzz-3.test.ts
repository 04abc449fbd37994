// Part 3 of the interpreter-vs-JIT fuzz (fuzz-suite.ts).
import { fuzzPart } from './fuzz-suite.js';

fuzzPart(2, 3);
