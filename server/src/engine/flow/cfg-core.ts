/**
 * Per-function control-flow graph over the plain AST.
 *
 * Nodes are evaluation points, not basic blocks: a statement (or the part of one not owned by a nested node), an
 * atomic condition, and one `assume` node per outgoing branch of every condition. `assume` nodes turn "this edge
 * was taken" into ordinary node dominance, so a guard is simply a dominating `assume` whose condition mentions
 * the value. `&&`, `||`, `!` and `?:` are split into separate conditions wherever they occur (also in plain
 * expressions), so `i < n && a[i]` and `i < n ? a[i] : 0` are guarded like an `if`.
 *
 * Preprocessor conditionals inside bodies become alternative paths (no `assume`): a check in `#ifdef A` does not
 * guard code in `#else`, and both branches are analysed.
 */
import { AstNode, child, countDescendants, namedChildren, nodeText, TextSource, walk } from '../ast';

export type CfgNodeKind = 'entry' | 'exit' | 'stmt' | 'cond' | 'assume' | 'join';

export interface CfgNode {
  readonly id: number;
  readonly kind: CfgNodeKind;
  /**
   * `stmt`: the statement or expression evaluated here (minus sub-expressions owned by other nodes);
   * `cond`: the atomic condition evaluated; `assume`: the atomic condition assumed to hold (`polarity` true) or
   * to fail (false). Undefined for entry, exit and joins.
   */
  readonly ast: AstNode | undefined;
  readonly polarity: boolean;
  readonly succs: number[];
  readonly preds: number[];
}

export interface Cfg {
  readonly nodes: readonly CfgNode[];
  readonly entry: number;
  readonly exit: number;
  /** The function body it was built from: offsets kept with a solved flow are taken from its start (see Mut). */
  readonly body: AstNode;
  /**
   * Where a `switch` without `default:` goes when no case matches: a join of its own, by id, with the switch
   * statement (a path through it is a path on which the value matched no case).
   */
  readonly unmatched: ReadonlyMap<number, AstNode>;
  /** The node evaluating `ast` (its nearest owned ancestor-or-self), or undefined outside the body. */
  ownerOf(ast: AstNode): CfgNode | undefined;
  /** True when `ast` is the root of a region some CFG node owns. */
  owns(ast: AstNode): boolean;
}

/** Thrown when a body nests deeper than the builder's bound; callers treat the function as not analysable. */
export class CfgTooComplex extends Error {}

const MAX_DEPTH = 400;
const MAX_NODES = 60000;
/**
 * Effects (calls, assignments, updates) in one statement or condition. Queries about points inside a statement
 * re-apply its effects up to that point, so their cost grows with the square of this number: 10,000 nested calls
 * in one statement took minutes. Real statements stay far below it; long side-effect-free expressions are fine.
 */
const MAX_STATEMENT_EFFECTS = 1000;
const EFFECTS = new Set(['call_expression', 'assignment_expression', 'update_expression']);

function tooManyEffects(ast: AstNode): boolean {
  return countDescendants(ast, EFFECTS) > MAX_STATEMENT_EFFECTS;
}

const SHORT_CIRCUIT_OPS = new Set(['&&', '||', 'and', 'or']);

export function opText(src: TextSource, n: AstNode): string {
  const op = child(n, 'operator');
  return op ? nodeText(src, op) : '';
}

function isShortCircuit(src: TextSource, n: AstNode): boolean {
  return (n.type === 'binary_expression' && SHORT_CIRCUIT_OPS.has(opText(src, n))) || n.type === 'conditional_expression';
}

/** Strips parentheses only (casts change truthiness semantics too little to matter, but keep them visible). */
export function stripParens(n: AstNode): AstNode {
  let c = n;
  while (c.type === 'parenthesized_expression' || c.type === 'condition_clause') {
    if (c.type === 'condition_clause') {
      const v = child(c, 'value');
      if (!v) return c;
      c = v;
      continue;
    }
    const inner = namedChildren(c).filter((x) => x.type !== 'comment');
    if (inner.length !== 1) return c;
    c = inner[0];
  }
  return c;
}

export class ExprBuilder {
  readonly nodes: CfgNode[] = [];
  readonly owner = new Map<AstNode, number>();
  protected readonly excStack: number[] = [];
  /** The innermost handler of each node built inside a `__try` (or C++ `try`) body; see `linkRaising`. */
  private readonly handlerOf = new Map<number, number>();
  protected depth = 0;
  readonly exit: number;
  readonly entry: number;

  constructor(protected readonly src: TextSource) {
    this.entry = this.make('entry', undefined, true);
    this.exit = this.make('exit', undefined, true);
  }

  protected make(kind: CfgNodeKind, ast: AstNode | undefined, polarity: boolean): number {
    if (this.nodes.length >= MAX_NODES) throw new CfgTooComplex('function too large for flow analysis');
    const id = this.nodes.length;
    this.nodes.push({ id, kind, ast, polarity, succs: [], preds: [] });
    // Anything inside a try body may reach the innermost handler: see `linkRaising`.
    if (this.excStack.length && kind !== 'entry' && kind !== 'exit') this.handlerOf.set(id, this.excStack[this.excStack.length - 1]);
    return id;
  }

  /**
   * Connects to `handler` the nodes built for its try body (ids from `first` on) after which something may raise:
   * an exception leaves the raising node before its effects, so the handler receives the state *before* each node
   * that may raise (a call, a dereference, a division), that is after each of its predecessors. A node followed only
   * by nodes that cannot raise (`ExFreePool(p); p = NULL;`: the assignment) passes nothing to the handler, and
   * neither does the last node of the body. The caller links the try statement's own start node.
   */
  protected linkRaising(handler: number, first: number): void {
    const memo = new Map<number, boolean>();
    const raisesNext = (id: number): boolean => this.nodes[id].succs.some((s) => s >= first && this.handlerOf.has(s) && raisesAt(s));
    const raisesAt = (id: number): boolean => {
      let r = memo.get(id);
      if (r === undefined) {
        memo.set(id, false); // cycles through joins
        const n = this.nodes[id];
        r = (n.kind === 'stmt' || n.kind === 'cond') && n.ast ? mayRaise(n.ast) : n.kind !== 'exit' && raisesNext(id);
        memo.set(id, r);
      }
      return r;
    };
    for (let id = first; id < this.nodes.length; id++) if (this.handlerOf.get(id) === handler && raisesNext(id)) this.edge(id, handler);
  }

  edge(from: number, to: number): void {
    const f = this.nodes[from];
    if (f.succs.includes(to)) return;
    f.succs.push(to);
    this.nodes[to].preds.push(from);
  }

  protected connect(frontier: readonly number[], to: number): void {
    for (const f of frontier) this.edge(f, to);
  }

  /** A node evaluating `ast`, after `frontier`. */
  protected node(kind: CfgNodeKind, ast: AstNode | undefined, frontier: readonly number[], polarity = true): number {
    // A range-for's node stands for its head; its body gets nodes of its own.
    const own = ast?.type === 'for_range_loop' ? child(ast, 'right') : ast;
    if (own && (kind === 'stmt' || kind === 'cond') && tooManyEffects(own)) throw new CfgTooComplex('statement with too many effects for flow analysis');
    const id = this.make(kind, ast, polarity);
    this.connect(frontier, id);
    if (ast && (kind === 'stmt' || kind === 'cond') && !this.owner.has(ast)) this.owner.set(ast, id);
    return id;
  }

  protected join(frontier: readonly number[]): number {
    return this.node('join', undefined, frontier);
  }

  protected enter(): void {
    if (++this.depth > MAX_DEPTH) throw new CfgTooComplex('nesting too deep for flow analysis');
  }

  /** Evaluates an expression: its short-circuit parts as conditions, then the rest as one `stmt` node. */
  expr(e: AstNode, frontier: readonly number[]): number[] {
    this.enter();
    try {
      let f = frontier;
      for (const sc of this.shortCircuits(e)) f = this.shortCircuit(sc, f);
      return [this.node('stmt', e, f)];
    } finally {
      this.depth--;
    }
  }

  /** Outermost `&&`/`||`/`?:` sub-expressions of `e` (including `e` itself), in source order; lambdas excluded. */
  protected shortCircuits(e: AstNode): AstNode[] {
    const out: AstNode[] = [];
    const stack: AstNode[] = [e];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.type === 'lambda_expression') continue;
      if (isShortCircuit(this.src, n)) {
        out.push(n);
        continue;
      }
      for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]);
    }
    return out;
  }

  /** `a && b` / `a || b` / `c ? x : y` used as a value: conditions guard the operands they short-circuit. */
  protected shortCircuit(sc: AstNode, frontier: readonly number[]): number[] {
    this.enter();
    try {
      if (sc.type === 'conditional_expression') {
        const cond = child(sc, 'condition');
        const cons = child(sc, 'consequence');
        const alt = child(sc, 'alternative');
        if (!cond) return [...frontier];
        const { t, f } = this.cond(cond, frontier);
        const a = cons ? this.expr(cons, t) : t;
        const b = alt ? this.expr(alt, f) : f;
        return [...a, ...b];
      }
      const left = child(sc, 'left');
      const right = child(sc, 'right');
      if (!left || !right) return [...frontier];
      const { t, f } = this.cond(left, frontier);
      const and = opText(this.src, sc) === '&&' || opText(this.src, sc) === 'and';
      const evalRight = this.expr(right, and ? t : f);
      return [...evalRight, ...(and ? f : t)];
    } finally {
      this.depth--;
    }
  }

  /** A condition: returns the frontiers where it held and where it failed. */
  cond(c: AstNode, frontier: readonly number[]): { t: number[]; f: number[] } {
    this.enter();
    try {
      const e = stripParens(c);
      if (e.type === 'binary_expression' && SHORT_CIRCUIT_OPS.has(opText(this.src, e))) {
        const left = child(e, 'left');
        const right = child(e, 'right');
        if (left && right) {
          const l = this.cond(left, frontier);
          if (opText(this.src, e) === '&&' || opText(this.src, e) === 'and') {
            const r = this.cond(right, l.t);
            return { t: r.t, f: [...l.f, ...r.f] };
          }
          const r = this.cond(right, l.f);
          return { t: [...l.t, ...r.t], f: r.f };
        }
      }
      if (e.type === 'unary_expression' && (opText(this.src, e) === '!' || opText(this.src, e) === 'not')) {
        const arg = child(e, 'argument');
        if (arg) {
          const r = this.cond(arg, frontier);
          return { t: r.f, f: r.t };
        }
      }
      if (e.type === 'comma_expression') {
        const left = child(e, 'left');
        const right = child(e, 'right');
        if (left && right) return this.cond(right, this.expr(left, frontier));
      }
      if (e.type === 'conditional_expression') {
        const test = child(e, 'condition');
        const cons = child(e, 'consequence');
        const alt = child(e, 'alternative');
        if (test && cons && alt) {
          const k = this.cond(test, frontier);
          const a = this.cond(cons, k.t);
          const b = this.cond(alt, k.f);
          return { t: [...a.t, ...b.t], f: [...a.f, ...b.f] };
        }
      }
      let f = [...frontier];
      for (const sc of this.shortCircuits(e)) if (sc !== e) f = this.shortCircuit(sc, f);
      const id = this.node('cond', e, f);
      const t = this.node('assume', e, [id], true);
      const n = this.node('assume', e, [id], false);
      return { t: [t], f: [n] };
    } finally {
      this.depth--;
    }
  }
}

/** Whether evaluating `ast` may raise a structured exception: a call, a dereference or an integer division. */
function mayRaise(ast: AstNode): boolean {
  let found = false;
  walk(ast, (n) => {
    if (found) return false;
    switch (n.type) {
      case 'call_expression':
      case 'subscript_expression':
      case 'throw_statement':
      case 'throw_expression':
        found = true;
        break;
      case 'pointer_expression':
        found = n.children[0]?.type === '*';
        break;
      case 'field_expression':
        found = n.children.some((c) => c.type === '->');
        break;
      case 'binary_expression':
      case 'assignment_expression': {
        const op = child(n, 'operator')?.type;
        found = op === '/' || op === '%' || op === '/=' || op === '%=';
        break;
      }
    }
    return !found;
  });
  return found;
}
