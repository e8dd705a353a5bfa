import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, descendants } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { Dispatch, interpreterDispatches } from '../../server/src/engine/interpreter';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { onlyAnnotated } from '../../server/src/engine/untrusted';

const USER_MODE = 'Interpreting content in kernel mode turns every parser bug into a bug check (the July 2024 outage was a kernel content interpreter reading the 21st entry of a 20-entry input array). Move the engine to a protected user-mode service: a minifilter can send each request over a communication port (FltSendMessage, answered with FilterGetMessage/FilterReplyMessage) and the kernel only enforces the verdict; the Windows endpoint security platform is meant to host such engines outside the kernel. If it must stay, fuzz it in a user-mode harness, bound its steps, and validate every index and count against what was supplied (KS1001-KS1006)';
const PE_TYPES = /^P?IMAGE_(NT_HEADERS(32|64)?|SECTION_HEADER|EXPORT_DIRECTORY|IMPORT_DESCRIPTOR|RESOURCE_DIRECTORY(_ENTRY)?|BASE_RELOCATION|THUNK_DATA(32|64)?|OPTIONAL_HEADER(32|64)?)$/;
const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement']);

/** Why a dispatch looks like an interpreter rather than ordinary code, or undefined when the evidence is thin. */
function evidence(ctx: RuleContext, fn: FunctionInfo, d: Dispatch): { why: string; path: { node: AstNode; label: string }[] } | undefined {
  if (d.kind === 'switch' && d.cases < 3) return undefined;
  const flow = ctx.analysis.flow(fn);
  const taint = flow?.taint(d.opcode);
  const t = taint && !onlyAnnotated(taint) ? taint : undefined;
  // Variable-length records alone make a parser (descriptor lists, TLVs), not an interpreter.
  if (!t && !d.consumesOperands) return undefined;
  const reasons = [
    t ? `the buffer holds untrusted data (${t.steps[0]?.label ?? 'request data'})` : '',
    d.variableLength ? 'records have a length read from the data' : '',
    d.consumesOperands ? 'handlers consume operands from the buffer' : '',
  ].filter(Boolean);
  const steps = (t?.steps ?? []).filter((s) => s.node).map((s) => ({ node: s.node!, label: s.label }));
  return { why: reasons.join(', '), path: [...steps, { node: d.opcode, label: 'opcode read from the buffer' }, { node: d.node, label: d.kind === 'switch' ? 'dispatched through a switch' : 'dispatched through a handler table' }] };
}

export default defineCheck({
  check(ctx) {
    // The rule is about what runs in the kernel: test tools and services in a driver's source tree are not.
    if (isUserModeFile(ctx.file)) return;
    for (const fn of ctx.analysis.functions) {
      let reported = false;
      for (const d of interpreterDispatches(ctx.file, fn.body)) {
        const e = evidence(ctx, fn, d);
        if (!e) continue;
        const how = d.kind === 'switch' ? `a switch with ${d.cases} cases` : `a table of handlers ('${ctx.text(d.node).split('(')[0].trim()}')`;
        ctx.report({
          node: d.kind === 'switch' ? d.node.children[0] ?? d.node : d.node,
          message: `This function works like a content interpreter: a loop reads an opcode or record type from a buffer ('${ctx.text(d.opcode).replace(/\s+/g, ' ')}') and dispatches on it through ${how}; ${e.why}. ${USER_MODE}.`,
          path: e.path,
        });
        reported = true;
        break;
      }
      if (reported) continue;
      const peType = descendants(fn.body, 'type_identifier').find((t) => PE_TYPES.test(ctx.text(t)));
      if (peType && descendants(fn.body, LOOPS).length > 0) {
        ctx.report({
          node: peType,
          severity: 'note',
          message: `This function parses a PE image ('${ctx.text(peType)}') in kernel mode: headers, section tables and directories hold offsets and counts that a crafted or corrupt file sets at will. ${USER_MODE}.`,
        });
      }
    }
  },
});
