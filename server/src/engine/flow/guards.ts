/**
 * Guards: which comparisons hold at a program point, per access path. A must analysis over the CFG: a guard
 * survives a join only if it holds on every incoming path, and dies when its path (or anything it hangs off) is
 * redefined. Established by `assume` nodes (if/loop/&&/||/?: conditions), validated calls (`NT_SUCCESS(
 * RtlULongAdd(a, b, &c))`, `if (!IsValid(x))`) and status variables checked later (`s = Check(x); if
 * (!NT_SUCCESS(s))`). A copy `x = p` shares guards both ways until either side is redefined.
 */
import { AstNode, child, namedChildren, nodeText, TextSource } from '../ast';
import type { Cfg, CfgNode } from './cfg';
import { boundsKeptByDecrement, countdownGuard } from './countdown';
import { isPathBelow, leavesOf, pathOf, stripCasts } from './paths';
import { declaratorName, declarations, effectNodes } from './solve';

/**
 * What a guard proves about its path's value: `upper` (x < b or x <= b), `lower`, `eq` (x == b), `ne`,
 * `nonzero`/`zero` (truth tests and NULL checks), `validated` (passed to a checking call that succeeded).
 */
export type GuardRel = 'upper' | 'lower' | 'eq' | 'ne' | 'nonzero' | 'zero' | 'validated';

export interface Guard {
  readonly id: string;
  readonly rel: GuardRel;
  /** The path the comparison was written on (an alias of the queried path, or the path itself). */
  readonly path: string;
  /** The atomic condition, or the validating call. */
  readonly cond: AstNode;
  /** The other side of the comparison, when there is one. */
  readonly bound: AstNode | undefined;
  /** The compared expression itself (the leaf inside `cond`), when the guard comes from a comparison. */
  readonly node: AstNode | undefined;
  /** Paths the bound reads: redefining one of them (a loop counter reused later) ends the guard. */
  readonly boundPaths?: readonly string[];
}

/** True when the guard bounds the value from above (or pins it). */
export function provesUpper(g: Guard): boolean {
  return g.rel === 'upper' || g.rel === 'eq' || g.rel === 'zero' || g.rel === 'validated';
}

/** True when the guard is any range comparison or validation (not a mere truth or NULL test). */
export function provesCompared(g: Guard): boolean {
  return g.rel !== 'nonzero' && g.rel !== 'zero' && g.rel !== 'ne';
}

export interface GuardState {
  readonly facts: ReadonlyMap<string, readonly Guard[]>;
  /** `x -> p` after `x = p`: guards on either apply to both. */
  readonly alias: ReadonlyMap<string, string>;
  /** Status variables: `s = Check(a, b)` remembers a and b, validated when s is tested. */
  readonly pending: ReadonlyMap<string, { readonly call: AstNode; readonly paths: readonly string[] }>;
  /** `size = hdr + count * 4` remembers its inputs: an upper bound on `size` bounds `count` too. */
  readonly derived: ReadonlyMap<string, Derived>;
}

interface Derived {
  readonly value: AstNode;
  readonly leaves: readonly { readonly path: string; readonly sign: 1 | -1; readonly node: AstNode }[];
}

export const EMPTY_GUARDS: GuardState = { facts: new Map(), alias: new Map(), pending: new Map(), derived: new Map() };

const STATUS_TESTS = new Set(['NT_SUCCESS', 'NT_ERROR', 'NT_WARNING', 'NT_INFORMATION', 'SUCCEEDED', 'FAILED', 'IS_ERR', 'IS_ERR_OR_NULL', 'likely', 'unlikely', 'BooleanFlagOn', 'FlagOn']);

/** Calls that neither write through their pointer arguments nor validate anything. */
const PURE_CALLS = new Set(['sizeof', 'RTL_NUMBER_OF', 'ARRAYSIZE', 'ARRAY_SIZE', '_countof', 'FIELD_OFFSET', 'RtlCompareMemory', 'memcmp', 'RtlEqualMemory', 'DbgPrint', 'DbgPrintEx', 'KdPrint', 'KdPrintEx', 'TraceEvents', 'NT_ASSERT', 'ASSERT', 'UNREFERENCED_PARAMETER', 'PAGED_CODE']);

const INVERT: Record<string, string> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };
const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

function opText(src: TextSource, n: AstNode): string {
  const op = child(n, 'operator');
  return op ? nodeText(src, op) : '';
}

function isZeroLiteral(src: TextSource, n: AstNode): boolean {
  const s = stripCasts(n);
  const t = nodeText(src, s);
  return s.type === 'null' || t === '0' || t === 'NULL' || t === 'nullptr' || t === 'FALSE' || t === '0L' || t === '0U' || t === '0UL';
}

function calleeOf(src: TextSource, call: AstNode): string {
  const fn = child(call, 'function');
  if (!fn) return '';
  const f = stripCasts(fn);
  if (f.type === 'identifier') return nodeText(src, f);
  if (f.type === 'field_expression') {
    const field = child(f, 'field');
    return field ? nodeText(src, field) : '';
  }
  if (f.type === 'qualified_identifier') return nodeText(src, f).split('::').pop() ?? '';
  return '';
}

function argsOf(call: AstNode): AstNode[] {
  const a = child(call, 'arguments');
  return a ? namedChildren(a).filter((c) => c.type !== 'comment') : [];
}

/** Paths a validating call speaks for: its arguments' leaves, and `&x` out-arguments as x. */
function callPaths(src: TextSource, call: AstNode): string[] {
  const out: string[] = [];
  for (const a of argsOf(call)) {
    for (const l of leavesOf(src, a)) out.push(l.path.startsWith('&') ? l.path.slice(1) : l.path);
  }
  return out;
}

class Mut {
  facts: Map<string, readonly Guard[]>;
  alias: Map<string, string>;
  pending: Map<string, { call: AstNode; paths: readonly string[] }>;
  derived: Map<string, Derived>;
  /** Bumped on every change, so snapshots are taken only after changes. */
  version = 0;
  /** Which maps this object has copied and may change (bits: facts 1, alias 2, pending 4, derived 8). */
  private owned = 0;
  constructor(s: GuardState) {
    this.facts = s.facts as Map<string, readonly Guard[]>;
    this.alias = s.alias as Map<string, string>;
    this.pending = s.pending as Map<string, { call: AstNode; paths: readonly string[] }>;
    this.derived = s.derived as Map<string, Derived>;
  }
  /**
   * Copy on first write, map by map: most statements change no guard, and most that do change one map. The maps
   * of the input state, and of any snapshot handed out, are shared until then.
   */
  ownFacts(): Map<string, readonly Guard[]> {
    return (this.facts = this.writable(1, this.facts));
  }
  ownAlias(): Map<string, string> {
    return (this.alias = this.writable(2, this.alias));
  }
  ownPending(): Map<string, { call: AstNode; paths: readonly string[] }> {
    return (this.pending = this.writable(4, this.pending));
  }
  ownDerived(): Map<string, Derived> {
    return (this.derived = this.writable(8, this.derived));
  }
  /** `map` itself if this object owns it (bit `bit`), else a copy it now owns. */
  private writable<K, V>(bit: number, map: Map<K, V>): Map<K, V> {
    if (this.owned & bit) return map;
    this.owned |= bit;
    return new Map(map);
  }
  freeze(): GuardState {
    return { facts: this.facts, alias: this.alias, pending: this.pending, derived: this.derived };
  }
  /** The state as it is now; later changes copy the maps they touch first (nothing is copied here). */
  snapshot(): GuardState {
    this.owned = 0;
    return this.freeze();
  }
  add(path: string, g: Guard): void {
    const d = this.derived.get(path);
    if (d && (g.rel === 'upper' || g.rel === 'eq' || g.rel === 'validated')) {
      for (const l of d.leaves) {
        const rel: GuardRel = g.rel === 'validated' ? 'validated' : l.sign > 0 ? 'upper' : 'lower';
        this.addOne(l.path, { ...g, id: `${g.id}>${l.path}`, rel, path: l.path, node: l.node });
      }
    }
    this.addOne(path, g);
  }
  /** Adds `g` to `path`, to what `path` aliases, and to what aliases `path` (each once, in that order). */
  private addOne(path: string, g: Guard): void {
    this.addTo(path, g);
    const a = this.alias.get(path);
    if (a && a !== path) this.addTo(a, g);
    this.alias.forEach((v, k) => {
      if (v === path && k !== path && k !== a) this.addTo(k, g);
    });
  }
  private addTo(path: string, g: Guard): void {
    const list = this.facts.get(path) ?? [];
    if (!list.some((x) => x.id === g.id)) {
      this.ownFacts().set(path, [...list, g]);
      this.version++;
    }
  }
  kill(path: string): void {
    const hit = (k: string): boolean => isPathBelow(k, path);
    const stale = (g: Guard): boolean => !!g.boundPaths && g.boundPaths.some(hit);
    let any = false;
    for (const [k, list] of this.facts) {
      if (!hit(k) && !list.some(stale)) continue;
      const facts = this.ownFacts();
      if (hit(k)) facts.delete(k);
      else {
        const keep = list.filter((g) => !stale(g));
        if (keep.length) facts.set(k, keep);
        else facts.delete(k);
      }
      any = true;
    }
    for (const [k, v] of this.alias) {
      if (hit(k) || hit(v)) {
        this.ownAlias().delete(k);
        any = true;
      }
    }
    for (const k of this.pending.keys()) {
      if (hit(k)) {
        this.ownPending().delete(k);
        any = true;
      }
    }
    for (const [k, d] of this.derived) {
      if (hit(k) || d.leaves.some((l) => hit(l.path))) {
        this.ownDerived().delete(k);
        any = true;
      }
    }
    if (any) this.version++;
  }
}

/** Records what `cond` proves of each leaf of `expr`: `relPlus` for leaves added, `relMinus` for those subtracted (none if undefined). */
function record(m: Mut, src: TextSource, expr: AstNode, cond: AstNode, bound: AstNode | undefined, relPlus: GuardRel | undefined, relMinus: GuardRel): void {
  const boundPaths = bound ? leavesOf(src, bound).map((l) => l.path.replace(/^&/, '')) : undefined;
  for (const leaf of leavesOf(src, expr)) {
    if (leaf.path.startsWith('&')) continue;
    const rel = leaf.sign > 0 ? relPlus : relMinus;
    if (rel === undefined) continue;
    m.add(leaf.path, { id: `${cond.start}:${cond.end}:${rel}:${leaf.path}`, rel, path: leaf.path, cond, bound, node: leaf.node, boundPaths });
  }
}

function validate(m: Mut, cond: AstNode, paths: readonly string[]): void {
  for (const p of paths) m.add(p, { id: `${cond.start}:${cond.end}:validated:${p}`, rel: 'validated', path: p, cond, bound: undefined, node: undefined });
}

/** Adds what an atomic condition proves when it evaluated to `polarity`. */
function assume(m: Mut, src: TextSource, condNode: AstNode, polarity: boolean): void {
  let e = stripCasts(condNode);
  let pol = polarity;
  for (let guard = 0; guard < 16 && e.type === 'unary_expression' && (opText(src, e) === '!' || opText(src, e) === 'not'); guard++) {
    const arg = child(e, 'argument');
    if (!arg) break;
    e = stripCasts(arg);
    pol = !pol;
  }
  if (e.type === 'binary_expression') {
    let op = opText(src, e);
    const l = child(e, 'left');
    const r = child(e, 'right');
    if (!l || !r || !(op in INVERT)) return;
    for (const side of [l, r]) {
      const s = stripCasts(side);
      const p = pathOf(src, s);
      const pend = p !== undefined ? m.pending.get(p) : undefined;
      if (pend) validate(m, pend.call, pend.paths);
      if (s.type === 'call_expression') validateCall(m, src, s);
    }
    if (!pol) op = INVERT[op];
    // Normalise to `l op r`, then express as facts on each side.
    const lZero = isZeroLiteral(src, l);
    const rZero = isZeroLiteral(src, r);
    const one = (x: AstNode, other: AstNode, o: string, otherZero: boolean): void => {
      if (o === '<' || o === '<=') record(m, src, x, e, other, 'upper', 'lower');
      // `x >= 0` says nothing of x (it always holds for an unsigned x); `x > 0` that it is non-zero.
      else if (o === '>' || o === '>=') record(m, src, x, e, other, otherZero ? (o === '>' ? 'nonzero' : undefined) : 'lower', 'upper');
      else if (o === '==') record(m, src, x, e, other, otherZero ? 'zero' : 'eq', otherZero ? 'zero' : 'eq');
      else if (o === '!=') record(m, src, x, e, other, otherZero ? 'nonzero' : 'ne', otherZero ? 'nonzero' : 'ne');
    };
    one(l, r, op, rZero);
    one(r, l, FLIP[op], lZero);
    return;
  }
  if (e.type === 'call_expression') {
    const name = calleeOf(src, e);
    const args = argsOf(e);
    if (STATUS_TESTS.has(name) && args.length === 1) {
      const a = stripCasts(args[0]);
      if (a.type === 'call_expression') validateCall(m, src, a);
      const p = pathOf(src, a);
      const pend = p !== undefined ? m.pending.get(p) : undefined;
      if (pend) validate(m, pend.call, pend.paths);
      return;
    }
    validateCall(m, src, e);
    return;
  }
  if (e.type === 'assignment_expression') {
    const left = child(e, 'left');
    if (left) record(m, src, left, e, undefined, pol ? 'nonzero' : 'zero', pol ? 'nonzero' : 'zero');
    return;
  }
  const p = pathOf(src, e);
  if (p !== undefined) {
    const pend = m.pending.get(p);
    if (pend) validate(m, pend.call, pend.paths);
    record(m, src, e, e, undefined, pol ? 'nonzero' : 'zero', pol ? 'nonzero' : 'zero');
  }
}

function validateCall(m: Mut, src: TextSource, call: AstNode): void {
  const name = calleeOf(src, call);
  if (!name || PURE_CALLS.has(name)) return;
  validate(m, call, callPaths(src, call));
}

/** Whether a name is a signed integer in the function (its decrement cannot wrap). */
export type IsSigned = (name: string) => boolean;

/** `x--`, `--x`, `x -= k`: the kill, keeping the upper bounds a decrement cannot break. */
function decrement(m: Mut, src: TextSource, p: string, signed: IsSigned | undefined): void {
  const keep = boundsKeptByDecrement(src, m.facts, p, !!signed && !p.includes('.') && !p.includes('[') && signed(p));
  m.kill(p);
  for (const g of keep) m.add(p, g);
}

/** Kills and copies performed by a statement or condition. */
function effects(m: Mut, src: TextSource, nodes: readonly AstNode[], signed?: IsSigned): void {
  for (const n of nodes) {
    switch (n.type) {
      case 'assignment_expression': {
        const left = child(n, 'left');
        const p = left && pathOf(src, left);
        if (!p) break;
        const right = child(n, 'right');
        const op = opText(src, n);
        if (op === '-=' && right && /^[1-9][0-9]*[uUlL]*$/.test(nodeText(src, stripCasts(right)))) {
          decrement(m, src, p, signed);
          break;
        }
        const counted = right && op === '=' ? countdownGuard(src, m.facts, n, p, left!, right) : undefined;
        m.kill(p);
        if (right && op === '=') {
          copy(m, src, p, right);
          clamp(m, src, n, p, right);
          if (counted) m.add(p, counted);
        }
        break;
      }
      case 'update_expression': {
        const arg = child(n, 'argument');
        const p = arg && pathOf(src, arg);
        if (p && opText(src, n) === '--') decrement(m, src, p, signed);
        else if (p) m.kill(p);
        break;
      }
      case 'declaration':
      case 'for_range_loop':
        for (const d of n.type === 'declaration' ? declarations(n) : [{ declarator: child(n, 'declarator'), value: undefined }]) {
          const name = declaratorName(src, d.declarator);
          if (!name) continue;
          const counted = d.value && d.declarator ? countdownGuard(src, m.facts, d.declarator, name, d.declarator, d.value) : undefined;
          m.kill(name);
          if (d.value) copy(m, src, name, d.value);
          if (counted) m.add(name, counted);
        }
        break;
      case 'call_expression': {
        const name = calleeOf(src, n);
        if (PURE_CALLS.has(name)) break;
        for (const a of argsOf(n)) {
          const s = stripCasts(a);
          if (s.type === 'pointer_expression' && nodeText(src, s).startsWith('&')) {
            const inner = child(s, 'argument');
            const p = inner && pathOf(src, inner);
            if (p) m.kill(p);
          }
        }
        break;
      }
      default:
        break;
    }
  }
}

/**
 * The clamp idiom `if (x > y) x = y;` (also `>=`, `y < x`, `y <= x`, and with other statements beside the
 * assignment or an `else`: `if (x >= y) { x = y; s = OK; } else s = SHORT;`): after the assignment `x <= y`
 * holds, recorded under the same id as the fact the untaken branch proves, so that it survives the join. A later
 * assignment to `x` in either branch kills the fact as usual.
 */
function clamp(m: Mut, src: TextSource, assign: AstNode, target: string, value: AstNode): void {
  let stmt = assign.parent;
  if (stmt?.type !== 'expression_statement') return;
  let up = stmt.parent;
  if (up?.type === 'compound_statement') {
    stmt = up;
    up = up.parent;
  }
  if (up?.type !== 'if_statement' || stmt.field !== 'consequence') return;
  const condition = child(up, 'condition');
  const cond = condition && stripCasts(condition);
  if (cond?.type !== 'binary_expression') return;
  const l = child(cond, 'left');
  const r = child(cond, 'right');
  const op = opText(src, cond);
  if (!l || !r) return;
  const [big, small] = op === '>' || op === '>=' ? [l, r] : op === '<' || op === '<=' ? [r, l] : [];
  if (!big || !small || pathOf(src, stripCasts(big)) !== target) return;
  if (nodeText(src, stripCasts(small)).replace(/\s+/g, '') !== nodeText(src, stripCasts(value)).replace(/\s+/g, '')) return;
  const leaf = stripCasts(big);
  m.add(target, { id: `${cond.start}:${cond.end}:upper:${target}`, rel: 'upper', path: target, cond, bound: small, node: leaf });
}

/** Allocators: a NULL result says memory ran out, not that the size arguments were checked. */
const ALLOCATOR_CALLS = /^(ExAllocatePool\w*|ExAllocateFrom\w*LookasideList\w*|MmAllocate\w*|IoAllocate\w*|malloc|calloc|realloc|kmalloc|kzalloc|kcalloc|vmalloc|vzalloc|kvmalloc)$/;

function copy(m: Mut, src: TextSource, target: string, value: AstNode): void {
  const v = stripCasts(value);
  if (v.type === 'call_expression') {
    if (ALLOCATOR_CALLS.test(calleeOf(src, v))) return;
    const paths = callPaths(src, v);
    if (paths.length) {
      m.ownPending().set(target, { call: v, paths });
      m.version++;
    }
    return;
  }
  const p = pathOf(src, v);
  if (p === undefined) {
    const leaves = leavesOf(src, v).filter((l) => !l.path.startsWith('&') && !isPathBelow(l.path, target) && !l.path.includes('['));
    if (leaves.length && leaves.length <= 8) {
      m.ownDerived().set(target, { value: v, leaves: leaves.map((l) => ({ path: l.path, sign: l.sign, node: l.node })) });
      m.version++;
    }
    return;
  }
  // Subscripts collapse to `[]`, so `p[0]` and `p[1]` share a path: never alias through one.
  if (p === target || isPathBelow(p, target) || p.includes('[')) return;
  m.ownAlias().set(target, p);
  m.version++;
  for (const g of m.facts.get(p) ?? []) {
    const list = m.facts.get(target) ?? [];
    if (!list.some((x) => x.id === g.id)) m.ownFacts().set(target, [...list, g]);
  }
}

/**
 * The guard transfer function. `record` receives a snapshot after each effect that may have changed the state,
 * with the effect's end offset (queries inside a statement use the last snapshot before them).
 */
export function guardTransfer(cfg: Cfg, src: TextSource, node: CfgNode, input: GuardState, record?: (end: number, state: GuardState) => void, signed?: IsSigned): GuardState {
  if (node.kind === 'assume' && node.ast) {
    const m = new Mut(input);
    assume(m, src, node.ast, node.polarity);
    return m.version ? m.freeze() : input;
  }
  const nodes = effectNodes(cfg, node);
  if (!nodes.length) return input;
  const m = new Mut(input);
  let recorded = 0;
  for (const n of nodes) {
    effects(m, src, [n], signed);
    if (record && m.version !== recorded) {
      recorded = m.version;
      record(n.end, m.snapshot());
    }
  }
  return m.version ? m.freeze() : input;
}

export function guardJoin(a: GuardState, b: GuardState): GuardState {
  if (a === b) return a;
  const facts = new Map<string, readonly Guard[]>();
  for (const [k, list] of a.facts) {
    const other = b.facts.get(k);
    if (!other) continue;
    const keep = list.filter((g) => other.some((o) => o.id === g.id));
    if (keep.length) facts.set(k, keep);
  }
  const alias = new Map<string, string>();
  for (const [k, v] of a.alias) if (b.alias.get(k) === v) alias.set(k, v);
  const pending = new Map<string, { call: AstNode; paths: readonly string[] }>();
  for (const [k, v] of a.pending) if (b.pending.get(k)?.call === v.call) pending.set(k, v);
  const derived = new Map<string, Derived>();
  for (const [k, v] of a.derived) if (b.derived.get(k)?.value === v.value) derived.set(k, v);
  return { facts, alias, pending, derived };
}

export function guardEqual(a: GuardState, b: GuardState): boolean {
  if (a === b) return true;
  if (a.facts.size !== b.facts.size || a.alias.size !== b.alias.size || a.pending.size !== b.pending.size || a.derived.size !== b.derived.size) return false;
  for (const [k, v] of a.derived) if (b.derived.get(k)?.value !== v.value) return false;
  for (const [k, list] of a.facts) {
    const other = b.facts.get(k);
    if (!other || other.length !== list.length || list.some((g) => !other.some((o) => o.id === g.id))) return false;
  }
  for (const [k, v] of a.alias) if (b.alias.get(k) !== v) return false;
  for (const [k, v] of a.pending) if (b.pending.get(k)?.call !== v.call) return false;
  return true;
}
