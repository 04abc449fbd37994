// Part 1 of the interpreter-vs-JIT fuzz (fuzz-suite.ts).
import { fuzzPart } from './fuzz-suite.js';

fuzzPart(0, 3);
