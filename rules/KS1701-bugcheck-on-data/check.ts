import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { ancestor, AstNode, child, descendants, unwrap } from '../../server/src/engine/ast';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { calleeName, controllingConditions } from '../../server/src/engine/syntax';
import { onlyAnnotated, untrustedOperands, UntrustedOperand } from '../../server/src/engine/untrusted';
import { insideTryBlock } from '../../server/src/engine/user-memory';

const BUGCHECK = new Set(['KeBugCheck', 'KeBugCheckEx', 'WdfVerifierKeBugCheck']);
const FAILFAST = new Set(['RtlFailFast', '__fastfail']);
const RAISE = new Set(['ExRaiseStatus', 'ExRaiseAccessViolation', 'ExRaiseDatatypeMisalignment']);
const INSTEAD = 'Reject the input instead: return STATUS_INVALID_PARAMETER or STATUS_DATA_ERROR, disable the offending content item (falling back to the last known good one) and log it; reserve bug checks for proven corruption of kernel state';

interface Site {
  readonly node: AstNode;
  readonly what: string;
  readonly kind: 'bugcheck' | 'failfast' | 'raise' | 'null-write';
}

/** `*(T *)0 = v`, `*(T *)NULL = v` and `((T *)0)->f = v`: a write meant to crash. */
function nullWrite(ctx: RuleContext, n: AstNode): boolean {
  if (n.type !== 'assignment_expression') return false;
  const left = child(n, 'left');
  const l = left && unwrap(left);
  const target = l && (l.type === 'pointer_expression' || l.type === 'field_expression') ? child(l, 'argument') : undefined;
  if (!target || (l!.type === 'pointer_expression' && ctx.text(l!).trimStart().startsWith('&'))) return false;
  return /^(0|0x0|NULL|nullptr)$/.test(ctx.text(unwrap(target)));
}

/** Node types a site can be (`nullWrite` is an assignment). */
const SITE_NODES: ReadonlySet<string> = new Set(['call_expression', 'assignment_expression']);

function sites(ctx: RuleContext, body: AstNode): Site[] {
  const out: Site[] = [];
  for (const n of descendants(body, SITE_NODES)) {
    // A lambda's code runs when it is called, not here.
    if (ancestor(n, (p) => p === body || p.type === 'lambda_expression') !== body) continue;
    const name = n.type === 'call_expression' ? calleeName(ctx.file, n) ?? '' : '';
    if (BUGCHECK.has(name)) out.push({ node: n, what: `'${name}'`, kind: 'bugcheck' });
    else if (FAILFAST.has(name)) out.push({ node: n, what: `'${name}'`, kind: 'failfast' });
    else if (RAISE.has(name) && !insideTryBlock(ctx.file, n)) out.push({ node: n, what: `'${name}' outside __try`, kind: 'raise' });
    else if (nullWrite(ctx, n)) out.push({ node: n, what: 'a deliberate write through a NULL pointer', kind: 'null-write' });
  }
  return out;
}

/** The first condition guarding `site` that looks at untrusted data, with the untrusted operand. */
function dataCondition(ctx: RuleContext, flow: FunctionFlow | undefined, site: AstNode): { cond: AstNode; operand: UntrustedOperand } | undefined {
  if (!flow?.hasTaint) return undefined;
  for (const cond of controllingConditions(site)) {
    // Values read from the data or supplied lengths; a NULL test of a buffer or mapping pointer is about
    // resources, not content.
    const [operand] = untrustedOperands(flow, ctx.file, cond, ['value']).filter((o) => !onlyAnnotated(o.taint));
    if (operand) return { cond, operand };
  }
  return undefined;
}

export default defineCheck({
  check(ctx) {
    const bootCritical = ctx.options.bootCritical === true;
    for (const fn of ctx.analysis.functions) {
      const found = sites(ctx, fn.body);
      if (!found.length) continue;
      const flow = ctx.analysis.flow(fn);
      for (const s of found) {
        const data = dataCondition(ctx, flow, s.node);
        if (data) {
          const source = data.operand.taint.steps[0]?.label ?? 'untrusted data';
          const effect = s.kind === 'raise' ? 'raises an exception that, unless some caller catches it, bug-checks the machine' : 'crashes the machine';
          ctx.report({
            node: s.node,
            message: `${s.what} runs when a test of untrusted data holds ('${ctx.text(data.operand.node)}' comes from ${source}): malformed input (a bad request, a corrupt file, a broken content update) then ${effect}, and if the data is read at boot, every boot, as in the July 2024 outage. ${INSTEAD}.`,
            path: [...data.operand.taint.steps.filter((st) => st.node).map((st) => ({ node: st.node!, label: st.label })), { node: data.cond, label: 'condition on untrusted data' }, { node: s.node, label: 'crash on that branch' }],
          });
        } else if (s.kind === 'bugcheck' && !bootCritical) {
          ctx.report({
            node: s.node,
            severity: 'note',
            message: `${s.what} stops the whole machine. A driver that is not boot-critical can almost always fail the operation, or unload, instead; make sure this only fires for proven corruption of kernel state, never for anything input can cause. (Set the rule option bootCritical for drivers that must halt the system.)`,
          });
        }
      }
    }
  },
});
