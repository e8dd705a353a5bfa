/**
 * Projects test allocations with their own macros (`BAIL_ON_ALLOC_FAILURE(Keyword, p, "p", Status);`), which
 * expand to `if ((p) == NULL) { ...; goto Exit; }`. Only a macro can test a pointer and leave the caller, so a
 * macro invocation that receives the pointer itself before the use is looked at: its `#define` in this file, or
 * else the one the project defines (one definition, or several that agree), says whether it is such a test; without
 * one the finding is only a possibility.
 */
import type { RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, unwrap } from '../../server/src/engine/ast';
import { nullTestedParams } from '../../server/src/engine/flow/macro-table';
import { effective } from '../../server/src/engine/flow/macro-values';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { pathOf } from '../../server/src/engine/flow/paths';
import { callArgs, calleeName } from '../../server/src/engine/syntax';

/** Upper-case names that are known not to test anything (assertions vanish from release builds). */
const NOT_TESTS = new Set(['ASSERT', 'NT_ASSERT', 'NT_ASSERTMSG', 'ASSERTMSG', 'NT_VERIFY', 'NT_VERIFYMSG', 'UNREFERENCED_PARAMETER', 'DBG_UNREFERENCED_PARAMETER', 'UNREFERENCED_LOCAL_VARIABLE', 'CONTAINING_RECORD', 'FIELD_OFFSET', 'RTL_FIELD_SIZE', 'ARGUMENT_PRESENT']);

export type MacroTest = { kind: 'tests' } | { kind: 'unseen'; macro: string } | undefined;

/**
 * A macro invocation before `use` (on every path to it) that receives the pointer at `path` as one of its
 * arguments: `tests` when its `#define` (this file's, else the project's) tests that argument for NULL and leaves,
 * `unseen` when the file does not define it and the project's definition is no such test (or there is none, or
 * several that differ); undefined when there is no such macro, or this file's `#define` is no such test.
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
      // Defined in another file of the project: its summary says whether it tests that argument and leaves; any
      // other definition elsewhere, like none, leaves the finding a possibility (a build may define it otherwise).
      const m = effective(ctx.analysis.project.macro(name));
      if (m?.kind === 'macro' && m.arity === callArgs(call).length && m.nullTests.includes(at)) return { kind: 'tests' };
      found ??= { kind: 'unseen', macro: name };
      continue;
    }
    const params = child(def, 'parameters')?.children.filter((c) => c.type === 'identifier').map((c) => ctx.text(c)) ?? [];
    const value = child(def, 'value');
    const body = value && ctx.file.parseFragment?.(value.start, value.end);
    if (body && params[at] && nullTestedParams(ctx.file, body, params).includes(at)) return { kind: 'tests' };
  }
  return found;
}

/** The finding when a macro whose definition cannot be read may be the NULL check: a note that says so. */
export function reportMaybe(ctx: RuleContext, call: AstNode, name: string, use: AstNode, what: string, macro: string): void {
  ctx.report({
    node: use,
    severity: 'note',
    message: `${what} comes from '${name}', which returns NULL when memory or system resources run out, and is used here with no NULL check this analysis can see. '${macro}' receives it first and may be that check, but its definition is not in this file, and no definition among the linted files was read as one; if it does not test the pointer and leave, the NULL dereference bug-checks the machine.`,
    path: [{ node: call, label: `'${name}' may return NULL` }, { node: use, label: `used after '${macro}'` }],
  });
}
