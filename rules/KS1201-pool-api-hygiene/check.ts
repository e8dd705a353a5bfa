import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, unwrap } from '../../server/src/engine/ast';
import { bitOrOperands, callArgs, calleeName, callsIn, commentsAbout, flagNames, statementOf } from '../../server/src/engine/syntax';
import { targetBuild } from '../../server/src/engine/target-os';
import { modernBranch } from './fallback';
import { filledInFull } from './zeroed';
import { POOL2_BUILD, replacement } from './fix';

/** Deprecated allocators (C28751): pool type, size and tag positions. */
const DEPRECATED: Record<string, { tag?: number; quota?: boolean; next: string }> = {
  ExAllocatePool: { next: 'ExAllocatePool2' },
  ExAllocatePoolWithTag: { tag: 2, next: 'ExAllocatePool2' },
  ExAllocatePoolWithQuota: { quota: true, next: 'ExAllocatePool2' },
  ExAllocatePoolWithQuotaTag: { tag: 2, quota: true, next: 'ExAllocatePool2' },
  ExAllocatePoolWithTagPriority: { tag: 2, next: 'ExAllocatePool3' },
};
/** Current allocators and lookaside lists: where their pool type (or POOL_FLAGS) and tag go. */
const CURRENT: Record<string, { pool?: number; flags?: number; tag: number; uninit?: boolean }> = {
  ExAllocatePool2: { flags: 0, tag: 2 },
  ExAllocatePool3: { flags: 0, tag: 2 },
  ExAllocatePoolZero: { pool: 0, tag: 2 },
  ExAllocatePoolQuotaZero: { pool: 0, tag: 2 },
  ExAllocatePoolPriorityZero: { pool: 0, tag: 2 },
  ExAllocatePoolUninitialized: { pool: 0, tag: 2, uninit: true },
  ExAllocatePoolQuotaUninitialized: { pool: 0, tag: 2, uninit: true },
  ExAllocatePoolPriorityUninitialized: { pool: 0, tag: 2, uninit: true },
  ExInitializeLookasideListEx: { pool: 3, tag: 6 },
  ExInitializeNPagedLookasideList: { tag: 5 },
  ExInitializePagedLookasideList: { tag: 5 },
};
/** Pool types that are executable unless the build opts in to NX pool (they all equal NonPagedPoolExecute). */
const EXEC_IMPLICIT = new Set(['NonPagedPool', 'NonPagedPoolCacheAligned', 'NonPagedPoolMustSucceed', 'NonPagedPoolCacheAlignedMustS']);
const EXEC_EXPLICIT = new Set(['NonPagedPoolExecute', 'POOL_FLAG_NON_PAGED_EXECUTE']);
const DEFAULT_TAGS = new Set(["' mdW'", "' kdD'"]);
const UNINIT = 'returns memory holding whatever its previous owner left there (kernel pointers, other callers\' data); any byte that reaches a caller, a file or the network before it is written leaks it';
/** Comments that only steer tools (suppressions, test expectations) explain nothing to a reviewer. */
const DIRECTIVE = /^(\/\/|\/\*)\s*(expect:|kslint-|ks-ignore|NOLINT|lgtm\[|codeql\[)/;

/**
 * What this file's own `#define`s say: whether they steer `NonPagedPool` to NX (opt-in) or keep it executable
 * (opt-out), which allocators they redefine with a tag of their own, and the macro bodies to check as code.
 */
function defines(ctx: RuleContext): { optIn: boolean; optOut: AstNode | undefined; redefined: Set<string>; bodyOf: Map<AstNode, AstNode>; wrappers: Map<string, number> } {
  let optIn = false;
  let optOut: AstNode | undefined;
  const redefined = new Set<string>();
  const bodyOf = new Map<AstNode, AstNode>();
  // Wrapper macro -> index of its parameter that becomes an allocator's tag.
  const wrappers = new Map<string, number>();
  for (const def of descendants(ctx.file.root, new Set(['preproc_def', 'preproc_function_def']))) {
    const name = child(def, 'name');
    const text = name ? ctx.text(name) : '';
    if (text === 'POOL_NX_OPTIN' || text === 'POOL_NX_OPTIN_AUTO') optIn = true;
    if (text === 'POOL_NX_OPTOUT') optOut = def;
    redefined.add(text);
    const value = child(def, 'value');
    const body = value && ctx.file.parseFragment?.(value.start, value.end);
    if (!body) continue;
    bodyOf.set(def, body);
    const params = child(def, 'parameters')?.children.filter((c) => c.type === 'identifier').map((c) => ctx.text(c)) ?? [];
    for (const call of params.length ? callsIn(body) : []) {
      const tag = callArgs(call)[tagIndex(calleeName(ctx.file, call)) ?? -1];
      const i = tag && unwrap(tag).type === 'identifier' ? params.indexOf(ctx.text(unwrap(tag))) : -1;
      if (i >= 0) wrappers.set(text, i);
    }
  }
  // The run-time half of the opt-in, `ExInitializeDriverRuntime(DrvRtPoolNxOptIn)`, usually sits in DriverEntry;
  // the define itself usually comes from the project file, which this rule cannot see (option `nxPoolOptIn`).
  optIn ||= ctx.options.nxPoolOptIn === true || callsIn(ctx.file.root).some((c) => calleeName(ctx.file, c) === 'ExInitializeDriverRuntime' && ctx.text(c).includes('DrvRtPoolNxOptIn'));
  return { optIn: optIn && !optOut, optOut, redefined, bodyOf, wrappers };
}

function tagIndex(name: string | undefined): number | undefined {
  if (!name) return undefined;
  if (Object.prototype.hasOwnProperty.call(DEPRECATED, name)) return DEPRECATED[name].tag;
  return Object.prototype.hasOwnProperty.call(CURRENT, name) ? CURRENT[name].tag : undefined;
}

function checkTag(ctx: RuleContext, tag: AstNode | undefined): void {
  const t = tag && unwrap(tag);
  if (!t) return;
  if (t.type === 'string_literal' || t.type === 'concatenated_string') {
    ctx.report({ node: t, subKind: 'string-pool-tag', message: `A string literal passed as a pool tag: the tag becomes part of the string's address, not its characters, so pool dumps and Driver Verifier cannot attribute the block (or its leak or overrun) to this driver. Use a four-character literal such as 'gaTx', reversed, unique to this allocation site.` });
  } else if (t.type === 'char_literal' && DEFAULT_TAGS.has(ctx.text(t))) {
    ctx.report({ node: t, subKind: 'default-pool-tag', message: `${ctx.text(t)} is the system's default pool tag, shared with every untagged allocation, so a leak or pool corruption cannot be traced to this driver. Use a unique four-character tag for each allocation site.` });
  }
}

function justified(ctx: RuleContext, node: AstNode): boolean {
  const stmt = statementOf(node) ?? node;
  return commentsAbout(ctx.file, stmt).some((c) => !DIRECTIVE.test(ctx.text(c)) && /[A-Za-z]{3}/.test(ctx.text(c)));
}

export default defineCheck({
  check(ctx) {
    const build = targetBuild(ctx.options.minimumTargetOs);
    const nx = defines(ctx);
    if (nx.optOut) ctx.report({ node: nx.optOut, subKind: 'executable-pool', message: 'POOL_NX_OPTOUT keeps every NonPagedPool allocation in this file executable: an attacker who can write into such a block (an overrun, a use-after-free) has memory the CPU will run, which NX pool exists to prevent. Remove the opt-out and allocate NonPagedPoolNx (POOL_FLAG_NON_PAGED); use NonPagedPoolExecute only where code really runs.' });
    const implicitExec = (names: Set<string>): string | undefined => [...names].find((n) => EXEC_IMPLICIT.has(n) && !nx.optIn);
    const execNote = (n: string): string => (nx.optOut ? `${n} is executable memory (this file opts out of NX pool)` : `${n} may be executable memory: it is unless the build opts in to NX pool (POOL_NX_OPTIN, or the rule option nxPoolOptIn when the project does)`) + ': an overrun or use-after-free of it gives an attacker memory the CPU will run';
    // Calls in a `#define` body are placed by their `#define` (for the version test around it).
    const sites = [...callsIn(ctx.file.root).map((c) => [c, c] as const), ...[...nx.bodyOf].flatMap(([def, body]) => callsIn(body).map((c) => [c, def] as const))];
    for (const [call, at] of sites) {
      const name = calleeName(ctx.file, call);
      if (!name) continue;
      const args = callArgs(call);
      const old = Object.prototype.hasOwnProperty.call(DEPRECATED, name) ? DEPRECATED[name] : undefined;
      if (old) {
        const types = args[0] ? flagNames(ctx.file, args[0]) : undefined;
        const exec = types && implicitExec(types);
        const parts = [
          `'${name}' is deprecated (C28751): it returns uninitialised pool, so any byte the driver does not overwrite can leak kernel data to a caller`,
          old.tag === undefined && !nx.redefined.has(name) ? `it tags the block with a default tag (' mdW' or ' kdD'), so a leak cannot be traced to this driver` : '',
          old.quota && !(types?.has('POOL_QUOTA_FAIL_INSTEAD_OF_RAISE')) ? `it raises an exception when the quota is exceeded unless POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is given` : '',
          exec ? execNote(exec) : '',
        ].filter(Boolean);
        // Only the deprecation to say, in the branch for Windows versions that lack the new allocator: a note.
        const modern = parts.length === 1 ? modernBranch(ctx, at, nx.bodyOf) : undefined;
        const instead = build !== undefined && build < POOL2_BUILD
          ? `Use ExAllocatePoolZero (NonPagedPoolNx) with POOL_ZERO_DOWN_LEVEL_SUPPORT for Windows versions before 10 2004`
          : `Use ${old.next} (POOL_FLAG_NON_PAGED or POOL_FLAG_PAGED, a unique tag), which zeroes the block and, like the old call, returns NULL on failure; before Windows 10 2004 use ExAllocatePoolZero`;
        const node = child(call, 'function') ?? call;
        if (modern) ctx.report({ node, subKind: 'deprecated-allocator', severity: 'note', message: `'${name}' is deprecated (C28751), but this is the fallback of a version test whose other branch calls ${modern}, so it is only built for Windows versions without ${modern}. There it returns uninitialised pool: every byte must be written (or the block zeroed) before it can reach a caller, or use ExAllocatePoolZero with POOL_ZERO_DOWN_LEVEL_SUPPORT.` });
        else ctx.report({ node, subKind: 'deprecated-allocator', message: `${parts.join('; ')}. ${instead}.`, fixes: replacement(ctx, call, name, build) });
        if (old.tag !== undefined) checkTag(ctx, args[old.tag]);
        continue;
      }
      const cur = Object.prototype.hasOwnProperty.call(CURRENT, name) ? CURRENT[name] : undefined;
      if (!cur) {
        if (nx.wrappers.has(name)) checkTag(ctx, args[nx.wrappers.get(name)!]);
        continue;
      }
      checkTag(ctx, args[cur.tag]);
      const typeArg = cur.pool !== undefined ? args[cur.pool] : cur.flags !== undefined ? args[cur.flags] : undefined;
      for (const op of typeArg ? bitOrOperands(typeArg) : []) {
        const n = op.type === 'identifier' ? ctx.text(op) : '';
        if (EXEC_IMPLICIT.has(n) && !nx.optIn) {
          ctx.report({ node: op, subKind: 'executable-pool', severity: nx.optOut ? undefined : 'note', message: `${execNote(n)}. Allocate NonPagedPoolNx instead (on Windows 8 and later).`, fixes: [{ title: 'Use NonPagedPoolNx', safety: 'unsafe', edits: [{ start: op.start, end: op.end, newText: 'NonPagedPoolNx' }] }] });
        } else if (EXEC_EXPLICIT.has(n)) {
          ctx.report({ node: op, subKind: 'executable-pool', severity: 'note', message: `${n} asks for executable pool: an overrun or use-after-free of this block gives an attacker memory the CPU will run. Keep it only if code really executes from it; otherwise use ${n === 'NonPagedPoolExecute' ? 'NonPagedPoolNx' : 'POOL_FLAG_NON_PAGED'}.` });
        } else if (n === 'POOL_FLAG_UNINITIALIZED' && !justified(ctx, call) && !filledInFull(ctx, call)) {
          ctx.report({ node: op, subKind: 'uninitialized-pool', message: `POOL_FLAG_UNINITIALIZED ${UNINIT}. Drop the flag (the allocation is then zeroed), or say in a comment at the call why every byte is written before it is read or copied out.` });
        }
      }
      if (cur.uninit && !justified(ctx, call) && !filledInFull(ctx, call)) {
        ctx.report({ node: child(call, 'function') ?? call, subKind: 'uninitialized-pool', message: `'${name}' ${UNINIT}. Use the zeroing variant, or say in a comment at the call why every byte is written before it is read or copied out.` });
      }
    }
  },
});
