import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, walk } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { pathOf } from '../../server/src/engine/flow/paths';
import { valueReaches } from '../../server/src/engine/flow/reach';
import { callArgs, calleeName } from '../../server/src/engine/syntax';
import { derefTarget } from '../../server/src/engine/user-memory';
import { nullCheckFix } from './fix';
import { macroTest, reportMaybe } from './macro-check';

const ALLOCATORS = new Set([
  'ExAllocatePool', 'ExAllocatePool2', 'ExAllocatePool3', 'ExAllocatePoolWithTag', 'ExAllocatePoolWithQuotaTag',
  'ExAllocatePoolWithTagPriority', 'ExAllocatePoolZero', 'ExAllocatePoolUninitialized', 'ExAllocatePoolQuotaZero',
  'ExAllocatePoolPriorityZero', 'IoAllocateMdl', 'IoAllocateIrp', 'IoAllocateWorkItem', 'MmGetSystemAddressForMdlSafe',
  'MmMapLockedPagesSpecifyCache', 'ExAllocateFromNPagedLookasideList', 'ExAllocateFromPagedLookasideList',
  'ExAllocateFromLookasideListEx', 'kmalloc', 'kzalloc', 'kcalloc', 'kmalloc_array', 'vmalloc', 'vzalloc', 'kvmalloc',
]);

/** Routines that dereference the given pointer arguments. */
const DEREF_ARGS: Record<string, number[]> = {
  RtlZeroMemory: [0], RtlSecureZeroMemory: [0], RtlFillMemory: [0], memset: [0], RtlCopyMemory: [0, 1], memcpy: [0, 1],
  RtlMoveMemory: [0, 1], memmove: [0, 1], RtlCopyBytes: [0, 1], MmProbeAndLockPages: [0], MmBuildMdlForNonPagedPool: [0],
  MmGetSystemAddressForMdlSafe: [0], MmGetMdlVirtualAddress: [0], IoBuildPartialMdl: [1], IoQueueWorkItem: [0],
  IoQueueWorkItemEx: [0], IoGetNextIrpStackLocation: [0], IoSetCompletionRoutine: [0], IoSetCompletionRoutineEx: [1],
  IoCallDriver: [1], IofCallDriver: [1], IoCopyCurrentIrpStackLocationToNext: [0], IoSkipCurrentIrpStackLocation: [0],
  InsertTailList: [0, 1], InsertHeadList: [0, 1], InitializeListHead: [0], KeInitializeEvent: [0],
  KeInitializeSpinLock: [0], ExInitializeFastMutex: [0], RtlInitUnicodeString: [0], RtlCopyUnicodeString: [0],
  RtlStringCbCopyW: [0], RtlStringCbCopyA: [0], RtlStringCchCopyW: [0], strcpy: [0], wcscpy: [0],
};


/** Allocations that raise (or cannot fail) instead of returning NULL. */
function cannotReturnNull(ctx: RuleContext, call: AstNode, name: string): boolean {
  const flags = name.startsWith('k') || name.startsWith('v') ? callArgs(call)[1] : callArgs(call)[0];
  return !!flags && descendants(flags, 'identifier').some((i) => ['POOL_FLAG_RAISE_ON_FAILURE', '__GFP_NOFAIL'].includes(ctx.text(i)));
}

/** Where the pointer is dereferenced: the base of `->`, `*`, `[]`, or a dereferencing routine's argument. */
function derefSite(ctx: RuleContext, expr: AstNode): boolean {
  let up = expr;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  const p = up.parent;
  if (!p) return false;
  if ((p.type === 'field_expression' || p.type === 'subscript_expression' || p.type === 'pointer_expression') && derefTarget(p) === up) return true;
  const call = p.type === 'argument_list' ? p.parent : undefined;
  const name = call ? calleeName(ctx.file, call) : undefined;
  return !!name && !!call && (DEREF_ARGS[name] ?? []).some((i) => callArgs(call)[i] === up);
}

/**
 * A dominating `p != NULL` / `if (!p) return` / `p && ...` for the path at `use`; failing that, any NULL test of
 * the path between the allocation and the use. NT-style `leave`/`try_return` macros and raising helpers end a
 * branch in ways the CFG cannot see, so a test written in between is taken as the check (silence over noise).
 */
function nullChecked(ctx: RuleContext, flow: FunctionFlow, path: string, alloc: AstNode, use: AstNode): boolean {
  if (flow.guardsOn(path, use).some((g) => g.rel === 'nonzero')) return true;
  const src = ctx.file.source;
  const isNull = (n: AstNode | undefined): boolean => !!n && ['NULL', 'nullptr', '0'].includes(ctx.text(n));
  let found = false;
  walk(flow.fn.body, (n) => {
    if (found || n.end <= alloc.end) return !found && n.end > alloc.end;
    if (n.start >= use.start) return false;
    const op = n.children.find((c) => c.field === 'operator');
    const opText = op ? ctx.text(op) : '';
    // `(p = Alloc(...)) == NULL` tests p.
    const side = (x: AstNode | undefined): AstNode | undefined => {
      let e = x;
      while (e && e.type === 'parenthesized_expression') e = e.children.find((c) => c.named);
      return e?.type === 'assignment_expression' ? child(e, 'left') : e;
    };
    const [l, r] = [side(child(n, 'left')), side(child(n, 'right'))];
    if (n.type === 'binary_expression' && (opText === '==' || opText === '!=')) found = (pathOf(src, l!) === path && isNull(r)) || (pathOf(src, r!) === path && isNull(l));
    else if (n.type === 'unary_expression' && opText === '!') found = pathOf(src, child(n, 'argument')!) === path;
    else if (n.field === 'condition' || (n.parent?.type === 'binary_expression' && /^(&&|\|\|)$/.test(ctx.text(n.parent.children.find((c) => c.field === 'operator')!)))) found = pathOf(src, n) === path;
    if (found && !countsAsCheck(ctx, n, alloc, use)) found = false;
    return !found;
  });
  return found;
}

const ASSERTS = new Set(['ASSERT', 'NT_ASSERT', 'NT_ASSERTMSG', 'ASSERTMSG', 'NT_VERIFY', 'assert', 'WARN_ON', 'BUG_ON']);

/**
 * Asserts vanish in release builds, and a test in one `#if` branch is absent from the other; a branch that holds the
 * allocation as well as the test builds both or neither, so there the test counts.
 */
function countsAsCheck(ctx: RuleContext, test: AstNode, alloc: AstNode, use: AstNode): boolean {
  const inside = (p: AstNode, n: AstNode): boolean => p.start <= n.start && n.end <= p.end;
  // A branch node spans the `#else`/`#elif` after it (its `alternative`), which is another branch.
  const inBranch = (p: AstNode, n: AstNode): boolean => {
    const alt = child(p, 'alternative');
    return inside(p, n) && !(alt && inside(alt, n));
  };
  for (let p = test.parent; p; p = p.parent) {
    if (p.type === 'call_expression' && ASSERTS.has(calleeName(ctx.file, p) ?? '')) return false;
    if (/^preproc_(if|ifdef|else|elif|elifdef)$/.test(p.type) && !inBranch(p, use) && !inBranch(p, alloc)) return false;
  }
  return true;
}

function report(ctx: RuleContext, call: AstNode, name: string, use: AstNode, what: string, fixes: ReturnType<typeof nullCheckFix>): void {
  ctx.report({
    node: use,
    message: `${what} comes from '${name}', which returns NULL when memory or system resources run out, and is used here without a NULL check: in kernel mode the NULL dereference bug-checks the machine. Check the result and fail the operation with STATUS_INSUFFICIENT_RESOURCES.`,
    path: [{ node: call, label: `'${name}' may return NULL` }, { node: use, label: 'dereferenced without a NULL check' }],
    fixes,
  });
}

export default defineCheck({
  check(ctx) {
    const allocates = (fn: FunctionInfo): boolean => descendants(fn.body, 'call_expression').some((c) => ALLOCATORS.has(calleeName(ctx.file, c) ?? ''));
    for (const { fn, flow } of ctx.analysis.flowsWhere(allocates)) {
      for (const call of descendants(fn.body, 'call_expression')) {
        const name = calleeName(ctx.file, call);
        if (!name || !ALLOCATORS.has(name) || cannotReturnNull(ctx, call, name)) continue;
        let up = call;
        while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
        const p = up.parent;
        const target = p?.type === 'assignment_expression' && up.field === 'right' && ctx.text(p.children.find((c) => c.field === 'operator')!) === '=' ? child(p, 'left') : p?.type === 'init_declarator' ? child(p, 'declarator') : undefined;
        if (!target) {
          if (derefSite(ctx, call) && flow.reachable(call)) report(ctx, call, name, call, 'This pointer', []);
          continue;
        }
        let t: AstNode | undefined = target;
        while (t && t.type === 'pointer_declarator') t = child(t, 'declarator');
        const path = t && pathOf(ctx.file.source, t);
        if (!path || !t) continue;
        let first: AstNode | undefined;
        // A use after a project macro that receives the pointer and whose definition this file does not show.
        let maybe: { use: AstNode; macro: string } | undefined;
        walk(fn.body, (n) => {
          if (first || n.type === 'sizeof_expression') return false;
          if (n.start < call.end || pathOf(ctx.file.source, n) !== path || !derefSite(ctx, n)) return;
          if (!valueReaches(flow, path, call, n) || nullChecked(ctx, flow, path, call, n)) return false;
          const m = macroTest(ctx, flow, path, call, n);
          if (m?.kind === 'unseen') maybe ??= { use: n, macro: m.macro };
          else if (!m) first = n;
          return false;
        });
        if (first) report(ctx, call, name, first, `'${ctx.text(t)}'`, nullCheckFix(ctx, fn, call, ctx.text(t)));
        else if (maybe) reportMaybe(ctx, call, name, maybe.use, `'${ctx.text(t)}'`, maybe.macro);
      }
    }
  },
});
