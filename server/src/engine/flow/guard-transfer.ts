/**
 * The guard transfer function: what one CFG node does to the guards. A condition (an `assume` node) adds what it
 * proves: comparisons, truth and NULL tests, status tests of a validating call or of a status variable set by one.
 * A statement ends the guards of what it writes, keeps the upper bounds a decrement cannot break, carries guards
 * across copies (`x = p`), remembers status variables and derived sizes, and records the clamp idiom. The guard
 * facts, the state that holds them and the join at merge points are in guards.ts.
 */
import { AstNode, child, nodeText, TextSource } from '../ast';
import type { Cfg, CfgNode } from './cfg';
import { boundsKeptByDecrement, countdownGuard } from './countdown';
import { GuardRel, GuardState, IsSigned, Mut } from './guards';
import { isPathBelow, leavesOf, pathOf, stripCasts } from './paths';
import { declaratorName, declarations, effectNodes } from './solve';
import { callArguments, calleeName } from './taint';

const STATUS_TESTS = new Set(['NT_SUCCESS', 'NT_ERROR', 'NT_WARNING', 'NT_INFORMATION', 'SUCCEEDED', 'FAILED', 'IS_ERR', 'IS_ERR_OR_NULL', 'likely', 'unlikely', 'BooleanFlagOn', 'FlagOn']);

/** Calls that neither write through their pointer arguments nor validate anything. */
const PURE_CALLS: ReadonlySet<string> = new Set(['sizeof', 'RTL_NUMBER_OF', 'ARRAYSIZE', 'ARRAY_SIZE', '_countof', 'FIELD_OFFSET', 'RtlCompareMemory', 'memcmp', 'RtlEqualMemory', 'DbgPrint', 'DbgPrintEx', 'KdPrint', 'KdPrintEx', 'TraceEvents', 'NT_ASSERT', 'ASSERT', 'UNREFERENCED_PARAMETER', 'PAGED_CODE']);

export function isPureCall(name: string): boolean {
  return PURE_CALLS.has(name);
}

/** Which callees write nothing through their arguments beyond the known ones (the file's expression macros). */
export type WritesNothing = (callee: string) => boolean;

const INVERT: Record<string, string> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };
const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };

function opText(src: TextSource, n: AstNode): string {
  const op = child(n, 'operator');
  return op ? nodeText(src, op) : '';
}

/** A zero or null-pointer literal, through casts (`0`, `NULL`, `nullptr`, `(PVOID)0`, ...). */
export function isZeroLiteral(src: TextSource, n: AstNode): boolean {
  const s = stripCasts(n);
  const t = nodeText(src, s);
  return s.type === 'null' || t === '0' || t === 'NULL' || t === 'nullptr' || t === 'FALSE' || t === '0L' || t === '0U' || t === '0UL';
}

/** Paths a validating call speaks for: its arguments' leaves, and `&x` out-arguments as x. */
function callPaths(src: TextSource, call: AstNode): string[] {
  const out: string[] = [];
  for (const a of callArguments(call)) {
    for (const l of leavesOf(src, a)) out.push(l.path.startsWith('&') ? l.path.slice(1) : l.path);
  }
  return out;
}

/** Records what `cond` proves of each leaf of `expr`: `relPlus` for leaves added, `relMinus` for those subtracted (none if undefined). */
function record(m: Mut, src: TextSource, expr: AstNode, cond: AstNode, bound: AstNode | undefined, relPlus: GuardRel | undefined, relMinus: GuardRel): void {
  const boundPaths = bound ? leavesOf(src, bound).map((l) => l.path.replace(/^&/, '')) : undefined;
  for (const leaf of leavesOf(src, expr)) {
    if (leaf.path.startsWith('&')) continue;
    const rel = leaf.sign > 0 ? relPlus : relMinus;
    if (rel === undefined) continue;
    m.add(leaf.path, { id: m.guardId(cond, rel, leaf.path), rel, path: leaf.path, cond, bound, node: leaf.node, boundPaths });
  }
}

function validate(m: Mut, cond: AstNode, paths: readonly string[]): void {
  for (const p of paths) m.add(p, { id: m.guardId(cond, 'validated', p), rel: 'validated', path: p, cond, bound: undefined, node: undefined });
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
    const name = calleeName(src, e);
    const args = callArguments(e);
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
  const name = calleeName(src, call);
  if (!name || PURE_CALLS.has(name)) return;
  validate(m, call, callPaths(src, call));
}

/** `x--`, `--x`, `x -= k`: the kill, keeping the upper bounds a decrement cannot break. */
function decrement(m: Mut, src: TextSource, p: string, signed: IsSigned | undefined): void {
  const keep = boundsKeptByDecrement(src, m.facts, p, !!signed && !p.includes('.') && !p.includes('[') && signed(p));
  m.kill(p);
  for (const g of keep) m.add(p, g);
}

/** Kills and copies performed by a statement or condition. */
function effects(m: Mut, src: TextSource, nodes: readonly AstNode[], signed?: IsSigned, writesNothing?: WritesNothing): void {
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
        const counted = right && op === '=' ? countdownGuard(src, m, n, p, left!, right) : undefined;
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
          const counted = d.value && d.declarator ? countdownGuard(src, m, d.declarator, name, d.declarator, d.value) : undefined;
          m.kill(name);
          if (d.value) copy(m, src, name, d.value);
          if (counted) m.add(name, counted);
        }
        break;
      case 'call_expression': {
        const name = calleeName(src, n);
        if (PURE_CALLS.has(name) || writesNothing?.(name)) break;
        for (const a of callArguments(n)) {
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
  m.add(target, { id: m.guardId(cond, 'upper', target), rel: 'upper', path: target, cond, bound: small, node: leaf });
}

/** Allocators: a NULL result says memory ran out, not that the size arguments were checked. */
const ALLOCATOR_CALLS = /^(ExAllocatePool\w*|ExAllocateFrom\w*LookasideList\w*|MmAllocate\w*|IoAllocate\w*|malloc|calloc|realloc|kmalloc|kzalloc|kcalloc|vmalloc|vzalloc|kvmalloc)$/;

function copy(m: Mut, src: TextSource, target: string, value: AstNode): void {
  const v = stripCasts(value);
  if (v.type === 'call_expression') {
    if (ALLOCATOR_CALLS.test(calleeName(src, v))) return;
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
export function guardTransfer(cfg: Cfg, src: TextSource, node: CfgNode, input: GuardState, record?: (end: number, state: GuardState) => void, signed?: IsSigned, writesNothing?: WritesNothing): GuardState {
  if (node.kind === 'assume' && node.ast) {
    const m = new Mut(input, cfg.body);
    assume(m, src, node.ast, node.polarity);
    return m.version ? m.freeze() : input;
  }
  const nodes = effectNodes(cfg, node);
  if (!nodes.length) return input;
  const m = new Mut(input, cfg.body);
  let recorded = 0;
  for (const n of nodes) {
    effects(m, src, [n], signed, writesNothing);
    if (record && m.version !== recorded) {
      recorded = m.version;
      record(n.end, m.snapshot());
    }
  }
  return m.version ? m.freeze() : input;
}
