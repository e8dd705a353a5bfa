import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, walk } from '../../server/src/engine/ast';
import { FunctionFlow, mentionsSize } from '../../server/src/engine/flow/function-flow';
import { provesCompared } from '../../server/src/engine/flow/guards';
import { pathOf } from '../../server/src/engine/flow/paths';
import type { FlowStep } from '../../server/src/engine/flow/taint-answer';
import { callArgs, calleeName, callsIn, controllingConditions, isUserModeFile, statementOf } from '../../server/src/engine/syntax';
import { onlyAnnotated, untrustedOperands } from '../../server/src/engine/untrusted';
import { kernelModeOnly } from '../../server/src/engine/user-memory';

/** Assertion macros and the position of the asserted expression. */
const ASSERTS: Record<string, number> = {
  ASSERT: 0, NT_ASSERT: 0, NT_ASSERT_ASSUME: 0, NT_VERIFY: 0, NT_ASSERT_NOASSUME: 0, assert: 0, WDFVERIFY: 0,
  ASSERTMSG: 1, NT_ASSERTMSG: 1, NT_ASSERTMSGW: 1, NT_VERIFYMSG: 1, NT_VERIFYMSGW: 1, NT_ASSERTMSG_ASSUME: 1,
};
/** How many statements after the assertion a runtime check of the same value may follow and still count. */
const NEARBY = 3;

/** Access paths compared in the conditions of the statements right after `stmt` (or of enclosing tests). */
function checkedNearby(ctx: RuleContext, stmt: AstNode): Set<string> {
  const paths = new Set<string>();
  const conditions: AstNode[] = [...controllingConditions(stmt)];
  const parent = stmt.parent;
  for (let k = stmt.index + 1, seen = 0; parent && k < parent.children.length && seen < NEARBY; k++) {
    const next = parent.children[k];
    if (!next.named || next.type === 'comment') continue;
    seen++;
    walk(next, (n) => {
      if (n.type === 'if_statement' || n.type === 'while_statement' || n.type === 'for_statement' || n.type === 'conditional_expression' || n.type === 'switch_statement') {
        const c = n.children.find((x) => x.field === 'condition');
        if (c) conditions.push(c);
      }
      return n.type !== 'lambda_expression';
    });
  }
  for (const c of conditions) walk(c, (n) => {
    const p = pathOf(ctx.file.source, n);
    if (p !== undefined) paths.add(p);
    return true;
  });
  return paths;
}

/**
 * Whether the assertion bounds `operand` the way validation would: from above (`x < n`, `n >= x`) or pinned to a
 * size or constant (`len == sizeof(T)`). Truth tests, lower bounds and equalities between two variables state
 * invariants rather than validate input.
 */
function boundsOperand(ctx: RuleContext, expr: AstNode, operand: AstNode): boolean {
  for (let n: AstNode = operand, p = operand.parent; p && n !== expr; n = p, p = p.parent) {
    if (p.type !== 'binary_expression') continue;
    const op = ctx.text(p.children.find((c) => c.field === 'operator') ?? p).trim();
    if (op === '&&' || op === '||') return false;
    const left = n.field === 'left';
    if (op === '<' || op === '<=') return left;
    if (op === '>' || op === '>=') return !left;
    if (op === '==') {
      const other = p.children.find((c) => c.field === (left ? 'right' : 'left'));
      return !!other && mentionsSize(ctx.file.source, other);
    }
    if (op === '!=') return false;
  }
  return false;
}

/**
 * Request lengths the function enforces anyway: `WdfRequestRetrieveInputBuffer(Request, sizeof(REQ), ...)` fails
 * the request when the input is shorter, so an assertion on InputBufferLength is not the only check of it.
 */
function retrievedWithMinimum(ctx: RuleContext, body: AstNode): Set<string> {
  const out = new Set<string>();
  for (const call of callsIn(body)) {
    const m = /^WdfRequestRetrieve(Input|Output)Buffer$/.exec(calleeName(ctx.file, call) ?? '');
    const min = m ? callArgs(call)[1] : undefined;
    if (m && min && !/^\(?\s*0[uUlL]*\s*\)?$/.test(ctx.text(min).trim())) out.add(`${m[1]}BufferLength`);
  }
  return out;
}

function unchecked(ctx: RuleContext, flow: FunctionFlow, expr: AstNode): { node: AstNode; source: string; steps: readonly FlowStep[] }[] {
  return untrustedOperands(flow, ctx.file, expr, ['value'], true)
    .filter((o) => !o.taint.bounded && !onlyAnnotated(o.taint) && boundsOperand(ctx, expr, o.node) && !flow.guards(o.node).some(provesCompared))
    // Steps in other files (a caller passing the value) stay in the path, as for the other data-flow rules.
    .map((o) => ({ node: o.node, source: o.taint.steps[0]?.label ?? 'untrusted data', steps: o.taint.steps }));
}

export default defineCheck({
  check(ctx) {
    // Assertions in test tools and services crash a process, not the machine; this rule is about drivers.
    if (isUserModeFile(ctx.file)) return;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      for (const call of callsIn(fn.body)) {
        const name = calleeName(ctx.file, call) ?? '';
        if (!Object.prototype.hasOwnProperty.call(ASSERTS, name)) continue;
        const expr = callArgs(call)[ASSERTS[name]];
        // Requests that only kernel-mode callers reach carry trusted parameters.
        if (!expr || kernelModeOnly(ctx.file, call)) continue;
        const stmt = statementOf(call) ?? call;
        const nearby = checkedNearby(ctx, stmt);
        const enforced = retrievedWithMinimum(ctx, fn.body);
        const open = unchecked(ctx, flow, expr).filter((o) => {
          const p = pathOf(ctx.file.source, o.node) ?? '';
          return !nearby.has(p) && ![...enforced].some((len) => p === len || p.endsWith(`.${len}`) || o.source.startsWith(`${len} of the request`));
        });
        if (!open.length) continue;
        const o = open[0];
        ctx.report({
          node: call,
          message: `${name}(${ctx.text(expr).replace(/\s+/g, ' ')}) is the only check of '${ctx.text(o.node)}', which comes from ${o.source}: assertions vanish from release builds, so malformed input goes on unchecked (and in a debug build it halts the machine). Check it at run time, e.g. 'if (!(${ctx.text(expr).replace(/\s+/g, ' ')})) return STATUS_INVALID_PARAMETER;', and keep assertions for internal invariants.`,
          path: [...o.steps, { node: call, label: 'checked only by an assertion' }],
        });
      }
    }
  },
});
