import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, nodeText, TextSource } from '../../server/src/engine/ast';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { provesCompared } from '../../server/src/engine/flow/guards';
import { leavesOf, pathOf, stripCasts } from '../../server/src/engine/flow/paths';
import { ALLOCATION_SIZE_ARGS, COPY_CALLS } from '../../server/src/engine/flow/sources';
import { callArguments, calleeName } from '../../server/src/engine/flow/taint';
import type { Taint } from '../../server/src/engine/flow/taint-answer';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated, uncheckedDataLength } from '../../server/src/engine/untrusted';

/** Size arguments: allocation sizes and probe lengths (argument positions). */
const SIZE_ARGS: ReadonlyMap<string, { arg: number; what: string }> = new Map([
  ...[...ALLOCATION_SIZE_ARGS].map(([name, arg]): [string, { arg: number; what: string }] => [name, { arg, what: 'allocation size' }]),
  ['IoAllocateMdl', { arg: 1, what: 'MDL length' }],
  ['ProbeForRead', { arg: 1, what: 'probe length' }],
  ['ProbeForWrite', { arg: 1, what: 'probe length' }],
]);

/** Sinks: size arguments, copy lengths, `new T[n]` counts and loop bounds. */
/** A size can wrap to a small value that passes a cap; a copy length or loop bound, once capped, cannot exceed it. */
type SinkKind = 'size' | 'copy' | 'loop';

function sinks(ctx: RuleContext, body: AstNode): { expr: AstNode; what: string; kind: SinkKind }[] {
  const src = ctx.file.source;
  const out: { expr: AstNode; what: string; kind: SinkKind }[] = [];
  for (const n of descendants(body, new Set(['call_expression', 'new_declarator', 'for_statement', 'while_statement']))) {
    if (n.type === 'call_expression') {
      const name = calleeName(src, n) ?? '';
      const size = SIZE_ARGS.get(name);
      const copy = COPY_CALLS.get(name);
      const arg = size ? callArguments(n)[size.arg] : copy ? callArguments(n)[copy.len] : undefined;
      if (arg) out.push({ expr: arg, what: size ? `${size.what} of ${name}` : `length of ${name}`, kind: size ? 'size' : 'copy' });
    } else if (n.type === 'new_declarator') {
      const len = child(n, 'length');
      if (len) out.push({ expr: len, what: 'element count of new[]', kind: 'size' });
    } else {
      const cond = child(n, 'condition');
      const c = cond && stripCasts(cond);
      const op = c?.type === 'binary_expression' ? nodeText(src, child(c, 'operator') ?? c) : '';
      const right = c && (op === '<' || op === '<=') ? child(c, 'right') : undefined;
      if (right) out.push({ expr: right, what: 'loop bound', kind: 'loop' });
    }
  }
  return out;
}

/** `sizeof(T)`, `FIELD_OFFSET(...)` or C's `offsetof(...)`, a number or an upper-case constant. */
function isConstantSize(src: TextSource, n: AstNode): boolean {
  const x = stripCasts(n);
  if (x.type === 'sizeof_expression' || x.type === 'offsetof_expression' || x.type === 'number_literal') return true;
  if (x.type === 'identifier') return /^[A-Z][A-Z0-9_]*$/.test(nodeText(src, x));
  return x.type === 'call_expression' && /^(FIELD_OFFSET|RTL_SIZEOF_THROUGH_FIELD|offsetof|sizeof)$/.test(nodeText(src, child(x, 'function') ?? x));
}

/**
 * The operand that leaves `arith` unchecked: untrusted here and not bounded from above, or for a minuend not
 * compared at all (and not an `n - 1` with n tested non-zero). Its origin, not the sink's, is what the message names.
 */
function uncheckedOperand(flow: FunctionFlow, src: TextSource, arith: AstNode, op: string): { node: AstNode; taint: Taint } | undefined {
  const l = child(arith, 'left');
  const r = child(arith, 'right');
  for (const x of [l, r]) {
    const xt = x && flow.taint(x);
    if (!x || !xt || flow.isBounded(x)) continue;
    if (op === '-' && x === l) {
      const leaves = leavesOf(src, x);
      if (leaves.length && leaves.every((lf) => flow.guardsOn(lf.path, arith).some(provesCompared))) continue;
      const p = pathOf(src, stripCasts(x));
      if (r && nodeText(src, stripCasts(r)) === '1' && p !== undefined && flow.guardsOn(p, arith).some((g) => g.rel === 'nonzero')) continue;
    }
    return { node: x, taint: xt };
  }
  return undefined;
}

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    for (const { fn, flow } of ctx.analysis.taintedFunctions()) {
      const seen = new Set<number>();
      for (const sink of sinks(ctx, fn.body)) {
        const t = flow.taint(sink.expr);
        const arith = t?.arith;
        // Copy lengths that are unchecked data themselves are KS1003's (its message covers the arithmetic).
        if (!t || !arith || seen.has(arith.start) || (sink.kind === 'copy' && !!uncheckedDataLength(flow, sink.expr))) continue;
        // A copy length or loop bound capped here (`if (n > Max) n = Max;`) is at most the cap whatever the sum did;
        // a size, by contrast, may have wrapped to a small value that passes the cap.
        if (sink.kind !== 'size' && flow.isBounded(sink.expr)) continue;
        // The arithmetic itself must see untrusted data here, not only parameters no caller taints.
        const at = flow.taint(arith);
        if (!at || at.bounded) continue;
        seen.add(arith.start);
        const op = nodeText(src, child(arith, 'operator') ?? arith).trim();
        // `end - cursor` from a buffer pointer is a distance between addresses (or an address), not a value
        // read from the data; bounding the cursor is the parser's concern, not this arithmetic's.
        const minuend = op === '-' ? child(arith, 'left') : undefined;
        const lt = minuend && flow.taint(minuend);
        if (lt && (lt.has('buffer') || lt.has('user-pointer'))) continue;
        // A real buffer's length plus a header or sizeof cannot reach the top of the address space.
        if (op === '+' && at.length && [child(arith, 'left'), child(arith, 'right')].some((x) => x && isConstantSize(src, x))) continue;
        const kind = op === '-' ? 'wrap below zero' : 'overflow';
        const helper = op === '*' ? 'RtlSizeTMult' : op === '-' ? 'RtlSizeTSub' : 'RtlSizeTAdd';
        const expr = nodeText(src, arith).replace(/\s+/g, ' ');
        // Name the operand and its origin: the sink's value may have come in through another operand or step.
        const operand = uncheckedOperand(flow, src, arith, op);
        const shown = operand && (operand.node.type === 'parenthesized_expression' ? stripCasts(operand.node) : operand.node);
        const who = shown ? `'${nodeText(src, shown).replace(/\s+/g, ' ')}'` : 'an operand';
        const ot = operand?.taint ?? at;
        const steps = ot.steps[0]?.label === t.steps[0]?.label ? t.steps : ot.steps;
        const sal = onlyAnnotated(ot);
        const sinkIsArith = stripCasts(sink.expr) === arith;
        ctx.report({
          node: arith,
          severity: sal ? 'note' : undefined,
          message:
            `'${expr}' ${sal ? 'may' : 'can'} ${kind}: ${who} ${sal ? 'may come' : 'comes'} from untrusted data (${steps[0]?.label ?? 'untrusted input'}) and is not range-checked, and the result ${sinkIsArith ? 'is' : 'feeds'} the ${sink.what}. ` +
            `A wrapped size allocates or probes too little and the code then writes past it. Compute it with ${helper} (ntintsafe.h) and fail on its error status, or bound the operand first.`,
          path: [...steps, { node: arith, label: `unchecked '${op}'` }, { node: sink.expr, label: `used as the ${sink.what}` }],
        });
      }
    }
  },
});
