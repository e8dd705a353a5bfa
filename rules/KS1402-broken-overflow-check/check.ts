import { defineCheck } from '../../server/src/engine/rule';
import { AstNode, SubtreeMemo, walk } from '../../server/src/engine/ast';
import type { ParsedFile } from '../../server/src/engine/parse/parse';
import { insideSizeContext, opOf } from '../../server/src/engine/flow/paths';
import { declaredTypes } from '../../server/src/engine/flow/types';
import { targetBuild, WINDOWS_BUILDS } from '../../server/src/engine/target-os';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { brokenWrapTest, RELATIONAL, sumSide } from './wrap-test';
import { rawUserRequest, wrappingSum } from './wrapping-sum';

/** Relational comparisons of a sum in a function body that are evaluated at run time (syntax only, so remembered). */
function sumComparisons(file: ParsedFile, body: AstNode): readonly AstNode[] {
  return comparisonMemo.get(body, '', () => {
    const src = file.source;
    const out: AstNode[] = [];
    walk(body, (n) => {
      if (n.type === 'lambda_expression') return false;
      if (n.type === 'binary_expression' && RELATIONAL.has(opOf(src, n)) && !insideSizeContext(src, n) && sumSide(file, n)) out.push(n);
      return true;
    });
    return out;
  });
}

const comparisonMemo = new SubtreeMemo<readonly AstNode[]>();

export default defineCheck({
  check(ctx) {
    const file = ctx.file;
    const src = file.source;
    if (isUserModeFile(file)) return;
    // Windows 11 has no 32-bit x86 kernel: a SIZE_T sum is 64 bits wide on every target.
    const build = targetBuild(ctx.options.minimumTargetOs);
    const noX86 = build !== undefined && build >= WINDOWS_BUILDS.win11;
    for (const fn of ctx.analysis.functions) {
      if (fn.damaged) continue;
      // Every check compares a sum: the declared types are worked out only for functions that have one.
      const withSum = sumComparisons(file, fn.body);
      if (!withSum.length) continue;
      const types = declaredTypes(src, fn);
      // Comparisons of a sum with something else: candidates for the data-flow check.
      const sums: AstNode[] = [];
      for (const cmp of withSum) {
        const broken = brokenWrapTest(file, types, cmp);
        if (broken) ctx.report(broken);
        else sums.push(cmp);
      }
      if (!sums.length || !ctx.analysis.hasTaint(fn)) continue;
      const flow = ctx.analysis.flow(fn);
      if (!flow) continue;
      let rawRequest: boolean | undefined;
      const raw = (): boolean => (rawRequest ??= rawUserRequest(file, flow));
      for (const cmp of sums) {
        const finding = wrappingSum(file, flow, types, cmp, raw, noX86);
        if (finding) ctx.report(finding);
      }
    }
  },
});
