/** Small syntax helpers shared by rules: calls, arguments, member paths. */
import { AstNode, child, descendants, namedChildren, nodeText, unwrap } from './ast';
import type { ParsedFile } from './parse/parse';

/** The called function's plain name (`ExAllocatePoolWithTag`, `Parser::Read` -> `Read`), or undefined. */
export function calleeName(file: ParsedFile, call: AstNode): string | undefined {
  if (call.type !== 'call_expression') return undefined;
  const fn = child(call, 'function');
  if (!fn) return undefined;
  const f = unwrap(fn);
  if (f.type === 'identifier') return nodeText(file.source, f);
  if (f.type === 'qualified_identifier' || f.type === 'template_function') {
    let q: AstNode | undefined = f;
    while (q && (q.type === 'qualified_identifier' || q.type === 'template_function')) q = child(q, 'name');
    return q && q.type === 'identifier' ? nodeText(file.source, q) : undefined;
  }
  if (f.type === 'field_expression') {
    const field = child(f, 'field');
    return field ? nodeText(file.source, field) : undefined;
  }
  return undefined;
}

/** The argument expressions of a call (comments dropped). */
export function callArgs(call: AstNode): AstNode[] {
  const args = child(call, 'arguments');
  return args ? namedChildren(args).filter((a) => a.type !== 'comment') : [];
}

/** All call expressions under a node, in source order. */
export function callsIn(node: AstNode): AstNode[] {
  return descendants(node, 'call_expression').sort((a, b) => a.start - b.start);
}

/**
 * The canonical access path of an lvalue-like expression: `Irp->AssociatedIrp.SystemBuffer` and
 * `(Irp)->AssociatedIrp.SystemBuffer` both give `Irp.AssociatedIrp.SystemBuffer`; subscripts become `[]`.
 * Returns undefined for expressions that are not paths (calls, arithmetic).
 */
export function accessPath(file: ParsedFile, node: AstNode): string | undefined {
  const n = unwrap(node);
  switch (n.type) {
    case 'identifier':
    case 'field_identifier':
      return nodeText(file.source, n);
    case 'field_expression': {
      const base = child(n, 'argument');
      const field = child(n, 'field');
      const b = base && accessPath(file, base);
      return b && field ? `${b}.${nodeText(file.source, field)}` : undefined;
    }
    case 'subscript_expression': {
      const base = child(n, 'argument');
      const b = base && accessPath(file, base);
      return b ? `${b}[]` : undefined;
    }
    case 'pointer_expression': {
      const op = n.children[0];
      const arg = child(n, 'argument');
      const b = arg && accessPath(file, arg);
      if (!b) return undefined;
      return op && nodeText(file.source, op) === '&' ? `&${b}` : `*${b}`;
    }
    default:
      return undefined;
  }
}

/** True when `node` lies inside the body of a `__try` (not in its `__except`/`__finally` clause). */
export function insideSehTry(node: AstNode): boolean {
  for (let p: AstNode | undefined = node, prev: AstNode | undefined; p; prev = p, p = p.parent) {
    if (p.type === 'seh_try_statement' && prev && prev.field === 'body') return true;
    if (p.type === 'function_definition' || p.type === 'lambda_expression') return false;
  }
  return false;
}
