/**
 * The per-function control-flow graph: statements on top of the expression and condition builder in
 * `cfg-core.ts` (see there for what a node is). Loops, `switch`, `goto`, SEH, C++ `try`, noreturn calls and
 * preprocessor branches.
 */
import { AstNode, child, namedChildren, nodeText, SubtreeMemo, TextSource, walk } from '../ast';
import { Cfg, CfgNode, CfgTooComplex, ExprBuilder } from './cfg-core';
import { isNoReturnCall } from './noreturn';
import { abnormalTest, failureBranch, FailedStatus, failureSetBy } from './seh-status';
import { calleeName } from './taint';

export type { Cfg, CfgNode, CfgNodeKind } from './cfg-core';
export { CfgTooComplex };

interface Targets {
  readonly breakTo: number[] | undefined;
  readonly continueTo: number[] | undefined;
  /** Innermost `switch` node, to which `case` labels are connected. */
  readonly switchNode: number | undefined;
  /** Frontier collector for `__leave`. */
  readonly leaveTo: number[] | undefined;
  /** Inside a `__finally` body: a branch on `AbnormalTermination()` taken when true does not fall through. */
  readonly inFinally?: boolean;
}

class StmtBuilder extends ExprBuilder {
  readonly unmatched = new Map<number, AstNode>();
  private readonly labels = new Map<string, number>();

  private label(name: string): number {
    let id = this.labels.get(name);
    if (id === undefined) {
      id = this.make('join', undefined, true);
      this.labels.set(name, id);
    }
    return id;
  }

  /** Set by `block` just before it builds a `__try` statement: the statement may hand back a `FailedStatus`. */
  private mayDivertFailure = false;
  private failedStatus: FailedStatus | undefined;

  /** Statements of a block in order. Iterative over siblings; recursion only follows nesting. */
  block(stmts: readonly AstNode[], frontier: readonly number[], t: Targets): number[] {
    let f = [...frontier];
    let failed: FailedStatus | undefined;
    for (const s of stmts) {
      if (!s.named || s.type === 'comment') continue;
      if (failed && s.type === 'if_statement') {
        f = this.ifStmt(s, f, t, failed);
        failed = undefined;
        continue;
      }
      if (failed) f = [...f, ...failed.frontier];
      failed = undefined;
      this.mayDivertFailure = s.type === 'seh_try_statement';
      f = this.stmt(s, f, t);
      this.mayDivertFailure = false;
      failed = this.failedStatus;
      this.failedStatus = undefined;
    }
    return failed ? [...f, ...failed.frontier] : f;
  }

  stmt(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    this.enter();
    try {
      return this.stmtInner(s, frontier, t);
    } finally {
      this.depth--;
    }
  }

  private stmtInner(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    switch (s.type) {
      case 'compound_statement':
        return this.block(s.children, frontier, t);
      case 'expression_statement': {
        const e = namedChildren(s).find((c) => c.type !== 'comment');
        if (!e) return [...frontier];
        const out = this.expr(e, frontier);
        this.owner.set(s, out[0]);
        // `try_return(S)`, the file systems' `{ S; goto try_exit; }`.
        if (e.type === 'call_expression' && calleeName(this.src, e) === 'try_return') {
          this.connect(out, this.label('try_exit'));
          return [];
        }
        return isNoReturnCall(this.src, e) ? this.toExit(out) : out;
      }
      case 'if_statement':
        return this.ifStmt(s, frontier, t);
      case 'while_statement':
        return this.whileStmt(s, frontier, t);
      case 'do_statement':
        return this.doStmt(s, frontier, t);
      case 'for_statement':
        return this.forStmt(s, frontier, t);
      case 'for_range_loop': {
        const head = this.join(frontier);
        const decl = this.node('stmt', s, [head]);
        const brk: number[] = [];
        const body = child(s, 'body');
        const end = body ? this.stmt(body, [decl], { ...t, breakTo: brk, continueTo: [head] }) : [decl];
        this.connect(end, head);
        return [head, ...brk];
      }
      case 'switch_statement':
        return this.switchStmt(s, frontier, t);
      case 'case_statement': {
        const id = this.join(frontier);
        if (t.switchNode !== undefined) this.edge(t.switchNode, id);
        const value = child(s, 'value');
        const stmts = s.children.filter((c) => c !== value);
        return this.block(stmts, [id], t);
      }
      case 'labeled_statement': {
        const lbl = child(s, 'label');
        const id = lbl ? this.label(nodeText(this.src, lbl)) : this.make('join', undefined, true);
        this.connect(frontier, id);
        const inner = namedChildren(s).filter((c) => c.field !== 'label');
        return this.block(inner, [id], t);
      }
      case 'goto_statement': {
        const lbl = child(s, 'label');
        const id = this.node('stmt', s, frontier);
        if (lbl) this.edge(id, this.label(nodeText(this.src, lbl)));
        return [];
      }
      case 'return_statement':
      case 'co_return_statement': {
        const e = namedChildren(s).find((c) => c.type !== 'comment');
        const out = e ? this.expr(e, frontier) : [this.node('stmt', s, frontier)];
        if (e) this.owner.set(s, out[0]);
        return this.toExit(out);
      }
      case 'throw_statement': {
        const id = this.node('stmt', s, frontier);
        if (!this.excStack.length) this.edge(id, this.exit);
        return [];
      }
      case 'break_statement': {
        const id = this.node('stmt', s, frontier);
        if (t.breakTo) t.breakTo.push(id);
        return [];
      }
      case 'continue_statement': {
        const id = this.node('stmt', s, frontier);
        if (t.continueTo) for (const c of t.continueTo) this.edge(id, c);
        return [];
      }
      case 'seh_leave_statement': {
        const id = this.node('stmt', s, frontier);
        if (t.leaveTo) t.leaveTo.push(id);
        return [];
      }
      case 'seh_try_statement':
        return this.sehTry(s, frontier, t);
      case 'try_statement':
        return this.cppTry(s, frontier, t);
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef':
      case 'preproc_else':
        return this.preprocBranches(s, frontier, t);
      case 'attributed_statement':
        return this.block(namedChildren(s).filter((c) => c.type !== 'attribute_declaration'), frontier, t);
      case 'comment':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
      case 'empty_statement':
        return [...frontier];
      case 'declaration': {
        const out = this.expr(s, frontier);
        return out;
      }
      default:
        return [this.node('stmt', s, frontier)];
    }
  }

  private toExit(frontier: readonly number[]): number[] {
    this.connect(frontier, this.exit);
    return [];
  }

  private condOf(s: AstNode, frontier: readonly number[]): { t: number[]; f: number[] } {
    const c = child(s, 'condition');
    if (!c) return { t: [...frontier], f: [...frontier] };
    let f = [...frontier];
    // C++ `if (init; cond)`.
    const init = c.type === 'condition_clause' ? child(c, 'initializer') : undefined;
    if (init) f = this.expr(init, f);
    const value = c.type === 'condition_clause' ? child(c, 'value') : c;
    if (!value) return { t: f, f };
    return this.cond(value, f);
  }

  /**
   * With `failed` (a `__try` just before whose handler left a failure status in a variable): when the condition
   * tests that variable with `NT_SUCCESS`, the handler's end goes straight to the branch taken on failure.
   */
  private ifStmt(s: AstNode, frontier: readonly number[], t: Targets, failed?: FailedStatus): number[] {
    const c = child(s, 'condition');
    const onFailure = failed && c ? failureBranch(this.src, c, failed.variable) : undefined;
    const cond = this.condOf(s, failed && onFailure === undefined ? [...frontier, ...failed.frontier] : frontier);
    const yes = onFailure === true ? [...cond.t, ...failed!.frontier] : cond.t;
    const no = onFailure === false ? [...cond.f, ...failed!.frontier] : cond.f;
    const cons = child(s, 'consequence');
    let a = cons ? this.stmt(cons, yes, t) : yes;
    const alt = child(s, 'alternative');
    const altStmts = alt ? (alt.type === 'else_clause' ? alt.children : [alt]) : [];
    let b = alt ? this.block(altStmts, no, t) : no;
    // In a `__finally`, the abnormal branch ends by unwinding on: to an enclosing handler, or out of the function.
    const abnormal = t.inFinally && c ? abnormalTest(this.src, c) : undefined;
    if (abnormal === true) a = this.unwind(a);
    else if (abnormal === false) b = this.unwind(b);
    return [...a, ...b];
  }

  /** An exception that keeps unwinding from `frontier`. */
  private unwind(frontier: readonly number[]): number[] {
    this.connect(frontier, this.excStack.length ? this.excStack[this.excStack.length - 1] : this.exit);
    return [];
  }

  private whileStmt(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    const head = this.join(frontier);
    const { t: yes, f: no } = this.condOf(s, [head]);
    const brk: number[] = [];
    const body = child(s, 'body');
    const end = body ? this.stmt(body, yes, { ...t, breakTo: brk, continueTo: [head] }) : yes;
    this.connect(end, head);
    return [...no, ...brk];
  }

  private doStmt(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    const head = this.join(frontier);
    const contTarget = this.make('join', undefined, true);
    const brk: number[] = [];
    const body = child(s, 'body');
    const end = body ? this.stmt(body, [head], { ...t, breakTo: brk, continueTo: [contTarget] }) : [head];
    this.connect(end, contTarget);
    const { t: yes, f: no } = this.condOf(s, [contTarget]);
    this.connect(yes, head);
    return [...no, ...brk];
  }

  private forStmt(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    let f = [...frontier];
    const init = child(s, 'initializer');
    if (init) f = this.expr(init, f);
    const head = this.join(f);
    const cond = child(s, 'condition');
    const { t: yes, f: no } = cond ? this.cond(cond, [head]) : { t: [head], f: [] as number[] };
    const update = child(s, 'update');
    const contTarget = this.make('join', undefined, true);
    const brk: number[] = [];
    const body = child(s, 'body');
    const end = body ? this.stmt(body, yes, { ...t, breakTo: brk, continueTo: [contTarget] }) : yes;
    this.connect(end, contTarget);
    const after = update ? this.expr(update, [contTarget]) : [contTarget];
    this.connect(after, head);
    return [...no, ...brk];
  }

  private switchStmt(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    const c = child(s, 'condition');
    const value = c && c.type === 'condition_clause' ? child(c, 'value') : c;
    const sw = value ? this.expr(value, frontier)[0] : this.node('stmt', s, frontier);
    const brk: number[] = [];
    const body = child(s, 'body');
    // Cases are reached from the switch node; statements before the first case are unreachable.
    const end = body ? this.block(body.type === 'compound_statement' ? body.children : [body], [], { ...t, breakTo: brk, switchNode: sw }) : [];
    const hasDefault = defaultCase(s) !== undefined;
    if (hasDefault) return [...end, ...brk];
    const none = this.join([sw]);
    this.unmatched.set(none, s);
    return [...end, ...brk, none];
  }

  private sehTry(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    const divert = this.mayDivertFailure;
    this.mayDivertFailure = false;
    const body = child(s, 'body');
    const except = s.children.find((c) => c.type === 'seh_except_clause');
    const fin = s.children.find((c) => c.type === 'seh_finally_clause');
    const start = this.join(frontier);
    const leave: number[] = [];
    let handler: number | undefined;
    if (except) {
      handler = this.make('join', undefined, true);
      this.edge(start, handler);
      this.excStack.push(handler);
    }
    const first = this.nodes.length;
    let end: number[];
    try {
      end = body ? this.stmt(body, [start], { ...t, leaveTo: leave }) : [start];
    } finally {
      if (except) this.excStack.pop();
    }
    if (handler !== undefined) this.linkRaising(handler, first);
    let after = [...end, ...leave];
    if (except && handler !== undefined) {
      const filter = child(except, 'filter');
      const h = filter ? this.expr(filter, [handler]) : [handler];
      const hbody = child(except, 'body');
      const handled = hbody ? this.stmt(hbody, h, t) : h;
      const variable = divert && !fin && hbody ? failureSetBy(this.src, hbody) : undefined;
      if (variable !== undefined) this.failedStatus = { variable, frontier: handled };
      else after = [...after, ...handled];
    }
    if (fin) {
      const fbody = child(fin, 'body');
      after = fbody ? this.stmt(fbody, after, { ...t, inFinally: true }) : after;
    }
    return after;
  }

  private cppTry(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    const body = child(s, 'body');
    const catches = s.children.filter((c) => c.type === 'catch_clause');
    const start = this.join(frontier);
    const handler = this.make('join', undefined, true);
    this.edge(start, handler);
    this.excStack.push(handler);
    const first = this.nodes.length;
    let end: number[];
    try {
      end = body ? this.stmt(body, [start], t) : [start];
    } finally {
      this.excStack.pop();
    }
    this.linkRaising(handler, first);
    const out = [...end];
    for (const c of catches) {
      const params = child(c, 'parameters');
      const h = params ? [this.node('stmt', params, [handler])] : [handler];
      const cbody = child(c, 'body');
      out.push(...(cbody ? this.stmt(cbody, h, t) : h));
    }
    return out;
  }

  /** `#if`/`#ifdef` chains: each branch is an alternative path; without `#else` the code may be skipped. */
  private preprocBranches(s: AstNode, frontier: readonly number[], t: Targets): number[] {
    const out: number[] = [];
    let cur: AstNode | undefined = s;
    let sawElse = false;
    while (cur) {
      const alt: AstNode | undefined = child(cur, 'alternative');
      const stmts = cur.children.filter((c) => c !== alt && c.field !== 'condition' && c.field !== 'name');
      out.push(...this.block(stmts, frontier, t));
      if (cur.type === 'preproc_else') sawElse = true;
      cur = alt;
    }
    if (!sawElse) out.push(...frontier);
    return [...new Set(out)];
  }
}

/**
 * The `default:` of a switch, anywhere in its body outside nested switches: not only among the body's direct
 * children (`LABEL: default:` is a labeled statement holding the case, and the cases after a directive that splits
 * one may be nested in it). Cases at any depth get their edge from the switch (see `case_statement`).
 */
export function defaultCase(sw: AstNode): AstNode | undefined {
  const body = child(sw, 'body');
  let found: AstNode | undefined;
  if (body) {
    walk(body, (n) => {
      if (found || (n !== body && n.type === 'switch_statement')) return false;
      if (n.type === 'case_statement' && !child(n, 'value')) found = n;
      return !found;
    });
  }
  return found;
}

/** Builds the CFG of a function body. Throws `CfgTooComplex` for absurdly deep or large bodies. */
export function buildCfg(src: TextSource, body: AstNode): Cfg {
  return cfgMemo.get(body, '', () => build(src, body));
}

/** A CFG depends on its body alone (and holds nodes and node ids, no offsets): one per body, across edits. */
const cfgMemo = new SubtreeMemo<Cfg>();

function build(src: TextSource, body: AstNode): Cfg {
  const b = new StmtBuilder(src);
  const end = b.stmt(body, [b.entry], { breakTo: undefined, continueTo: undefined, switchNode: undefined, leaveTo: undefined });
  for (const f of end) b.edge(f, b.exit);
  const owner = b.owner;
  const nodes = b.nodes;
  const ownerMemo = new Map<AstNode, CfgNode | null>();
  return {
    nodes,
    entry: b.entry,
    exit: b.exit,
    body,
    unmatched: b.unmatched,
    owns: (ast) => owner.has(ast),
    ownerOf(ast) {
      // Memoised along the walked chain: deep expressions must not make repeated queries quadratic.
      const walked: AstNode[] = [];
      let found: CfgNode | null = null;
      for (let n: AstNode | undefined = ast; n; n = n.parent) {
        const cached = ownerMemo.get(n);
        if (cached !== undefined) {
          found = cached;
          break;
        }
        const id = owner.get(n);
        if (id !== undefined) {
          found = nodes[id];
          break;
        }
        walked.push(n);
        if (n === body) break;
      }
      for (const w of walked) ownerMemo.set(w, found);
      return found ?? undefined;
    },
  };
}
