import { defineCheck } from '../../server/src/engine/rule';
import { AstNode, child, descendants, nodeText, TextSource } from '../../server/src/engine/ast';
import type { Guard } from '../../server/src/engine/flow/guards';
import { leavesOf, opOf, stripCasts } from '../../server/src/engine/flow/paths';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated } from '../../server/src/engine/untrusted';

const LOOPS: ReadonlySet<string> = new Set(['for_statement', 'while_statement', 'do_statement']);

/** A value that is never zero by construction: a positive number, `sizeof`, an upper-case constant. */
function positiveConstant(src: TextSource, n: AstNode): boolean {
  const x = stripCasts(n, src);
  if (x.type === 'number_literal') return Number(nodeText(src, x).replace(/[uUlL]+$/, '')) > 0;
  if (x.type === 'sizeof_expression') return true;
  if (x.type === 'call_expression') return /^(RTL_SIZEOF_THROUGH_FIELD|RTL_FIELD_SIZE|sizeof)$/.test(nodeText(src, child(x, 'function') ?? x));
  return x.type === 'identifier' && /^[A-Z][A-Z0-9_]*$/.test(nodeText(src, x));
}

/** `rec->Size + sizeof(HDR)`: a sum with a positive constant is not zero (short of wrapping, KS1401's concern). */
function neverZero(src: TextSource, e: AstNode): boolean {
  const x = stripCasts(e, src);
  if (positiveConstant(src, x)) return true;
  if (x.type !== 'binary_expression' || opOf(src, x) !== '+') return false;
  return [child(x, 'left'), child(x, 'right')].some((s) => !!s && (positiveConstant(src, s) || neverZero(src, s)));
}

/** A guard that rules out zero: a truth test, `!= 0`, a lower bound, a pinned non-zero value, a validating call. */
function provesNonZero(src: TextSource, g: Guard): boolean {
  const zero = !!g.bound && /^0[uUlL]*$/.test(nodeText(src, stripCasts(g.bound, src)));
  if (g.rel === 'nonzero' || g.rel === 'validated' || g.rel === 'lower') return true;
  return (g.rel === 'ne' && zero) || (g.rel === 'eq' && !!g.bound && !zero);
}

/** Names the loop counts with: `i++`, `--n`, `i += 1` inside the loop (its body or update). */
function counters(src: TextSource, parts: readonly AstNode[]): Set<string> {
  const out = new Set<string>();
  for (const p of parts) {
    for (const u of descendants(p, 'update_expression')) {
      const a = child(u, 'argument');
      if (a?.type === 'identifier') out.add(nodeText(src, a));
    }
    for (const a of descendants(p, 'assignment_expression')) {
      const left = child(a, 'left');
      const right = child(a, 'right');
      if (left?.type === 'identifier' && right && (opOf(src, a) === '+=' || opOf(src, a) === '-=') && positiveConstant(src, right)) out.add(nodeText(src, left));
    }
  }
  return out;
}

/** The amount an assignment moves `cursor` by: `c += E`, `c -= E`, `c = (T)((PUCHAR)c + E)`. */
function advanceOf(src: TextSource, a: AstNode, cursors: ReadonlySet<string>): { cursor: string; by: AstNode } | undefined {
  const left = child(a, 'left');
  const right = child(a, 'right');
  const cursor = left && stripCasts(left, src).type === 'identifier' ? nodeText(src, stripCasts(left, src)) : undefined;
  if (!cursor || !right || !cursors.has(cursor)) return undefined;
  const op = opOf(src, a);
  if (op === '+=' || op === '-=') return { cursor, by: right };
  const r = stripCasts(right, src);
  if (op !== '=' || r.type !== 'binary_expression' || opOf(src, r) !== '+') return undefined;
  const isCursor = (x: AstNode | undefined): boolean => !!x && stripCasts(x, src).type === 'identifier' && nodeText(src, stripCasts(x, src)) === cursor;
  const l = child(r, 'left');
  const rr = child(r, 'right');
  if (isCursor(l) && rr) return { cursor, by: rr };
  if (isCursor(rr) && l) return { cursor, by: l };
  return undefined;
}

/**
 * `n = min(remaining, MAX); remaining -= n;`: a step worked out from the cursor itself is zero only when the
 * cursor has reached its end.
 */
function computedFromCursor(src: TextSource, body: AstNode, by: AstNode, cursor: string): boolean {
  const x = stripCasts(by, src);
  if (x.type !== 'identifier') return false;
  const name = nodeText(src, x);
  const mentions = (v: AstNode | undefined): boolean => !!v && (v.type === 'identifier' ? nodeText(src, v) === cursor : descendants(v, 'identifier').some((i) => nodeText(src, i) === cursor));
  for (const d of descendants(body, 'init_declarator')) if (nodeText(src, child(d, 'declarator') ?? d) === name && mentions(child(d, 'value'))) return true;
  for (const a of descendants(body, 'assignment_expression')) if (nodeText(src, stripCasts(child(a, 'left') ?? a, src)) === name && mentions(child(a, 'right'))) return true;
  return false;
}

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      for (const loop of descendants(fn.body, LOOPS)) {
        const cond = child(loop, 'condition');
        if (!cond) continue;
        const cursors = new Set(descendants(cond, 'identifier').map((i) => nodeText(src, i)));
        const parts = [child(loop, 'body'), child(loop, 'update')].filter((p): p is AstNode => !!p);
        // A loop that also counts its rounds, in its condition or in a test inside it, ends anyway.
        const counted = counters(src, parts);
        const tested = new Set(parts.flatMap((p) => descendants(p, 'if_statement')).flatMap((s) => descendants(child(s, 'condition') ?? s, 'identifier').map((i) => nodeText(src, i))));
        if ([...counted].some((c) => cursors.has(c) || tested.has(c))) continue;
        for (const a of parts.flatMap((p) => descendants(p, 'assignment_expression'))) {
          const adv = advanceOf(src, a, cursors);
          if (!adv || neverZero(src, adv.by) || computedFromCursor(src, fn.body, adv.by, adv.cursor)) continue;
          // A size read from a record (`rec->Size`), not an amount worked out from what is left (`min(left, max)`),
          // which is zero only when nothing is left and the loop has ended.
          const t = flow.taint(adv.by);
          if (!t || !t.loaded || t.length || t.has('buffer') || t.has('user-pointer')) continue;
          const leaves = leavesOf(src, adv.by);
          if (!leaves.length || leaves.some((l) => flow.guardsOn(l.path, a).some((g) => provesNonZero(src, g)))) continue;
          const by = nodeText(src, adv.by).replace(/\s+/g, ' ');
          const sal = onlyAnnotated(t);
          ctx.report({
            node: a,
            severity: sal ? 'note' : undefined,
            message: `The loop advances '${adv.cursor}' by '${by}', which ${sal ? 'may come' : 'comes'} from untrusted data (${t.steps[0]?.label ?? 'untrusted input'}), and nothing checks that it is not zero: a record whose size is 0 keeps '${adv.cursor}' where it is and the loop never ends. In the kernel that hangs the thread that holds the request, or bug-checks the machine when the loop runs at raised IRQL (DPC_WATCHDOG_VIOLATION). Reject a size smaller than the record header before advancing (if (${by} < sizeof(header)) fail).`,
            path: [...t.steps, { node: a, label: `'${adv.cursor}' advanced by '${by}'` }, { node: cond, label: 'the loop ends only when this changes' }],
          });
          break;
        }
      }
    }
  },
});
