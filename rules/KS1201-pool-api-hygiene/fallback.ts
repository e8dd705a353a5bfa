/**
 * KS1201's down-level fallbacks: a deprecated allocator in one branch of an OS-version test whose other branch calls
 * ExAllocatePool2 or ExAllocatePool3 (`#if NTDDI_VERSION < NTDDI_WIN10_VB` ... `#else` ... `#endif`). It is only built
 * for Windows versions that lack the new allocators, where it is the documented way to allocate, so it is a note.
 */
import type { RuleContext } from '../../server/src/engine/rule';
import { AstNode, descendants } from '../../server/src/engine/ast';
import { calleeName, callsIn, conditionalBranches } from '../../server/src/engine/syntax';

const VERSION_MACROS = new Set(['NTDDI_VERSION', '_WIN32_WINNT', 'WINVER']);
const MODERN = new Set(['ExAllocatePool2', 'ExAllocatePool3']);
const DEFINES = new Set(['preproc_def', 'preproc_function_def']);

/**
 * The new allocator the other branch of the version test around `at` calls, if any. `at` is the call, or the
 * `#define` whose body holds it; `bodyOf` gives the parsed body of each `#define` (allocators are often macros).
 */
export function modernBranch(ctx: RuleContext, at: AstNode, bodyOf: ReadonlyMap<AstNode, AstNode>): string | undefined {
  const branches = conditionalBranches(at);
  if (!branches?.conditions.some((c) => descendants(c, 'identifier').some((i) => VERSION_MACROS.has(ctx.text(i))))) return undefined;
  for (const code of branches.others) {
    const bodies = descendants(code, DEFINES).flatMap((d) => bodyOf.get(d) ?? []);
    for (const call of [code, ...bodies].flatMap((root) => callsIn(root))) {
      const name = calleeName(ctx.file, call);
      if (name && MODERN.has(name)) return name;
    }
  }
  return undefined;
}
