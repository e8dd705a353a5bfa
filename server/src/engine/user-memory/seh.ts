/**
 * Where user-memory accesses are safe from faults: inside `__try` (or the `try`/`except` macros), or on paths
 * that only kernel-mode callers reach.
 */
import { AstNode, child, descendants, namedChildren, nodeText, walk } from '../ast';
import type { ParsedFile } from '../parse/parse';
import { calleeName, insideSehTry } from '../syntax';
import { declaredName, operatorOf, pathOf, stripCasts } from './expr';

/**
 * True when `node` runs inside a `__try` body, or inside a block written with the `try`/`except` macros
 * (`#define try __try`, common in NT-style code), which the grammars cannot parse.
 */
export function insideTryBlock(file: ParsedFile, node: AstNode): boolean {
  if (insideSehTry(node)) return true;
  const body = outermostFunction(node);
  if (!body) return false;
  const at = node.start - body.start;
  const end = node.end - body.start;
  return macroTryRegions(file, body).some(([from, to]) => from <= at && end <= to);
}

/**
 * The body of the outermost function around `node`. Error recovery on macro-heavy code nests bogus function
 * definitions inside real ones (`try {` read as a declaration); the outermost one is the real function.
 */
function outermostFunction(node: AstNode): AstNode | undefined {
  let fn: AstNode | undefined;
  for (let p: AstNode | undefined = node; p; p = p.parent) if (p.type === 'function_definition') fn = p;
  return fn && child(fn, 'body');
}

/** Regions per function body, as offsets from the body's start (an editor edit above moves the body). */
const regionCache = new WeakMap<AstNode, [number, number][]>();

/**
 * Spans from a `try` token to the `except` that closes it at the same brace depth (also `__try`/`__except`,
 * whose statement a directive between the block and its handler breaks apart). Error recovery scatters
 * these tokens over ERROR nodes, calls and declarations, so they are paired over the leaf tokens (braces
 * included) rather than the tree's shape. `try ... finally` (and C++ `catch`) handle no SEH exception and
 * give no span. Offsets are from the start of `body`.
 */
function macroTryRegions(file: ParsedFile, body: AstNode): [number, number][] {
  let regions = regionCache.get(body);
  if (regions) return regions;
  regions = [];
  const open: { start: number; depth: number }[] = [];
  let depth = 0;
  walk(body, (n) => {
    if (n.children.length > 0) return;
    const len = n.end - n.start;
    if (len !== 1 && (len < 3 || len > 9)) return;
    const text = nodeText(file.source, n);
    if (text === '{') depth++;
    else if (text === '}') depth--;
    else if ((text === 'try' || text === '__try') && n.type !== 'string_content') open.push({ start: n.end - body.start, depth });
    else if ((text === 'except' || text === 'finally' || text === 'catch' || text === '__except' || text === '__finally') && open.length > 0 && open[open.length - 1].depth === depth) {
      const t = open.pop()!;
      if (text === 'except' || text === '__except') regions!.push([t.start, n.start - body.start]);
    }
  });
  // A `try` whose handler lies past the end of the (recovered) function: the parse is cut short; stay silent.
  for (const t of open) regions.push([t.start, body.end - body.start]);
  regionCache.set(body, regions);
  return regions;
}

/** `Irp->RequestorMode` / `ExGetPreviousMode()` compared with `KernelMode` or `UserMode`: which callers pass. */
export function modeTest(file: ParsedFile, cmp: AstNode): 'kernel' | 'user' | undefined {
  const op = operatorOf(cmp);
  if (cmp.type !== 'binary_expression' || (op !== '==' && op !== '!=')) return undefined;
  const [l, r] = [child(cmp, 'left'), child(cmp, 'right')].map((x) => (x ? stripCasts(x) : undefined));
  const isMode = (x: AstNode | undefined): boolean => !!x && (/(^|\.)RequestorMode$/.test(pathOf(file, x) ?? '') || calleeName(file, x) === 'ExGetPreviousMode');
  const modeName = (x: AstNode | undefined): string | undefined => (x && x.type === 'identifier' ? nodeText(file.source, x) : undefined);
  const name = isMode(l) ? modeName(r) : isMode(r) ? modeName(l) : undefined;
  if (name !== 'KernelMode' && name !== 'UserMode') return undefined;
  return (name === 'KernelMode') === (op === '==') ? 'kernel' : 'user';
}

/**
 * In a condition, the test that holds only for user-mode callers: `Irp->RequestorMode != KernelMode`, or a local
 * given that value once (`BOOLEAN probe = Irp->RequestorMode != KernelMode; ... if (probe)`).
 */
export function userModeTest(file: ParsedFile, body: AstNode, cond: AstNode): AstNode | undefined {
  const direct = descendants(cond, 'binary_expression').find((c) => modeTest(file, c) === 'user');
  const flag = direct ? undefined : stripCasts(cond);
  if (direct || flag?.type !== 'identifier') return direct;
  const name = nodeText(file.source, flag);
  const values: (AstNode | undefined)[] = [];
  for (const n of descendants(body, new Set(['init_declarator', 'assignment_expression', 'update_expression']))) {
    const target = child(n, n.type === 'init_declarator' ? 'declarator' : n.type === 'update_expression' ? 'argument' : 'left');
    if (target && (target.type === 'identifier' ? nodeText(file.source, target) : declaredName(file, target)) === name) values.push(n.type === 'update_expression' ? undefined : child(n, n.type === 'init_declarator' ? 'value' : 'right'));
  }
  const v = values.length === 1 && values[0] ? stripCasts(values[0]) : undefined;
  return v && modeTest(file, v) === 'user' ? flag : undefined;
}

/** The operands of a top-level `||` chain (parentheses stripped). */
function orOperands(cond: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const stack = [cond];
  while (stack.length > 0 && out.length < 64) {
    const e = stripCasts(stack.pop()!);
    const [l, r] = [child(e, 'left'), child(e, 'right')];
    if (e.type === 'binary_expression' && operatorOf(e) === '||' && l && r) stack.push(r, l);
    else out.push(e);
  }
  return out;
}

function alwaysExits(stmt: AstNode | undefined): boolean {
  if (!stmt) return false;
  if (stmt.type === 'return_statement' || stmt.type === 'goto_statement') return true;
  const last = stmt.type === 'compound_statement' ? namedChildren(stmt).filter((c) => c.type !== 'comment').pop() : undefined;
  return !!last && alwaysExits(last);
}

/**
 * True when `node` only runs for kernel-mode callers, who pass kernel addresses: inside
 * `if (Irp->RequestorMode == KernelMode)` (or the `else` of `!=`), or after an early exit such as
 * `if (Irp->RequestorMode != KernelMode || ...) { ...; return ...; }`. `ExGetPreviousMode()` counts too.
 */
export function kernelModeOnly(file: ParsedFile, node: AstNode): boolean {
  for (let n: AstNode = node, p = node.parent; p; n = p, p = p.parent) {
    if (p.type === 'function_definition') return false;
    if (p.type === 'if_statement' && (n.field === 'consequence' || n.field === 'alternative')) {
      const cond = child(p, 'condition');
      const tests = cond ? descendants(cond, 'binary_expression').map((c) => modeTest(file, c)) : [];
      if (tests.includes(n.field === 'consequence' ? 'kernel' : 'user')) return true;
    }
    if (p.type === 'compound_statement') {
      for (let k = n.index - 1; k >= 0; k--) {
        const prev = p.children[k];
        const cond = prev.type === 'if_statement' && !child(prev, 'alternative') ? child(prev, 'condition') : undefined;
        if (cond && alwaysExits(child(prev, 'consequence')) && orOperands(cond).some((c) => modeTest(file, c) === 'user')) return true;
      }
    }
  }
  return false;
}
