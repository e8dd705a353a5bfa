import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, nodeText, TextSource } from '../../server/src/engine/ast';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { capped, intSafe, resultCapped } from '../../server/src/engine/flow/caps';
import { leavesOf, opOf, pathOf, stripCasts } from '../../server/src/engine/flow/paths';
import { SIZED_ALLOCATIONS } from '../../server/src/engine/flow/sources';
import { callArguments, calleeName } from '../../server/src/engine/flow/taint';
import type { Taint } from '../../server/src/engine/flow/taint-answer';
import { codeGroups, innermostMethods } from '../../server/src/engine/ioctl';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated } from '../../server/src/engine/untrusted';
import { ioctlMethodLookup } from '../../server/src/engine/user-memory/mapped';

interface Input {
  readonly node: AstNode;
  readonly taint: Taint;
  /** The ntintsafe call that computed the size from this input, if any. */
  readonly via: AstNode | undefined;
}

/** The untrusted values a size is made of: itself, and the operands of dominating ntintsafe calls that computed it. */
function inputs(flow: FunctionFlow, src: TextSource, safeCalls: readonly AstNode[], expr: AstNode, at: AstNode, via: AstNode | undefined, depth: number): Input[] {
  const t = flow.taint(expr);
  const out: Input[] = t ? [{ node: expr, taint: t, via }] : [];
  if (depth > 2) return out;
  for (const leaf of leavesOf(src, expr)) {
    for (const call of safeCalls) {
      const args = callArguments(call);
      const last = args.length ? stripCasts(args[args.length - 1]) : undefined;
      const target = last?.type === 'pointer_expression' && opOf(src, last) === '&' ? child(last, 'argument') : undefined;
      if (!target || pathOf(src, target) !== leaf.path || !flow.dominates(call, at)) continue;
      for (const a of args.slice(0, -1)) out.push(...inputs(flow, src, safeCalls, a, call, call, depth + 1));
    }
  }
  return out;
}

/** Whether a request length at `at` belongs only to METHOD_NEITHER codes: the I/O manager allocated nothing for it. */
function neitherOnly(ctx: RuleContext, at: AstNode): boolean {
  const methods = innermostMethods(codeGroups(ctx.file.source, at), ioctlMethodLookup(ctx.analysis));
  return !!methods && methods.every((m) => m === 'neither');
}

/**
 * An allocation charged to the calling process's pool quota (`POOL_FLAG_USE_QUOTA`, `ExAllocatePoolWithQuota*`):
 * the system already limits what one caller can take that way.
 */
function chargesQuota(src: TextSource, call: AstNode): boolean {
  if (calleeName(src, call).includes('Quota')) return true;
  return descendants(call, 'identifier').some((id) => /^POOL_(FLAG_USE_QUOTA|QUOTA_FAIL_INSTEAD_OF_RAISE)$/.test(nodeText(src, id)));
}

function sizeArgs(src: TextSource, body: AstNode): { expr: AstNode; name: string }[] {
  const out: { expr: AstNode; name: string }[] = [];
  for (const n of descendants(body, new Set(['call_expression', 'new_declarator']))) {
    const i = n.type === 'call_expression' && !chargesQuota(src, n) ? SIZED_ALLOCATIONS.get(calleeName(src, n)) : undefined;
    const arg = n.type === 'new_declarator' ? child(n, 'length') : i === undefined ? undefined : callArguments(n)[i];
    if (arg) out.push({ expr: arg, name: n.type === 'new_declarator' ? 'new[]' : calleeName(src, n) });
  }
  return out;
}

const REQUEST_LENGTHS = new Set(['request-input-length', 'request-output-length']);
/** Tags of values that are not read from the data: buffer lengths and the handles of request memory and MDLs. */
const NOT_CONTENT = /^(request-(input|output)-length|data-length|request-(memory|mdl|output-mdl)|locked-user-mapping|ioctl-cases:.*)$/;

/**
 * A value read from the data (`req->Count`, a header field), here or by a caller that passed it in: a caller's
 * read reaches a parameter as a value carrying the buffer's tag, without `loaded`.
 */
function fromContent(t: Taint): boolean {
  return !t.length && (t.loaded || t.tags.some((x) => !NOT_CONTENT.test(x)));
}

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      const sinks = sizeArgs(src, fn.body);
      if (!sinks.length) continue;
      const safeCalls = descendants(fn.body, 'call_expression').filter((c) => intSafe(src, c));
      for (const sink of sinks) {
        for (const input of inputs(flow, src, safeCalls, sink.expr, sink.expr, undefined, 0)) {
          const { node, taint: t, via } = input;
          if (!t.has('value') || t.has('buffer') || t.has('user-pointer') || onlyAnnotated(t)) continue;
          // Arithmetic that can wrap is KS1401's finding; this rule speaks of the value once the arithmetic is sound.
          if (t.arith || t.max !== undefined) continue;
          const content = fromContent(t);
          // An MDL for a request length describes the caller's own buffer: probing and locking it then checks it.
          const neither = !content && sink.name !== 'IoAllocateMdl' && t.length && !t.loaded && t.tags.some((x) => REQUEST_LENGTHS.has(x)) && neitherOnly(ctx, sink.expr);
          if (!content && !neither) continue;
          // A computed size is capped by a check of the operand (before or after the computation) or of the result.
          if (capped(flow, src, node, via ?? sink.expr) || (via && (resultCapped(flow, src, sink.expr) || capped(flow, src, node, sink.expr)))) continue;
          report(ctx, flow, sink, input, neither);
          break;
        }
      }
    }
  },
});

function report(ctx: RuleContext, flow: FunctionFlow, sink: { expr: AstNode; name: string }, input: Input, neither: boolean): void {
  const src = ctx.file.source;
  const text = (n: AstNode): string => nodeText(src, stripCasts(n)).replace(/\s+/g, ' ');
  const { taint: t, via } = input;
  const e = stripCasts(input.node);
  const product = e.type === 'binary_expression' && (opOf(src, e) === '*' || opOf(src, e) === '<<');
  // Name the count in a product (`n * sizeof(T)`), not the product.
  const node = (product && [child(e, 'left'), child(e, 'right')].find((x) => x && flow.taint(x))) || input.node;
  const multiplied = product || sink.name === 'new[]' || (!!via && /Mult$/.test(calleeName(src, via)));
  const origin = t.steps[0]?.label ?? 'untrusted input';
  const what = via ? `'${text(sink.expr)}', computed by ${calleeName(src, via)} from '${text(node)}'` : `'${text(sink.expr)}'`;
  const from = neither
    ? `is the caller's buffer length (${origin}) of a METHOD_NEITHER request, for which the I/O manager allocated and checked nothing, so it may be any value up to 4 GB`
    : `comes from untrusted data (${origin}) and nothing on the way caps ${node !== sink.expr ? `'${text(node)}'` : 'it'} from above${via ? ` (${calleeName(src, via)} only rules out wrap-around)` : ''}`;
  ctx.report({
    node: sink.expr,
    message:
      `The size of this ${sink.name} allocation, ${what}, ${from}: ${neither ? 'a caller may make' : 'a caller or crafted data makes'} the driver allocate as much ${sink.name === 'IoAllocateMdl' ? 'MDL' : 'pool'} as ${multiplied ? 'the count times the element size' : 'the value says'}, exhausting memory the whole system shares (CWE-789). ` +
      `Cap it first against a limit the driver chooses, or against the length of the buffer it describes: 'if (${text(node)} > MAX_${multiplied ? 'ENTRIES' : 'BYTES'}) return STATUS_INVALID_PARAMETER;'.`,
    path: [...t.steps, ...(via ? [{ node: via, label: `size computed by ${calleeName(src, via)}` }] : []), { node: sink.expr, label: `used as the size of ${sink.name}` }],
  });
}
