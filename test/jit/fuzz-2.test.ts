// Part 2 of the interpreter-vs-JIT fuzz (fuzz-suite.ts).
import { fuzzPart } from './fuzz-suite.js';

fuzzPart(1, 3);
