/** Expression helpers for the user-memory model: depth-bounded paths, casts, dereference targets. */
import { AstNode, child, namedChildren, nodeText } from '../ast';
import type { ParsedFile } from '../parse/parse';
import { accessPath, callArgs } from '../syntax';

/** Expressions nested deeper than this are not followed (generated code; keeps the stack safe). */
export const MAX_DEPTH = 64;

/** `accessPath` for expressions of a sane depth (undefined beyond it). */
export function pathOf(file: ParsedFile, node: AstNode): string | undefined {
  let depth = 0;
  for (let n: AstNode | undefined = node; n && depth <= MAX_DEPTH; depth++) {
    n = n.type === 'field_expression' || n.type === 'subscript_expression' || n.type === 'pointer_expression' ? child(n, 'argument') : n.type === 'parenthesized_expression' || n.type === 'cast_expression' ? namedChildren(n).pop() : undefined;
  }
  return depth > MAX_DEPTH ? undefined : accessPath(file, node);
}

/** Strips parentheses and casts, including `(T)(x)` that the grammar reads as a call. */
export function stripCasts(node: AstNode): AstNode {
  let n = node;
  for (;;) {
    if (n.type === 'parenthesized_expression') {
      const inner = namedChildren(n).find((c) => c.type !== 'comment');
      if (!inner) return n;
      n = inner;
    } else if (n.type === 'cast_expression') {
      const v = child(n, 'value');
      if (!v) return n;
      n = v;
    } else if (n.type === 'call_expression' && isCastLikeCall(n)) {
      n = callArgs(n)[0];
    } else {
      return n;
    }
  }
}

function isCastLikeCall(call: AstNode): boolean {
  const fn = child(call, 'function');
  if (!fn || fn.type !== 'parenthesized_expression') return false;
  const inner = namedChildren(fn);
  return inner.length === 1 && (inner[0].type === 'identifier' || inner[0].type === 'type_identifier') && callArgs(call).length === 1;
}

export function operatorOf(n: AstNode): string | undefined {
  return n.children.find((c) => c.field === 'operator')?.type;
}

/** For `p->f`, `*p`, `p[i]` (and `.`/`[]` chains on them): the pointer expression being dereferenced. */
export function derefTarget(e: AstNode): AstNode | undefined {
  let n: AstNode | undefined = e;
  while (n) {
    if (n.type === 'field_expression') {
      const arg = child(n, 'argument');
      if (n.children.find((c) => c.field === 'operator')?.type === '->') return arg;
      n = arg && stripCasts(arg);
    } else if (n.type === 'subscript_expression') {
      return child(n, 'argument');
    } else if (n.type === 'pointer_expression' && n.children[0]?.type === '*') {
      return child(n, 'argument');
    } else return undefined;
  }
  return undefined;
}

export function declaredName(file: ParsedFile, decl: AstNode): string | undefined {
  let d: AstNode | undefined = decl;
  while (d && d.type !== 'identifier') d = child(d, 'declarator');
  return d ? nodeText(file.source, d) : undefined;
}

export function fieldName(file: ParsedFile, node: AstNode): string | undefined {
  const f = node.type === 'field_expression' ? child(node, 'field') : undefined;
  return f ? nodeText(file.source, f) : undefined;
}
