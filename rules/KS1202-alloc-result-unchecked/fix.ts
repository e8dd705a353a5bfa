/**
 * KS1202's fix: a NULL test right after the statement that stores the result, returning
 * STATUS_INSUFFICIENT_RESOURCES. Safe only where nothing acquired earlier in the function would be left held.
 */
import type { RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { calleeName } from '../../server/src/engine/syntax';

const ACQUIRING = /Acquire|Lock|Allocat|Reference|Create|Open|Enter|Raise|Insert|Register/;

export function nullCheckFix(ctx: RuleContext, fn: FunctionInfo, call: AstNode, target: string) {
  const type = child(fn.node, 'type');
  const stmt = call.parent && ctx.analysis.functionAt(call) === fn ? statementOf(call) : undefined;
  if (!type || ctx.text(type) !== 'NTSTATUS' || !stmt || stmt.parent?.type !== 'compound_statement') return [];
  const line = ctx.file.source.lineText(ctx.file.source.positionAt(stmt.start).line);
  const indent = line.slice(0, line.length - line.trimStart().length);
  const acquired = descendants(fn.body, 'call_expression').some((c) => c.end <= stmt.start && ACQUIRING.test(calleeName(ctx.file, c) ?? ''));
  return [{
    title: `Return STATUS_INSUFFICIENT_RESOURCES when '${target}' is NULL`,
    safety: acquired ? ('unsafe' as const) : ('safe' as const),
    edits: [{ start: insertAfter(ctx, stmt), end: insertAfter(ctx, stmt), newText: `\n${indent}if (${target} == NULL) {\n${indent}    return STATUS_INSUFFICIENT_RESOURCES;\n${indent}}` }],
  }];
}

/** Where a line goes after `stmt`: after a comment that ends its line (`p = Map(...); // why`), else after it. */
function insertAfter(ctx: RuleContext, stmt: AstNode): number {
  const next = stmt.parent?.children[stmt.index + 1];
  const src = ctx.file.source;
  const sameLine = next?.type === 'comment' && src.positionAt(next.start).line === src.positionAt(stmt.end).line && src.positionAt(next.end).line === src.positionAt(next.start).line;
  // A line comment in a CRLF file takes the carriage return with it.
  return sameLine ? next.end - (src.text.charCodeAt(next.end - 1) === 13 ? 1 : 0) : stmt.end;
}

function statementOf(node: AstNode): AstNode | undefined {
  let n: AstNode | undefined = node;
  while (n && n.type !== 'expression_statement' && n.type !== 'declaration') n = n.parent;
  return n;
}
