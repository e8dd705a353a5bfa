import { defineCheck } from '../../server/src/engine/rule';
import { AstNode, child, descendants, nodeText, TextSource } from '../../server/src/engine/ast';
import { allocatedWith, ArrayDecl, arrayDeclOf, isPointerLike } from '../../server/src/engine/flow/arrays';
import { insertCheckFix, enclosingStatement } from '../../server/src/engine/flow/fixes';
import { insideSizeContext, leavesOf, pathOf, stripCasts, subscriptIndex } from '../../server/src/engine/flow/paths';
import { COPY_CALLS } from '../../server/src/engine/flow/sources';
import { addressUsedAfterCheck } from './element-address';
import { callArguments, calleeName, literalValue } from '../../server/src/engine/flow/taint';

const WRAPPERS = new Set(['parenthesized_expression', 'cast_expression']);

/** `base + i` counts only where the sum is used as an address: dereferenced, indexed, or handed to a copy. */
function usedAsAddress(src: TextSource, plus: AstNode): boolean {
  let n = plus;
  while (n.parent && WRAPPERS.has(n.parent.type)) n = n.parent;
  const p = n.parent;
  if (!p) return false;
  if (p.type === 'pointer_expression' && src.text.slice(p.start, p.start + 1) === '*') return true;
  if (p.type === 'field_expression' && n.field === 'argument') return true;
  if (p.type === 'subscript_expression' && n.field === 'argument') return true;
  if (p.type === 'argument_list' && p.parent?.type === 'call_expression') {
    const spec = COPY_CALLS.get(calleeName(src, p.parent));
    const i = callArguments(p.parent).indexOf(n);
    return !!spec && (i === spec.dst || i === spec.src);
  }
  return false;
}

/**
 * `x % C` or `x & M` reaches C - 1 (M) whatever x is: past the end of an array with fewer elements. Only arrays
 * the function or file declares by name, since fields are looked up by their name alone.
 */
function reducedPastEnd(src: TextSource, index: AstNode, decl: ArrayDecl | undefined): { max: number; operand: AstNode } | undefined {
  if (!decl || decl.trailing || decl.elements === undefined || decl.where === 'field') return undefined;
  let e = index;
  // Parentheses only: a narrowing cast around the remainder could bring it back in range.
  while (e.type === 'parenthesized_expression' && e.children.filter((c) => c.named).length === 1) e = e.children.find((c) => c.named)!;
  const l = child(e, 'left');
  const r = child(e, 'right');
  const op = e.type === 'binary_expression' ? child(e, 'operator') : undefined;
  if (!l || !r || !op) return undefined;
  const o = nodeText(src, op);
  const rv = literalValue(src, r);
  const lv = literalValue(src, l);
  const red = o === '%' && rv !== undefined && rv > 0 ? { max: rv - 1, operand: l } : o === '&' ? (rv !== undefined ? { max: rv, operand: l } : lv !== undefined ? { max: lv, operand: r } : undefined) : undefined;
  return red && red.max >= decl.elements ? red : undefined;
}

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      const reported = new Set<string>();
      for (const n of descendants(fn.body, new Set(['subscript_expression', 'binary_expression']))) {
        let index: AstNode | undefined;
        let base: AstNode | undefined;
        if (n.type === 'subscript_expression') {
          index = subscriptIndex(n);
          base = child(n, 'argument');
        } else {
          const op = child(n, 'operator');
          if (!op || nodeText(src, op) !== '+' || !usedAsAddress(src, n)) continue;
          const l = child(n, 'left');
          const r = child(n, 'right');
          if (!l || !r) continue;
          const lt = flow.taint(l);
          const pointerLeft = !!lt && (lt.has('buffer') || lt.has('user-pointer')) ? true : isPointerLike(ctx.file, fn, l);
          [base, index] = pointerLeft ? [l, r] : [r, l];
          if (!pointerLeft && !isPointerLike(ctx.file, fn, r) && !flow.taint(r)?.has('buffer')) continue;
        }
        if (!index || !base || insideSizeContext(src, n)) continue;
        const t = flow.taint(index);
        if (!t || !t.has('value') || t.has('buffer') || t.has('user-pointer') || t.length) continue;
        const decl = n.type === 'subscript_expression' ? arrayDeclOf(ctx.file, fn, base) : undefined;
        const past = reducedPastEnd(src, index, decl);
        if (past ? flow.isBounded(past.operand) : flow.isBounded(index)) continue;
        if (!past && n.type === 'subscript_expression' && addressUsedAfterCheck(src, fn, flow, n, index)) continue;
        const size = decl && !decl.trailing ? decl.elements : undefined;
        // Bounded by its type (a byte shifted right by 4 indexes a 16-entry table) or sized by the same value.
        if (!past && t.max !== undefined && size !== undefined && t.max < size) continue;
        if (allocatedWith(ctx.file, fn, base, leavesOf(src, index).map((l) => l.path))) continue;
        const stmt = enclosingStatement(n);
        const key = `${stmt?.start ?? n.start}:${pathOf(src, index) ?? nodeText(src, index)}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const idx = nodeText(src, stripCasts(index)).replace(/\s+/g, ' ');
        const arr = nodeText(src, stripCasts(base)).replace(/\s+/g, ' ');
        const bound = decl?.size && !decl.trailing ? `RTL_NUMBER_OF(${arr})` : undefined;
        // A SAL-annotated buffer is caller-supplied, but the caller may be trusted kernel code: a note, as in KS1003
        // and KS1401 (every such error read in the precision studies was a kernel caller's own data).
        const uncertain = t.tags.every((x) => x.startsWith('annotated-'));
        const origin = t.steps[0]?.label ?? 'untrusted data';
        ctx.report({
          node: n,
          severity: uncertain ? 'note' : undefined,
          message:
            (past
              ? `Index '${idx}' ${uncertain ? 'may come' : 'comes'} from untrusted data (${origin}) and can reach ${past.max}, but '${arr}' has ${size} elements; `
              : `Index '${idx}' ${uncertain ? 'may come' : 'comes'} from untrusted data (${origin}) and is used to address '${arr}' with no bounds check before this point; `) +
            'an out-of-range value reads or writes outside the array, which in kernel mode corrupts memory or bug-checks the machine. ' +
            `Compare it with the element count the array really has${bound ? ` (${bound})` : ''} and reject the input (STATUS_INVALID_PARAMETER) before using it.`,
          path: [...t.steps, { node: n, label: n.type === 'subscript_expression' ? 'used as an array index' : 'used as a pointer offset' }],
          fixes: bound ? insertCheckFix(ctx.file, fn, n, index, bound, `Insert a bounds check on '${idx}' before this statement`) : [],
        });
      }
    }
  },
});
