import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, countDescendants, descendants, walk } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { stripParens } from '../../server/src/engine/flow/cfg-core';
import { Dispatch, interpreterDispatches } from '../../server/src/engine/interpreter';
import { afterSwitch, caseCount, loopAfter, defaultAction, narrowFieldMax, UnknownPath } from '../../server/src/engine/switch-exits';
import { defaultCase } from '../../server/src/engine/flow/cfg';
import { conditionValue, isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated } from '../../server/src/engine/untrusted';

const FIX = "Unknown or unsupported content must fail closed: give the switch a 'default:' that rejects the whole item (fail the request or mark the content invalid and keep the last known-good version) instead of interpreting the rest of it, and have the user-mode publisher or validator reject unknown opcodes and versions before they ship";

/**
 * Names the subject is read through: its own, and for a local (`t = rec->Type; switch (t)`) those of its source.
 * `names` are all of them (a loop that moves one reads another record); `record` only those holding untrusted
 * data, the record itself (not `Irp` in `((PREQ)Irp->AssociatedIrp.SystemBuffer)->Command`, not an index `i`).
 */
function recordRoots(ctx: RuleContext, fn: FunctionInfo, flow: FunctionFlow, sw: AstNode, subject: AstNode): { names: Set<string>; record: Set<string> } {
  const names = new Set<string>();
  const record = new Set<string>();
  const add = (n: AstNode): void => walk(n, (c) => {
    if (c.type === 'call_expression') {
      const args = child(c, 'arguments');
      if (args) add(args);
      return false;
    }
    if (c.type === 'identifier') {
      names.add(ctx.text(c));
      if (flow.taint(c)) record.add(ctx.text(c));
    }
    return true;
  });
  add(subject);
  if (subject.type !== 'identifier') return { names, record };
  const name = ctx.text(subject);
  let value: AstNode | undefined;
  walk(fn.body, (n) => {
    if (n.start >= sw.start) return false;
    const left = n.type === 'assignment_expression' ? child(n, 'left') : n.type === 'init_declarator' ? child(n, 'declarator') : undefined;
    if (left?.type === 'identifier' && ctx.text(left) === name) value = child(n, n.type === 'init_declarator' ? 'value' : 'right') ?? value;
    return true;
  });
  if (value) add(value);
  return { names, record };
}

/** The subject is range-checked, or the cases name every value its type can hold. */
function covered(ctx: RuleContext, flow: FunctionFlow, sw: AstNode, subject: AstNode, max: number | undefined): boolean {
  if (flow.isBounded(subject) || flow.guards(subject).some((g) => g.rel !== 'nonzero' && g.rel !== 'lower')) return true;
  const narrow = narrowFieldMax(ctx.file, subject) ?? max;
  return narrow !== undefined && caseCount(ctx.file, sw) > narrow;
}

export default defineCheck({
  check(ctx) {
    // Content parsed in the kernel is the concern: test tools and services in a driver's tree are not.
    if (isUserModeFile(ctx.file)) return;
    for (const fn of ctx.analysis.functions) {
      if (!countDescendants(fn.body, 'switch_statement') || !ctx.analysis.hasTaint(fn)) continue;
      const flow = ctx.analysis.flow(fn);
      if (!flow) continue;
      let dispatches: Dispatch[] | undefined;
      for (const sw of descendants(fn.body, 'switch_statement')) {
        const cond = conditionValue(child(sw, 'condition'));
        const subject = cond && stripParens(cond);
        const t = subject && flow.taint(subject);
        // A field of the data (read through an untrusted pointer), not a length, a pointer or the request's code.
        if (!subject || !t || !t.has('value') || !t.loaded || t.length || t.has('buffer') || t.has('user-pointer')) continue;
        if (covered(ctx, flow, sw, subject, t.max)) continue;
        const roots = recordRoots(ctx, fn, flow, sw, subject);
        dispatches ??= interpreterDispatches(ctx.file, fn.body);
        const dispatch = dispatches.find((d) => d.node === sw);
        // A walk that steps over every record by the length the record gives skips an unknown type whole, as
        // descriptor lists are meant to be read (USB, ACPI, extended attributes): nothing of it is half-built.
        if (dispatch?.variableLength && !dispatch.consumesOperands) continue;
        const walksRecords = (loop: AstNode): boolean => {
          if (dispatches!.some((d) => d.loop === loop)) return true;
          // The next iteration reads another record: the loop moves a name the subject is read through.
          let moves = false;
          walk(loop, (n) => {
            const target = n.type === 'assignment_expression' ? child(n, 'left') : n.type === 'update_expression' ? child(n, 'argument') : undefined;
            if (target?.type === 'identifier' && roots.names.has(ctx.text(target))) moves = true;
            return !moves;
          });
          return moves;
        };
        const def = defaultCase(sw);
        let path: UnknownPath;
        let what: string;
        if (def) {
          const d = defaultAction(ctx.file, def);
          if (d.action === 'acts') continue;
          path = d.action === 'continue' ? loopAfter(d.at!, walksRecords) : afterSwitch(ctx.file, sw, roots.record, walksRecords);
          what = d.action === 'continue' ? "its 'default:' skips the value and" : "its 'default:' only breaks (or logs) and";
        } else {
          path = afterSwitch(ctx.file, sw, roots.record, walksRecords);
          what = "it has no 'default:', so";
        }
        if (path.verdict !== 'carry') continue;
        const uncertain = onlyAnnotated(t);
        const subj = ctx.text(subject).replace(/\s+/g, ' ');
        const origin = t.steps[0]?.label ?? 'untrusted data';
        ctx.report({
          node: def ? def.children[0] ?? def : sw.children[0] ?? sw,
          severity: uncertain ? 'note' : undefined,
          message:
            `This switch on '${subj}', a value that ${uncertain ? 'may come' : 'comes'} from untrusted data (${origin}), does not reject values it does not know: ${what} ${path.how ?? 'processing goes on'}, as if the record were valid. ` +
            `What the missing case would have set stays unset or stale, and a later step that trusts that half-built state may read or write out of bounds, which in kernel mode bug-checks the machine. ${FIX}.`,
          path: [...t.steps, { node: subject, label: 'switched on' }, ...(path.at ? [{ node: path.at, label: 'carries on with an unknown value' }] : [])],
        });
      }
    }
  },
});
