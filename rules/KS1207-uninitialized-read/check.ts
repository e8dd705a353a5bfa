import { defineCheck } from '../../server/src/engine/rule';
import type { ReportSpec } from '../../server/src/engine/rule';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { AstNode, nodeText, SubtreeMemo, TextSource } from '../../server/src/engine/ast';
import { UninitCandidate, uninitCandidates, UninitializedRead, uninitializedReads } from '../../server/src/engine/flow/uninitialized';
import { intTypeOf, isPointerTypedef } from '../../server/src/engine/flow/types';
import { isUserModeFile } from '../../server/src/engine/syntax';
import { reportPoolReads } from './pool';

type FixSpec = NonNullable<ReportSpec['fixes']>[number];

/** Scalar type names beside the integer ones: status codes, IRQLs, floating point. */
const SCALARS = /^(NTSTATUS|KIRQL|KPRIORITY|HRESULT|float|double|bool)$/;

/**
 * Initializing where the variable is declared: `= NULL` for a pointer, `= 0` for a scalar, `= { 0 }` (C) or
 * `= {}` (C++) for anything else, which C accepts for every object type. Safe: it only changes what a read that
 * had no defined value sees.
 */
function initialize(src: TextSource, c: UninitCandidate, cpp: boolean, name: string): FixSpec {
  const type = c.decl.children.find((x) => x.field === 'type');
  const t = type ? nodeText(src, type) : '';
  const value = c.pointer || isPointerTypedef(t) || t === 'HANDLE' ? 'NULL' : intTypeOf(t) || SCALARS.test(t) ? '0' : cpp ? '{}' : '{ 0 }';
  return { title: `Initialize '${name}' where it is declared (= ${value})`, safety: 'safe', edits: [{ start: c.declarator.end, end: c.declarator.end, newText: ` = ${value}` }] };
}

/** What each function's body gives (it depends on nothing else: see FileAnalysis.bodyAnswers). */
const answers = new SubtreeMemo<readonly UninitializedRead[]>();

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    const cpp = ctx.file.lang === 'cpp';
    // "Every path" is only a claim about the code when the whole body parsed.
    const candidates = (f: FunctionInfo): ReadonlyMap<string, UninitCandidate> | undefined => (f.errorCount === 0 ? uninitCandidates(src, f, cpp) : undefined);
    const text = (n: AstNode): string => nodeText(src, n).replace(/\s+/g, ' ');
    const keep = (f: FunctionInfo): boolean => !!candidates(f)?.size;
    reportPoolReads(ctx);
    for (const { fn, value } of ctx.analysis.bodyAnswers(answers, cpp, keep, (fn, flow) => uninitializedReads(flow, candidates(fn)!))) {
      const found = candidates(fn)!;
      for (const r of value) {
        const fixes = [initialize(src, found.get(r.name)!, cpp, r.name)];
        const declared = src.positionAt(r.declarator.start).line + 1;
        const harm = `Stack memory holds whatever the previous call left there: a length read from it can overrun a buffer, a pointer or callback read from it can send the kernel anywhere (an attacker can often spray the stack first), and copying it to the caller discloses kernel data.`;
        if (!r.branch) {
          ctx.report({
            node: r.read,
            message: `'${r.name}' is read here before anything gives it a value: it is declared without an initializer at line ${declared}, and every path from there reaches this read first. ${harm} Initialize it where it is declared (= { 0 } for a structure).`,
            path: [{ node: r.declarator, label: `'${r.name}' declared without a value` }, { node: r.read, label: 'read' }],
            fixes,
          });
          continue;
        }
        const line = src.positionAt(r.branch.cond.start).line + 1;
        if (r.kind === 'unmatched') {
          ctx.report({
            node: r.read,
            severity: 'warning',
            message: `'${r.name}' may be read here without a value: when the value of 'switch ${text(r.branch.cond)}' at line ${line} matches none of its cases (it has no default), nothing has written it since its declaration (line ${declared}), and every path from there reaches this read first. ${harm} Give '${r.name}' a value in a 'default:' case (or reject the value there), or initialize it where it is declared.`,
            path: [{ node: r.declarator, label: `'${r.name}' declared without a value` }, { node: r.branch.cond, label: 'no case matches' }, { node: r.read, label: 'read' }],
            fixes,
          });
          continue;
        }
        ctx.report({
          node: r.read,
          severity: 'warning',
          message: `'${r.name}' may be read here without a value: when '${text(r.branch.cond)}' at line ${line} is ${r.branch.polarity ? 'true' : 'false'}, no path from its declaration (line ${declared}) has written it, and every path from that branch reaches this read first. ${harm} Initialize it where it is declared (= { 0 } for a structure), or give it a value on that branch too.`,
          path: [{ node: r.declarator, label: `'${r.name}' declared without a value` }, { node: r.branch.cond, label: r.branch.polarity ? 'true here' : 'false here' }, { node: r.read, label: 'read' }],
          fixes,
        });
      }
    }
  },
});
