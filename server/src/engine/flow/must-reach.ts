/**
 * "Every path from here reaches X first": the path question behind the rules that report a certainty rather than a
 * possibility (KS1206's dereference of a pointer known NULL, KS1207's read of a variable never written). A search
 * from a start point that fails as soon as one path leaves the function, or meets something that makes the outcome
 * uncertain, and succeeds when every path meets the event.
 *
 * Also the syntax such searches share: statement macros that may leave, and assertions.
 */
import { AstNode, child, descendants, nodeText, TextSource } from '../ast';
import { stripParens } from './cfg-core';
import { opOf } from './paths';
import type { CfgNode } from './cfg';
import type { FunctionFlow } from './function-flow';
import { calleeName } from './taint';

/** Assertions and analysis hints: the author states the value is valid here, which these rules do not argue with. */
export const ASSERTION = /assert|assume|verify/i;
/** Statement macros that only log or mark: they cannot leave the function. */
const INERT_MACRO = /PRINT|TRACE|LOG|DBG|DPF|UNREFERENCED|PAGED_CODE|ASSERT|VERIFY/;

/**
 * `BAIL_ON_FAILURE(status);`, `HLPR_BAIL;`: a statement that is one call or one name in capitals is a macro, and
 * may `goto` or `return` (an expression inside a larger one cannot).
 */
export function mayLeave(n: AstNode, name: string): boolean {
  let up = n;
  while (up.parent?.type === 'parenthesized_expression') up = up.parent;
  return up.parent?.type === 'expression_statement' && /^[A-Z_][A-Z0-9_]*$/.test(name) && !INERT_MACRO.test(name);
}

/** The call is an assertion (or analysis hint) that mentions `name`. */
export function asserts(src: TextSource, call: AstNode, callee: string, name: string): boolean {
  return ASSERTION.test(callee) && descendants(call, 'identifier').some((i) => nodeText(src, i) === name);
}

/** The condition is part of an assertion's expression (`NT_ASSERT(p != NULL)`), not a test the code acts on. */
export function insideAssertion(src: TextSource, n: AstNode): boolean {
  for (let up = n.parent; up; up = up.parent) {
    if (up.type === 'call_expression' && ASSERTION.test(calleeName(src, up) ?? '')) return true;
    if (up.type === 'expression_statement' || up.type === 'compound_statement') return false;
  }
  return false;
}

const NEGATED: Readonly<Record<string, string>> = { '<': '>=', '>=': '<', '>': '<=', '<=': '>', '==': '!=', '!=': '==' };
const MIRRORED: Readonly<Record<string, string>> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' };

/** What an assumed atomic condition says, as `left op right` with the operands in a fixed order, or a truth value of a name. */
function assumedFact(src: TextSource, n: CfgNode): string | undefined {
  const c = n.ast && stripParens(n.ast);
  if (!c) return undefined;
  const op = c.type === 'binary_expression' ? opOf(src, c) : '';
  const l = child(c, 'left');
  const r = child(c, 'right');
  if (!NEGATED[op] || !l || !r) return `${nodeText(src, c).replace(/\s+/g, '')} is ${n.polarity}`;
  let [a, b, o] = [nodeText(src, l).replace(/\s+/g, ''), nodeText(src, r).replace(/\s+/g, ''), n.polarity ? op : NEGATED[op]];
  if (a > b) [a, b, o] = [b, a, MIRRORED[o]];
  return `${a} ${o} ${b}`;
}

/** The negation of a fact from `assumedFact`. */
function negatedFact(fact: string): string {
  if (fact.endsWith(' is true')) return fact.replace(/ is true$/, ' is false');
  if (fact.endsWith(' is false')) return fact.replace(/ is false$/, ' is true');
  const [a, o, b] = fact.split(' ');
  return `${a} ${NEGATED[o]} ${b}`;
}

/** Each flow's assumed facts by node, computed once (KS1206 and KS1207 ask about the same branches). */
const factsByFlow = new WeakMap<FunctionFlow, Map<number, string | undefined>>();

/**
 * A branch that a dominating branch has already ruled out: the `else` of `else if (a < b)` after `if (a >= b)`
 * returned. Searches from such a branch would start from a point that never runs.
 */
export function contradictsDominating(flow: FunctionFlow, assume: CfgNode): boolean {
  let facts = factsByFlow.get(flow);
  if (!facts) factsByFlow.set(flow, (facts = new Map()));
  const factOf = (n: CfgNode): string | undefined => {
    if (!facts!.has(n.id)) facts!.set(n.id, assumedFact(flow.file.source, n));
    return facts!.get(n.id);
  };
  const fact = factOf(assume);
  if (!fact) return false;
  const not = negatedFact(fact);
  const idom = flow.dominators.idom;
  for (let d = idom[assume.id]; d >= 0; d = idom[d]) {
    const n = flow.cfg.nodes[d];
    if (n.kind === 'assume' && factOf(n) === not) return true;
  }
  return false;
}

/** Handler entries of `__except` and `catch` clauses: edges into them are exceptions, not normal paths. */
export function handlerEntries(flow: FunctionFlow): ReadonlySet<number> {
  const out = new Set<number>();
  const inHandler = (n: CfgNode): boolean => {
    for (let up = n.ast?.parent; up; up = up.parent) if (up.type === 'seh_except_clause' || up.type === 'catch_clause') return true;
    return false;
  };
  for (const n of flow.cfg.nodes) {
    if (n.kind !== 'join' || n.ast || !n.succs.length) continue;
    if (n.succs.every((s) => inHandler(flow.cfg.nodes[s]))) out.add(n.id);
  }
  return out;
}

export interface MustReachQuery {
  /**
   * What the part of `root` that CFG node `owner` evaluates after offset `after` does first: the event searched for
   * (its node), `'stop'` when the outcome becomes uncertain, or undefined when it does nothing that matters.
   */
  step(root: AstNode, after: number, owner: number): AstNode | 'stop' | undefined;
  /** Whether a branch can be taken in the state searched for (`p != NULL` cannot while `p` is NULL). */
  feasible(assume: CfgNode): boolean;
}

/**
 * Follows every path from `start` (the part of it after `after`; -1 for all of it) and returns the earliest event
 * if every path meets one; undefined if a path reaches the function's exit or a `'stop'` first. Exception edges
 * into handlers are not followed.
 */
export function mustReach(flow: FunctionFlow, start: CfgNode, after: number, q: MustReachQuery, handlers: ReadonlySet<number>): AstNode | undefined {
  const seen = new Set<number>([start.id]);
  const stack: { node: CfgNode; after: number }[] = [{ node: start, after }];
  let first: AstNode | undefined;
  while (stack.length) {
    const { node, after: from } = stack.pop()!;
    if (node.kind === 'exit') return undefined;
    if (node.kind === 'assume' && node.ast && from < 0 && !q.feasible(node)) continue;
    if (node.ast && (node.kind === 'stmt' || node.kind === 'cond')) {
      const ev = q.step(node.ast, from, node.id);
      if (ev === 'stop') return undefined;
      if (ev) {
        if (!first || ev.start < first.start) first = ev;
        continue;
      }
    }
    for (const s of node.succs) {
      if (seen.has(s) || handlers.has(s)) continue;
      seen.add(s);
      stack.push({ node: flow.cfg.nodes[s], after: -1 });
    }
  }
  return first;
}
