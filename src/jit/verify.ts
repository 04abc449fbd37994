/**
 * Verify mode (DESIGN.md "JIT"): parse a generated block source with acorn and check that it uses
 * only the documented runtime API (README.md in this folder) and that nothing taken from guest
 * memory appears except as a number literal: no string, regular-expression or template literal,
 * no identifier or property name outside the allow-lists, no computed member access except
 * indexing typed arrays with an expression.
 */
import * as acorn from 'acorn';
import { BLOCK_FACTORY_PARAMS } from './emit.js';

/** Identifiers a generated function may use (parameters, locals, runtime objects). */
const IDENTIFIERS = new Set([
  // factory parameters and block-function parameters
  ...BLOCK_FACTORY_PARAMS, 'Math', 'cpu', 'rt', 'lim', 'pc', 'ib', 'block', 'region', 'e',
  // locals
  'R', 'LF', 'M', 'TR', 'TW', 'CP', 'SB', 'l', 'M8', 'M16', 'M32', 'ic0', 'ie', 'k', 'c', 'a', 'o', 'h', 't', 'u', 'sw', 'fa', 'fb', 'fr', 'fx', 'fo',
  'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7',
  // the exit's next EIP, retired index and code (the epilogue)
  'xe', 'xn', 'xc',
]);
/** H<k> / I<k>: the handler and the decoded instruction of instruction k of the block. */
const PER_INSN = /^([HI](0|[1-9][0-9]{0,3})|q(0|[1-9][0-9]?))$/;

/** Properties a generated function may read or write. */
const PROPERTIES = new Set([
  // Cpu / CpuState
  'regs', 'lf', 'mmu', 'segBase', 'eip', 'insnEip', 'icount', 'eflags', 'readMem', 'writeMem',
  'intrDirty',
  // Math
  'imul', 'clz32', 'floor', 'trunc',
  // LazyFlags
  'op', 'res', 'a', 'b',
  // Mmu software TLB
  'tlbReadS', 'tlbReadU', 'tlbWriteS', 'tlbWriteU',
  // JitRuntime
  'stop', 'codePages', 'u8', 'u16', 'i32', 'movs', 'stos', 'raiseCode',
]);

export class VerifyError extends Error {}

/**
 * Check one generated source (the body given to `new Function`). Throws VerifyError describing
 * the first violation.
 */
export function verifySource(source: string): void {
  let ast: acorn.Node;
  try {
    // The body is wrapped the way `new Function` wraps it, so `return` is legal.
    ast = acorn.parse(`(function (${BLOCK_FACTORY_PARAMS.join(', ')}) {\n${source}\n})`, { ecmaVersion: 2022, sourceType: 'script' });
  } catch (e) {
    throw new VerifyError(`generated source does not parse: ${(e as Error).message}`);
  }
  fnDepth = 0;
  walk(ast, null);
}

function fail(node: acorn.Node, what: string): never {
  throw new VerifyError(`generated source: ${what} at offset ${node.start}`);
}

/** Child fields of each allowed node type (walked explicitly: faster than reflection). */
const CHILDREN: Record<string, readonly string[]> = {
  Program: ['body'],
  ExpressionStatement: ['expression'],
  Literal: [],
  Identifier: [],
  VariableDeclaration: ['declarations'],
  VariableDeclarator: ['id', 'init'],
  ReturnStatement: ['argument'],
  FunctionExpression: ['id', 'params', 'body'],
  BlockStatement: ['body'],
  TryStatement: ['block', 'handler', 'finalizer'],
  CatchClause: ['param', 'body'],
  ThrowStatement: ['argument'],
  ForStatement: ['init', 'test', 'update', 'body'],
  IfStatement: ['test', 'consequent', 'alternate'],
  ContinueStatement: [],
  BreakStatement: [],
  LabeledStatement: ['body'],
  SwitchStatement: ['discriminant', 'cases'],
  SwitchCase: ['test', 'consequent'],
  AssignmentExpression: ['left', 'right'],
  BinaryExpression: ['left', 'right'],
  LogicalExpression: ['left', 'right'],
  UnaryExpression: ['argument'],
  UpdateExpression: ['argument'],
  ConditionalExpression: ['test', 'consequent', 'alternate'],
  CallExpression: ['callee', 'arguments'],
  SequenceExpression: ['expressions'],
  MemberExpression: ['object', 'property'],
};

/** Function nesting depth during a walk (the wrapper is 1, the block function 2). */
let fnDepth = 0;

function walk(node: acorn.Node, parent: acorn.Node | null): void {
  const children = CHILDREN[node.type];
  if (children === undefined) fail(node, `node type ${node.type} not allowed`);
  const n = node as unknown as Record<string, unknown>;
  switch (node.type) {
    case 'Literal': {
      const v = n.value;
      // The one string: the "use strict" directive at the top of the body.
      if (v === 'use strict' && parent !== null && parent.type === 'ExpressionStatement' && n.raw === '"use strict"') return;
      if (typeof v !== 'number' && typeof v !== 'boolean') fail(node, `literal ${String(n.raw)} not a number`);
      return;
    }
    case 'Identifier': {
      const name = n.name as string;
      if (!IDENTIFIERS.has(name) && !PER_INSN.test(name)) fail(node, `identifier ${name} not in the runtime API`);
      return;
    }
    case 'FunctionExpression': {
      // Only the wrapper of the factory body and the block function it returns: no others.
      if (fnDepth >= 2 || (fnDepth === 1 && (parent === null || parent.type !== 'ReturnStatement'))) {
        fail(node, 'nested function not allowed');
      }
      fnDepth++;
      try {
        for (const key of children) {
          const c = n[key];
          if (c === null || c === undefined) continue;
          if (Array.isArray(c)) for (const x of c) walk(x as acorn.Node, node);
          else walk(c as acorn.Node, node);
        }
      } finally {
        fnDepth--;
      }
      return;
    }
    case 'LabeledStatement':
    case 'BreakStatement': {
      // One label: `out`, the block holding the body, left by every exit for the epilogue.
      const label = n.label as { name: string } | null;
      if (label !== null && label.name !== 'out') fail(node, `label ${label.name} not allowed`);
      if (node.type === 'LabeledStatement') walk(n.body as acorn.Node, node);
      return;
    }
    case 'MemberExpression': {
      walk(n.object as acorn.Node, node);
      if (n.computed) walk(n.property as acorn.Node, node);
      else {
        const p = n.property as { type: string; name: string } & acorn.Node;
        if (p.type !== 'Identifier' || !PROPERTIES.has(p.name)) fail(p, `property ${p.name} not in the runtime API`);
      }
      return;
    }
    default:
      break;
  }
  for (const key of children) {
    const c = n[key];
    if (c === null || c === undefined) continue;
    if (Array.isArray(c)) {
      for (const x of c) if (x !== null) walk(x as acorn.Node, node);
    } else walk(c as acorn.Node, node);
  }
}
