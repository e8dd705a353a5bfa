/**
 * `T *e = &Table[i];` reads nothing: the element is read or written where `e` is used. When `i` keeps its value
 * and every use of `e` comes after a check of `i`, the address taken before the check is not an access.
 */
import { AstNode, child, nodeText, TextSource, walk } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { provesUpper } from '../../server/src/engine/flow/guards';
import { pathOf, stripCasts } from '../../server/src/engine/flow/paths';
import { declaratorName } from '../../server/src/engine/flow/solve';

const WRAPPERS = new Set(['parenthesized_expression', 'cast_expression']);

/** The local that `&sub` is stored in (`T *e = &a[i]`, `e = &a[i]`), if that is all that is done with it. */
function holder(src: TextSource, sub: AstNode): { name: string; at: AstNode } | undefined {
  let up = sub;
  while (up.parent?.type === 'parenthesized_expression') up = up.parent;
  const amp = up.parent;
  if (amp?.type !== 'pointer_expression' || src.text[amp.start] !== '&') return undefined;
  let v = amp;
  while (v.parent && WRAPPERS.has(v.parent.type)) v = v.parent;
  const h = v.parent;
  if (h?.type === 'init_declarator') {
    const name = declaratorName(src, child(h, 'declarator'));
    return name ? { name, at: h } : undefined;
  }
  const left = h?.type === 'assignment_expression' && v.field === 'right' ? child(h, 'left') : undefined;
  const op = h && child(h, 'operator');
  return left?.type === 'identifier' && op && nodeText(src, op) === '=' ? { name: nodeText(src, left), at: h } : undefined;
}

/** A mention that reads `name`: not its declaration, and not the left of a plain assignment. */
function reads(src: TextSource, id: AstNode): boolean {
  const p = id.parent;
  if (!p || id.field === 'declarator' || p.type.endsWith('_declarator')) return false;
  const op = p.type === 'assignment_expression' && id.field === 'left' ? child(p, 'operator') : undefined;
  return !(op && nodeText(src, op) === '=');
}

/**
 * True when the element's address is only stored, the index keeps its value after that, and every read of the
 * stored address (anywhere in the function: a loop may come back to an earlier one) comes after a check of the index.
 */
export function addressUsedAfterCheck(src: TextSource, fn: FunctionInfo, flow: FunctionFlow, sub: AstNode, index: AstNode): boolean {
  const h = holder(src, sub);
  const ip = pathOf(src, stripCasts(index));
  if (!h || !ip || ip.includes('[')) return false;
  let ok = true;
  walk(fn.body, (n) => {
    if (!ok || n === h.at) return false;
    const target = n.type === 'assignment_expression' ? child(n, 'left') : n.type === 'update_expression' ? child(n, 'argument') : n.type === 'pointer_expression' && src.text[n.start] === '&' ? child(n, 'argument') : undefined;
    if (target && n.start > h.at.end && pathOf(src, target) === ip) ok = false;
    else if (n.type === 'identifier' && nodeText(src, n) === h.name && reads(src, n) && !flow.guardsOn(ip, n).some(provesUpper)) ok = false;
    return ok;
  });
  return ok;
}
