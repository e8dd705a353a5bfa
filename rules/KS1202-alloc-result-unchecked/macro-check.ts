/**
 * Projects test allocations with their own macros (`BAIL_ON_ALLOC_FAILURE(Keyword, p, "p", Status);`), which
 * expand to `if ((p) == NULL) { ...; goto Exit; }`. Only a macro can test a pointer and leave the caller, so a
 * macro invocation that receives the pointer itself before the use is looked at: its `#define` in this file says
 * whether it is such a test; without one the finding is only a possibility.
 */
import type { RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, unwrap, walk } from '../../server/src/engine/ast';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { pathOf } from '../../server/src/engine/flow/paths';
import { callArgs, calleeName } from '../../server/src/engine/syntax';

/** Upper-case names that are known not to test anything (assertions vanish from release builds). */
const NOT_TESTS = new Set(['ASSERT', 'NT_ASSERT', 'NT_ASSERTMSG', 'ASSERTMSG', 'NT_VERIFY', 'NT_VERIFYMSG', 'UNREFERENCED_PARAMETER', 'DBG_UNREFERENCED_PARAMETER', 'UNREFERENCED_LOCAL_VARIABLE', 'CONTAINING_RECORD', 'FIELD_OFFSET', 'RTL_FIELD_SIZE', 'ARGUMENT_PRESENT']);
const LEAVES = new Set(['goto_statement', 'return_statement', 'seh_leave_statement']);

export type MacroTest = { kind: 'tests' } | { kind: 'unseen'; macro: string } | undefined;

/** Does the `#define` body test parameter `param` against NULL and leave when it is NULL? */
function bodyTests(ctx: RuleContext, body: AstNode, param: string): boolean {
  const isNull = (n: AstNode | undefined): boolean => !!n && ['NULL', 'nullptr', '0'].includes(ctx.text(unwrap(n)));
  const isParam = (n: AstNode | undefined): boolean => !!n && unwrap(n).type === 'identifier' && ctx.text(unwrap(n)) === param;
  return descendants(body, 'if_statement').some((s) => {
    const cond = child(s, 'condition');
    const c = cond && unwrap(cond);
    const op = c?.children.find((x) => x.field === 'operator');
    const opText = op ? ctx.text(op) : '';
    const tests = !!c && ((c.type === 'unary_expression' && opText === '!' && isParam(child(c, 'argument'))) ||
      (c.type === 'binary_expression' && opText === '==' && ((isParam(child(c, 'left')) && isNull(child(c, 'right'))) || (isParam(child(c, 'right')) && isNull(child(c, 'left'))))));
    const body2 = child(s, 'consequence');
    let leaves = false;
    if (body2) {
      walk(body2, (n) => {
        if (LEAVES.has(n.type)) leaves = true;
        return !leaves;
      });
    }
    return tests && leaves;
  });
}

/**
 * A macro invocation before `use` (on every path to it) that receives the pointer at `path` as one of its
 * arguments: `tests` when this file's `#define` of it tests that argument for NULL and leaves, `unseen` when the
 * file has no `#define` of it; undefined when there is none, or its `#define` is no such test.
 */
export function macroTest(ctx: RuleContext, flow: FunctionFlow, path: string, alloc: AstNode, use: AstNode): MacroTest {
  let found: MacroTest;
  for (const call of descendants(flow.fn.body, 'call_expression')) {
    if (call.start < alloc.end || call.end > use.start) continue;
    const name = calleeName(ctx.file, call) ?? '';
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || NOT_TESTS.has(name)) continue;
    const at = callArgs(call).findIndex((a) => pathOf(ctx.file.source, unwrap(a)) === path);
    if (at < 0 || !flow.dominates(call, use)) continue;
    const def = descendants(ctx.file.root, 'preproc_function_def').find((d) => ctx.text(child(d, 'name') ?? d) === name);
    if (!def) {
      found ??= { kind: 'unseen', macro: name };
      continue;
    }
    const params = child(def, 'parameters')?.children.filter((c) => c.type === 'identifier').map((c) => ctx.text(c)) ?? [];
    const value = child(def, 'value');
    const body = value && ctx.file.parseFragment?.(value.start, value.end);
    if (body && params[at] && bodyTests(ctx, body, params[at])) return { kind: 'tests' };
  }
  return found;
}

/** The finding when a macro whose definition is not in this file may be the NULL check: a note that says so. */
export function reportMaybe(ctx: RuleContext, call: AstNode, name: string, use: AstNode, what: string, macro: string): void {
  ctx.report({
    node: use,
    severity: 'note',
    message: `${what} comes from '${name}', which returns NULL when memory or system resources run out, and is used here with no NULL check this analysis can see. '${macro}' receives it first and may be that check, but its definition is not in this file; if it does not test the pointer and leave, the NULL dereference bug-checks the machine.`,
    path: [{ node: call, label: `'${name}' may return NULL` }, { node: use, label: `used after '${macro}'` }],
  });
}
