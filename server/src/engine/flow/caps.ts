/**
 * Caps: whether a size is bounded from above by something other than the data it came from (KS1203). Stricter
 * than `FunctionFlow.isBounded`, which also takes an ntintsafe status (no wrap-around) or a comparison with any
 * other value as a bound.
 */
import type { AstNode, TextSource } from '../ast';
import type { FunctionFlow } from './function-flow';
import type { Guard } from './guards';
import { leavesOf } from './paths';
import { isIntSafeCall } from './sources';
import { calleeName } from './taint';

/** An ntintsafe call's status says only that the arithmetic did not wrap, not that the result is small. */
export function intSafe(src: TextSource, n: AstNode): boolean {
  return n.type === 'call_expression' && isIntSafeCall(calleeName(src, n));
}

/**
 * Whether a guard caps its value from above. A comparison with another unchecked value of the same data
 * (`Count <= Hdr->MaxCount`, `Off + Len < Off`) caps nothing; one with a supplied buffer length does (the value
 * then fits in data already received).
 */
function caps(flow: FunctionFlow, src: TextSource, g: Guard): boolean {
  if (g.rel === 'validated') return !intSafe(src, g.cond);
  if (g.rel !== 'upper' && g.rel !== 'eq' && g.rel !== 'zero') return false;
  const bt = g.bound && flow.taint(g.bound);
  return !bt || bt.bounded || (bt.length && !bt.loaded) || flow.isBounded(g.bound!);
}

/** Every untrusted leaf of `expr` has a cap at `at`, or a largest value by construction. */
export function capped(flow: FunctionFlow, src: TextSource, expr: AstNode, at: AstNode): boolean {
  for (const leaf of leavesOf(src, expr)) {
    const lt = flow.taint(leaf.node);
    if (!lt || lt.max !== undefined) continue;
    const gs = flow.guardsOn(leaf.path, at);
    if (gs.some((g) => caps(flow, src, g))) continue;
    // Bounded by construction or by a caller (no guard here to judge), but not by wrap checks alone.
    if (!(lt.bounded && gs.every((g) => !intSafe(src, g.cond)))) return false;
  }
  return true;
}

/** Every leaf of a computed size is compared with a cap at the allocation (`if (Bytes >= MAXUSHORT) fail;`). */
export function resultCapped(flow: FunctionFlow, src: TextSource, expr: AstNode): boolean {
  const leaves = leavesOf(src, expr);
  return leaves.length > 0 && leaves.every((l) => flow.guardsOn(l.path, expr).some((g) => caps(flow, src, g)));
}
