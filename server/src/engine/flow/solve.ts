/** Shared machinery for the forward data-flow analyses: a bounded fixpoint solver and the effect walker. */
import { AstNode, child, nodeText, TextSource } from '../ast';
import type { Cfg, CfgNode } from './cfg';

export interface ForwardProblem<S> {
  readonly entry: S;
  transfer(node: CfgNode, input: S): S;
  join(a: S, b: S): S;
  equal(a: S, b: S): boolean;
}

export interface Solution<S> {
  /** State on entry to each node; undefined for nodes not reached. */
  readonly inOf: (S | undefined)[];
  readonly outOf: (S | undefined)[];
  /** False when the pass bound stopped the iteration before a fixpoint. */
  readonly converged: boolean;
}

/**
 * Round-robin iteration in reverse post-order. Predecessors not yet reached are skipped, which is the neutral
 * element for both the may analysis (union with nothing) and the must analysis (intersection with everything).
 */
export function solveForward<S>(cfg: Cfg, rpo: readonly number[], p: ForwardProblem<S>, maxPasses = 24): Solution<S> {
  const n = cfg.nodes.length;
  const inOf: (S | undefined)[] = new Array(n).fill(undefined);
  const outOf: (S | undefined)[] = new Array(n).fill(undefined);
  // Sweeps in reverse post-order, visiting only nodes whose inputs changed since their last visit.
  const dirty = new Uint8Array(n);
  dirty[cfg.entry] = 1;
  let converged = false;
  for (let pass = 0; pass < maxPasses && !converged; pass++) {
    converged = true;
    for (const id of rpo) {
      if (!dirty[id]) continue;
      dirty[id] = 0;
      const node = cfg.nodes[id];
      let input: S | undefined;
      if (id === cfg.entry) input = p.entry;
      else {
        for (const pr of node.preds) {
          const o = outOf[pr];
          if (o === undefined) continue;
          input = input === undefined ? o : p.join(input, o);
        }
      }
      if (input === undefined) continue;
      inOf[id] = input;
      const out = p.transfer(node, input);
      const prev = outOf[id];
      if (prev === undefined || !p.equal(prev, out)) {
        outOf[id] = out;
        for (const s of node.succs) dirty[s] = 1;
        converged = false;
      }
    }
  }
  return { inOf, outOf, converged };
}

const OPAQUE = new Set(['lambda_expression', 'sizeof_expression', 'alignof_expression', 'offsetof_expression', 'string_literal', 'concatenated_string', 'number_literal', 'char_literal', 'comment']);
/** The node types whose evaluation can change a taint or guard state. */
const EFFECT_TYPES = new Set(['assignment_expression', 'update_expression', 'declaration', 'for_range_loop', 'call_expression']);
const effectCache = new WeakMap<Cfg, (AstNode[] | undefined)[]>();

/**
 * The AST nodes whose effects a CFG node performs (assignments, declarations, updates, calls), in evaluation
 * order (post-order, so their end offsets never decrease), excluding regions owned by other CFG nodes. Cached.
 * With `stopAt`, only the effects finished by that offset (those done before the expression there is evaluated).
 */
export function effectNodes(cfg: Cfg, node: CfgNode, stopAt?: number): readonly AstNode[] {
  const all = allEffects(cfg, node);
  if (stopAt === undefined) return all;
  let n = 0;
  while (n < all.length && all[n].end <= stopAt) n++;
  return n === all.length ? all : all.slice(0, n);
}

function allEffects(cfg: Cfg, node: CfgNode): readonly AstNode[] {
  let cache = effectCache.get(cfg);
  if (!cache) {
    cache = new Array(cfg.nodes.length);
    effectCache.set(cfg, cache);
  }
  let out = cache[node.id];
  if (!out) {
    out = computeEffects(cfg, node);
    cache[node.id] = out;
  }
  return out;
}

const NONE: AstNode[] = [];

function computeEffects(cfg: Cfg, node: CfgNode): AstNode[] {
  const ast = node.ast;
  if (!ast || node.kind === 'assume' || node.kind === 'join') return NONE;
  if (ast.type === 'for_range_loop') {
    const roots = ast.children.filter((c) => c.field === 'right');
    return [...postOrder(cfg, roots, ast), ast];
  }
  const out = postOrder(cfg, [ast], ast);
  return out.length ? out : NONE;
}

/**
 * Pushes `n`'s named children on the parallel stacks of a post-order walk, last first, each not yet visited, so
 * that they come off the stack in source order.
 */
export function pushNamedChildren(n: AstNode, nodes: AstNode[], done: boolean[]): void {
  for (let i = n.children.length - 1; i >= 0; i--) {
    if (!n.children[i].named) continue;
    nodes.push(n.children[i]);
    done.push(false);
  }
}

function postOrder(cfg: Cfg, roots: AstNode[], self: AstNode): AstNode[] {
  const out: AstNode[] = [];
  // Two parallel stacks rather than one of `{ node, done }` pairs: this runs for every CFG node of every body.
  const nodes: AstNode[] = [];
  const done: boolean[] = [];
  for (let i = roots.length - 1; i >= 0; i--) {
    nodes.push(roots[i]);
    done.push(false);
  }
  while (nodes.length) {
    const n = nodes.pop()!;
    if (done.pop()) {
      out.push(n);
      continue;
    }
    if (OPAQUE.has(n.type)) continue;
    if (n !== self && cfg.owns(n)) continue;
    if (EFFECT_TYPES.has(n.type)) {
      nodes.push(n);
      done.push(true);
    }
    pushNamedChildren(n, nodes, done);
  }
  return out;
}

/** The declared name of a declarator (`*p`, `a[4]`, `&r`, `x = 1` -> the identifier), or undefined. */
export function declaratorName(src: TextSource, d: AstNode | undefined): string | undefined {
  let n = d;
  for (let guard = 0; n && guard < 32; guard++) {
    if (n.type === 'identifier' || n.type === 'field_identifier') return nodeText(src, n);
    const inner: AstNode | undefined = child(n, 'declarator') ?? n.children.find((c) => c.named && (c.type.endsWith('declarator') || c.type === 'identifier'));
    if (!inner || inner === n) return undefined;
    n = inner;
  }
  return undefined;
}

/** True when a declarator declares a pointer (or reference to one). */
export function declaratorIsPointer(d: AstNode | undefined): boolean {
  for (let n = d; n; n = child(n, 'declarator')) {
    if (n.type === 'pointer_declarator') return true;
    if (n.type === 'identifier' || n.type === 'array_declarator' || n.type === 'function_declarator') return false;
  }
  return false;
}

/** A `static` or `extern` declaration: in a body it names storage that outlives the call, not a local. */
export function isStaticOrExtern(src: TextSource, decl: AstNode): boolean {
  return decl.children.some((c) => c.type === 'storage_class_specifier' && /^(static|extern)$/.test(nodeText(src, c)));
}

/** The declarators of a declaration with their initializers (`T a = x, *b;` -> [a, x], [b, undefined]). */
export function declarations(decl: AstNode): { declarator: AstNode; value: AstNode | undefined }[] {
  const out: { declarator: AstNode; value: AstNode | undefined }[] = [];
  const directValue = child(decl, 'value');
  for (const c of decl.children) {
    if (c.field !== 'declarator') continue;
    if (c.type === 'init_declarator') out.push({ declarator: child(c, 'declarator') ?? c, value: child(c, 'value') });
    else out.push({ declarator: c, value: directValue });
  }
  return out;
}

/** Text of a type node, for heuristics on type names (`PVOID`, `PMY_HEADER`). */
export function typeText(src: TextSource, decl: AstNode): string {
  const t = child(decl, 'type');
  return t ? nodeText(src, t) : '';
}
