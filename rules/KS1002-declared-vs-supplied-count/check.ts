import { defineCheck } from '../../server/src/engine/rule';
import { AstNode, child, descendants, nodeText } from '../../server/src/engine/ast';
import { allocatedWith, arrayDeclOf, derivedPaths } from '../../server/src/engine/flow/arrays';
import { enclosingStatement } from '../../server/src/engine/flow/fixes';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { provesUpper } from '../../server/src/engine/flow/guards';
import { insideSizeContext, leavesOf, pathOf, stripCasts, subscriptIndex } from '../../server/src/engine/flow/paths';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated } from '../../server/src/engine/untrusted';

/** A bound is "checked" when every untrusted leaf of it has its own upper bound at the use, or it is bounded. */
function boundChecked(flow: FunctionFlow, bound: AstNode, use: AstNode): boolean {
  const t = flow.taint(bound);
  if (!t || t.bounded) return true;
  const src = flow.file.source;
  for (const l of leavesOf(src, bound)) {
    if (!flow.taint(l.node)) continue;
    if (!flow.guardsOn(l.path, use).some((g) => provesUpper(g) && g.node !== l.node)) return false;
  }
  return true;
}

/** Copy loops (`dst[i] = src[i]` with untrusted data) are KS1003's. */
function isCopyTarget(flow: FunctionFlow, sub: AstNode): boolean {
  let n = sub;
  while (n.parent && n.parent.type === 'parenthesized_expression') n = n.parent;
  const p = n.parent;
  if (!p || p.type !== 'assignment_expression' || n.field !== 'left') return false;
  const right = child(p, 'right');
  return !!right && !!flow.taint(right);
}

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    // Tools and services that share the sources crash a process, not the machine.
    if (isUserModeFile(ctx.file)) return;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      const reported = new Set<string>();
      for (const sub of descendants(fn.body, 'subscript_expression')) {
        const index = subscriptIndex(sub);
        const base = child(sub, 'argument');
        if (!index || !base || insideSizeContext(src, sub)) continue;
        const bt = flow.taint(base);
        // The array must be sized elsewhere: not the untrusted buffer that declares the count.
        if (bt && (bt.has('buffer') || bt.has('user-pointer') || bt.has('value'))) continue;
        const guards = flow.guards(stripCasts(index)).filter(provesUpper);
        if (!guards.length) continue;
        let declared: AstNode | undefined;
        let ok = false;
        for (const g of guards) {
          const bound = g.bound;
          const t = bound && flow.taint(bound);
          if (!bound || !t || !t.has('value') || t.bounded) {
            ok = true;
            break;
          }
          if (boundChecked(flow, bound, sub)) {
            ok = true;
            break;
          }
          declared ??= bound;
        }
        if (ok || !declared || isCopyTarget(flow, sub)) continue;
        // An array allocated with the declared count (`new T[n]`, `ExAllocatePool2(..., n * sizeof(T), ...)`) has it.
        const counts = derivedPaths(fn.body, src, [pathOf(src, stripCasts(declared)), ...leavesOf(src, declared).map((l) => l.path)].filter((p): p is string => !!p));
        if (allocatedWith(ctx.file, fn, base, counts)) continue;
        const key = `${declared.start}:${enclosingStatement(sub)?.start ?? sub.start}`;
        if (reported.has(key)) continue;
        reported.add(key);
        const t = flow.taint(declared)!;
        // Only a SAL annotation says the count is untrusted: often the caller's own bookkeeping, so a note that may.
        const sal = onlyAnnotated(t);
        const count = nodeText(src, declared).replace(/\s+/g, ' ');
        const arr = nodeText(src, stripCasts(base)).replace(/\s+/g, ' ');
        const decl = arrayDeclOf(ctx.file, fn, base);
        const size = decl?.size ? `${arr} has ${nodeText(src, decl.size)} elements` : `the number of elements of '${arr}' is known only to its supplier`;
        ctx.report({
          node: sub,
          message:
            `'${nodeText(src, stripCasts(index)).replace(/\s+/g, ' ')}' is limited only by '${count}', a ${t.length ? 'length' : 'count'} ${sal ? 'that may come from' : 'taken from'} untrusted data (${t.steps[0]?.label ?? 'untrusted input'}), but ${size}; ` +
            'nothing compares the declared count with what was actually supplied, so content declaring more entries reads or writes past the end of the array (the July 2024 crash: 21 declared fields, 20 supplied inputs) and bug-checks the machine. ' +
            `Reject the content when '${count}' exceeds the supplied count${decl?.size ? ` (RTL_NUMBER_OF(${arr}))` : ''}, or iterate to the smaller of the two.`,
          severity: sal ? 'note' : undefined,
          path: [...t.steps, { node: g0(guards) ?? declared, label: 'the only bound on the index' }, { node: sub, label: 'array indexed' }],
        });
      }
    }
  },
});

function g0(guards: readonly { cond: AstNode }[]): AstNode | undefined {
  return guards[0]?.cond;
}
