/**
 * Which structure member an expression names, as a chain the project's member table answers (member-types.ts):
 * the declared type of the expression it starts from (a parameter, a local, a cast), then each member followed.
 * `UserWriteWhatWhere->What` with `PWRITE_WHAT_WHERE UserWriteWhatWhere` is `PWRITE_WHAT_WHERE->What`;
 * `((struct _HDR *)p)->Body.Len` is `_HDR*->Body.Len`. Anything else (globals, subscripts, calls) has no chain.
 */
import { AstNode, child, namedChildren, nodeText, SubtreeMemo, TextSource, walk } from '../ast';
import type { FunctionInfo } from '../index/functions';
import { declaratorShape, typeNameOf } from '../index/members';

/** Declared types of a function's parameters and locals (`PFOO`, `_FOO*`); null for a name declared two ways. */
const rootsMemo = new SubtreeMemo<ReadonlyMap<string, string | null>>();

function declaredRoots(src: TextSource, fn: FunctionInfo): ReadonlyMap<string, string | null> {
  return rootsMemo.get(fn.node, '', () => collectRoots(src, fn));
}

function collectRoots(src: TextSource, fn: FunctionInfo): Map<string, string | null> {
  const roots = new Map<string, string | null>();
  const add = (type: AstNode | undefined, d: AstNode | undefined): void => {
    const shape = declaratorShape(src, d);
    const name = typeNameOf(src, type);
    if (!shape) return;
    const root = name && !shape.array ? `${name}${'*'.repeat(shape.pointers)}` : null;
    const cur = roots.get(shape.name);
    roots.set(shape.name, cur === undefined || cur === root ? root : null);
  };
  for (const p of fn.params) if (p.name) add(child(p.node, 'type'), child(p.node, 'declarator'));
  walk(fn.body, (n) => {
    if (n.type === 'lambda_expression') return false;
    if (n.type !== 'declaration') return true;
    const type = child(n, 'type');
    for (const c of n.children) if (c.field === 'declarator') add(type, c.type === 'init_declarator' ? child(c, 'declarator') : c);
    return false;
  });
  return roots;
}

/** The declared type of an expression a member is read from, as the root of a chain. */
function rootOf(src: TextSource, fn: FunctionInfo, e: AstNode, depth: number): string | undefined {
  let n = e;
  while (n.type === 'parenthesized_expression' && namedChildren(n).length === 1) n = namedChildren(n)[0];
  if (n.type === 'identifier') return declaredRoots(src, fn).get(nodeText(src, n)) ?? undefined;
  if (n.type === 'field_expression') return memberChain(src, fn, n, depth + 1);
  if (n.type === 'cast_expression') {
    const t = child(n, 'type');
    const name = typeNameOf(src, t && child(t, 'type'));
    let pointers = 0;
    for (let d = t && child(t, 'declarator'); d; d = child(d, 'declarator')) {
      if (d.type !== 'abstract_pointer_declarator') return undefined;
      pointers++;
    }
    return name ? `${name}${'*'.repeat(pointers)}` : undefined;
  }
  // `(PFOO)(x)`, which the grammar reads as a call of a parenthesized name.
  if (n.type === 'call_expression') {
    const f = child(n, 'function');
    const inner = f?.type === 'parenthesized_expression' ? namedChildren(f) : [];
    const args = child(n, 'arguments');
    if (inner.length === 1 && (inner[0].type === 'identifier' || inner[0].type === 'type_identifier') && args && namedChildren(args).length === 1) return nodeText(src, inner[0]);
  }
  return undefined;
}

/** The chain of a member expression (`p->A.B`), when its root's declared type is known. */
export function memberChain(src: TextSource, fn: FunctionInfo, e: AstNode, depth = 0): string | undefined {
  if (e.type !== 'field_expression' || depth > 16) return undefined;
  const arg = child(e, 'argument');
  const field = child(e, 'field');
  const op = e.children.find((c) => c.field === 'operator')?.type;
  if (!arg || !field || (op !== '->' && op !== '.')) return undefined;
  const root = rootOf(src, fn, arg, depth);
  return root && `${root}${op}${nodeText(src, field)}`;
}
