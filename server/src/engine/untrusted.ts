/**
 * Which parts of an expression are untrusted: the questions crash-on-bad-input rules ask of a condition or an
 * assertion ("does this test look at data a caller or a file controls?"), answered with the flow engine's taint.
 */
import { AstNode, child, nodeText, walk } from './ast';
import type { FunctionFlow } from './flow/function-flow';
import type { TaintKind } from './flow/sources';
import { subscriptIndex } from './flow/paths';
import type { Taint } from './flow/taint-answer';
import type { ParsedFile } from './parse/parse';

const PATHS = new Set(['identifier', 'field_expression', 'subscript_expression', 'pointer_expression', 'qualified_identifier']);

export interface UntrustedOperand {
  readonly node: AstNode;
  readonly taint: Taint;
}

/**
 * The outermost values inside `expr` (variables, fields, elements, dereferences, call results) that are untrusted
 * just before `expr` is evaluated, optionally only those of the given taint kinds. Operands of comparisons,
 * arithmetic and calls are searched; `sizeof` is not (it reads nothing). With `skipBounded`, range-limited
 * sub-expressions (`x & 15`, `min(x, n)`) are not searched either.
 */
export function untrustedOperands(flow: FunctionFlow, file: ParsedFile, expr: AstNode, kinds?: readonly TaintKind[], skipBounded = false): UntrustedOperand[] {
  const out: UntrustedOperand[] = [];
  walk(expr, (n) => {
    if (n.type === 'sizeof_expression' || n.type === 'offsetof_expression' || n.type === 'lambda_expression') return false;
    // `x & 15`, `min(x, n)`: range-limited values, when the caller asks only about unlimited ones.
    if (skipBounded && (n.type === 'binary_expression' || n.type === 'call_expression') && flow.taint(n)?.bounded) return false;
    const isPath = PATHS.has(n.type) && !(n.type === 'pointer_expression' && nodeText(file.source, n).trimStart().startsWith('&'));
    if (!isPath && n.type !== 'call_expression') return true;
    const t = flow.taint(n);
    if (t && (!kinds || t.kinds.some((k) => kinds.includes(k)))) {
      out.push({ node: n, taint: t });
      return false;
    }
    if (n.type === 'call_expression') {
      const args = child(n, 'arguments');
      for (const a of args ? args.children : []) if (a.named) out.push(...untrustedOperands(flow, file, a, kinds, skipBounded));
      return false;
    }
    // A trusted path's base is not searched again (a checked `hdr->Count` is not "untrusted because of hdr"),
    // but an index inside it is: `table[hdr->Slot]`.
    for (let x: AstNode | undefined = n; x && PATHS.has(x.type); x = child(x, 'argument')) {
      const index = x.type === 'subscript_expression' ? subscriptIndex(x) : undefined;
      if (index) out.push(...untrustedOperands(flow, file, index, kinds, skipBounded));
    }
    return false;
  });
  return out;
}

/**
 * True when the only evidence that a value is untrusted is a SAL annotation (`_In_reads_bytes_(n)` on a
 * parameter). Internal helpers carry SAL as much as entry points do, so rules that need a caller actually
 * controlling the value ask for more.
 */
export function onlyAnnotated(t: Taint): boolean {
  return t.tags.length > 0 && t.tags.every((tag) => tag.startsWith('annotated-'));
}

/**
 * A length that is untrusted data itself (a length field read from the input, not the length of a request
 * buffer) with no upper bound here: KS1003 reports such copy lengths, and KS1401 leaves them to it.
 */
export function uncheckedDataLength(flow: FunctionFlow, expr: AstNode): Taint | undefined {
  const t = flow.taint(expr);
  if (!t || !t.has('value') || !t.loaded || t.length || t.has('buffer') || t.has('user-pointer')) return undefined;
  return flow.isBounded(expr) ? undefined : t;
}
