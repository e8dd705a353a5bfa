import { defineCheck } from '../../server/src/engine/rule';
import { nodeText, SubtreeMemo } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { knownNullDereferences, nullCandidates, NullDereference } from '../../server/src/engine/flow/known-null';
import { isUserModeFile } from '../../server/src/engine/syntax';

/** What each function's body gives (it depends on nothing else: see FileAnalysis.bodyAnswers). */
const answers = new SubtreeMemo<readonly NullDereference[]>();

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    // "Every path" is only a claim about the code when the whole body parsed.
    const keep = (f: FunctionInfo): boolean => f.errorCount === 0 && nullCandidates(src, f) !== undefined;
    const found = ctx.analysis.bodyAnswers(answers, ctx.file.lang, keep, (fn, flow) => knownNullDereferences(flow, fn, nullCandidates(src, fn)!));
    for (const { value } of found) {
      for (const d of value) {
        const line = src.positionAt(d.origin.start).line + 1;
        const what = nodeText(src, d.deref).replace(/\s+/g, ' ');
        const crash = `A NULL dereference in kernel mode bug-checks the machine (SYSTEM_SERVICE_EXCEPTION, PAGE_FAULT_IN_NONPAGED_AREA), or, inside a __try, turns into an exception the caller never expected.`;
        if (d.kind === 'stored') {
          ctx.report({
            node: d.deref,
            message: `'${what}' dereferences '${d.name}', which is NULL whenever line ${line} runs: it is set to NULL there, and every path from there reaches this dereference with no new value and no test of it. ${crash} Test '${d.name}' before using it, or leave the function on the path that clears it.`,
            path: [{ node: d.origin, label: `'${d.name}' set to NULL` }, { node: d.deref, label: 'dereferenced' }],
          });
        } else {
          ctx.report({
            node: d.deref,
            severity: 'warning',
            message: `'${what}' may dereference NULL: on the branch where '${nodeText(src, d.origin).replace(/\s+/g, ' ')}' at line ${line} finds '${d.name}' NULL, every path reaches this dereference with no new value and no further test. ${crash} Leave the function (or skip the use) on that branch; if '${d.name}' can never be NULL there, the test is misleading and an assertion says so better.`,
            path: [{ node: d.origin, label: `'${d.name}' found NULL` }, { node: d.deref, label: 'dereferenced' }],
          });
        }
      }
    }
  },
});
