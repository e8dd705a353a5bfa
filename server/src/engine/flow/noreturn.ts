/** Calls that never return (control leaves the function, or unwinds to a handler). */
import { AstNode, child, namedChildren, nodeText, TextSource } from '../ast';

/** Calls that never return; code after them is unreachable. */
export const NORETURN_CALLS: ReadonlySet<string> = new Set([
  'KeBugCheck', 'KeBugCheckEx', 'ExRaiseStatus', 'ExRaiseAccessViolation', 'ExRaiseDatatypeMisalignment',
  'RtlRaiseStatus', 'RtlFailFast', '__fastfail', 'abort', 'exit', '_exit', 'panic', 'BUG', 'longjmp', 'ExitProcess',
  'RtlRaiseException', '__builtin_unreachable', '__builtin_trap', 'WdfVerifierKeBugCheck',
]);

/** Whether the expression `e` (of an expression statement) is a call that never returns. */
export function isNoReturnCall(src: TextSource, e: AstNode): boolean {
  let n = e;
  while (n.type === 'parenthesized_expression' || n.type === 'cast_expression') {
    const inner: AstNode | undefined = n.type === 'cast_expression' ? child(n, 'value') : namedChildren(n)[0];
    if (!inner) return false;
    n = inner;
  }
  if (n.type !== 'call_expression') return false;
  const fn = child(n, 'function');
  return !!fn && fn.type === 'identifier' && (NORETURN_CALLS.has(nodeText(src, fn)) || RAISE_STATUS.test(nodeText(src, fn)));
}

/**
 * A driver's own raising and bug-check helpers, named after `ExRaiseStatus` and `KeBugCheck`: `FatRaiseStatus`,
 * `CdNormalizeAndRaiseStatus`, `FatBugCheck`.
 */
const RAISE_STATUS = /^[A-Z][A-Za-z0-9]*(RaiseStatus|BugCheck|BugCheckEx)$/;
