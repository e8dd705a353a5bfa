/** KS1207's findings on memory a non-zeroing allocation returned (flow/uninitialized-pool.ts). */
import { AstNode, nodeText, SubtreeMemo } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { poolCandidates, uninitializedPoolReads } from '../../server/src/engine/flow/uninitialized-pool';
import type { UninitializedRead } from '../../server/src/engine/flow/uninitialized';
import type { RuleContext } from '../../server/src/engine/rule';

/** What each function's body gives (it depends on nothing else: see FileAnalysis.bodyAnswers). */
const answers = new SubtreeMemo<readonly UninitializedRead[]>();

export function reportPoolReads(ctx: RuleContext): void {
  const src = ctx.file.source;
  const text = (n: AstNode): string => nodeText(src, n).replace(/\s+/g, ' ');
  const keep = (f: FunctionInfo): boolean => f.errorCount === 0 && poolCandidates(src, f).size > 0;
  for (const { fn, value } of ctx.analysis.bodyAnswers(answers, ctx.file.lang, keep, (fn, flow) => uninitializedPoolReads(flow, poolCandidates(src, fn)))) {
    for (const r of value) {
      const allocator = poolCandidates(src, fn).get(r.name)!.allocator;
      const line = src.positionAt(r.declarator.start).line + 1;
      const harm = `${allocator} does not zero the block: it holds what its previous owner left there, often another request's data or an attacker's, sprayed into the pool first. A length read from it can overrun a buffer, a pointer or callback read from it sends the kernel where the attacker chose, and copying it out discloses kernel memory.`;
      const fix = `Allocate with ExAllocatePool2 (which zeroes by default), or RtlZeroMemory the block right after the allocation; or write every field on every path before reading one.`;
      const where = r.branch ? `when '${text(r.branch.cond)}' at line ${src.positionAt(r.branch.cond.start).line + 1} is ${r.branch.polarity ? 'true' : 'false'}, nothing has been written to it since it was allocated at line ${line}, and every path from that branch reaches this read first` : `nothing is written to it between its allocation at line ${line} and this read, on every path`;
      ctx.report({
        node: r.read,
        severity: r.branch ? 'warning' : undefined,
        message: `'${text(r.read)}' ${r.branch ? 'may read' : 'reads'} memory '${r.name}' points at before anything was written to it: ${where}. ${harm} ${fix}`,
        path: [{ node: r.declarator, label: `allocated, not zeroed` }, ...(r.branch ? [{ node: r.branch.cond, label: r.branch.polarity ? 'true here' : 'false here' }] : []), { node: r.read, label: 'read' }],
      });
    }
  }
}
