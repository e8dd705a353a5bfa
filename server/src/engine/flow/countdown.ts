/**
 * Counting down from a count: `for (i = n - 1; i >= 0; i--)`. After `i = n - 1` with n known non-zero, i < n
 * (an upper-bound guard on i, ended when n changes). A decrement keeps i's upper bounds when it cannot wrap: i is
 * a signed integer, or i is known non-zero just before it. An unsigned i tested only with `i >= 0` keeps nothing
 * (that loop never ends and indexes with a wrapped value).
 */
import { AstNode, child, nodeText, TextSource } from '../ast';
import type { Guard, Mut } from './guards';
import { isPathBelow, pathOf, stripCasts } from './paths';

function opOf(src: TextSource, n: AstNode): string {
  const op = child(n, 'operator');
  return op ? nodeText(src, op) : '';
}

/** A non-zero guard that excludes 0 itself (`n != 0`, `n > 0`, `if (n)`), not the `n >= 0` form that also gives one. */
export function strictlyNonZero(src: TextSource, g: Guard): boolean {
  if (g.rel !== 'nonzero') return false;
  const c = stripCasts(g.cond);
  if (c.type !== 'binary_expression') return true;
  const op = opOf(src, c);
  if (op === '==' || op === '!=') return true;
  const left = child(c, 'left');
  const onLeft = !!g.node && !!left && g.node.start >= left.start && g.node.end <= left.end;
  // With the compared value on the left, the guard came from `x > 0` or a false `x <= 0`; on the right, mirrored.
  return onLeft ? op === '>' || op === '<=' : op === '<' || op === '>=';
}

/** `target = n - 1` (or a declaration with that value) where n is known non-zero: the guard `target < n`. */
export function countdownGuard(src: TextSource, m: Mut, at: AstNode, target: string, targetNode: AstNode, value: AstNode): Guard | undefined {
  const v = stripCasts(value);
  if (v.type !== 'binary_expression' || opOf(src, v) !== '-') return undefined;
  const r = child(v, 'right');
  const l = child(v, 'left');
  if (!r || !l || nodeText(src, stripCasts(r)).replace(/[uUlL]+$/, '') !== '1') return undefined;
  const n = stripCasts(l);
  const p = pathOf(src, n);
  if (!p || p.includes('[') || isPathBelow(p, target) || isPathBelow(target, p)) return undefined;
  if (!(m.facts.get(p) ?? []).some((g) => strictlyNonZero(src, g))) return undefined;
  return { id: m.guardId(at, 'upper', target), rel: 'upper', path: target, cond: at, bound: n, node: targetNode, boundPaths: [p] };
}

/** The upper bounds of `path` that survive `path--` (or `path -= k`), given whether the name is a signed integer. */
export function boundsKeptByDecrement(src: TextSource, facts: ReadonlyMap<string, readonly Guard[]>, path: string, signed: boolean): Guard[] {
  const list = facts.get(path) ?? [];
  if (!signed && !list.some((g) => strictlyNonZero(src, g))) return [];
  return list.filter((g) => g.rel === 'upper' && g.path === path);
}
