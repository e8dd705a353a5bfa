/**
 * KS1201's quick fix: the mechanical rewrite of `ExAllocatePoolWithTag` / `ExAllocatePoolWithQuotaTag` to
 * `ExAllocatePool2` (or the downlevel zeroing wrappers), and when it is safe (see rule.md, "Quick fix").
 */
import type { FixSafety, RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, unwrap } from '../../server/src/engine/ast';
import { callArgs, flagNames } from '../../server/src/engine/syntax';
import { WINDOWS_BUILDS } from '../../server/src/engine/target-os';

const TO_FLAGS: Record<string, string> = { NonPagedPool: 'POOL_FLAG_NON_PAGED', NonPagedPoolNx: 'POOL_FLAG_NON_PAGED', PagedPool: 'POOL_FLAG_PAGED' };
/** Windows 10, version 2004: the first build with ExAllocatePool2. */
export const POOL2_BUILD = WINDOWS_BUILDS['win10-2004'];

type Spec = { title: string; safety: FixSafety; edits: { start: number; end: number; newText: string }[] };

/** The mechanical replacement of a deprecated call, when its pool type is one of the plain ones. */
export function replacement(ctx: RuleContext, call: AstNode, name: string, build: number | undefined): Spec[] {
  if (name !== 'ExAllocatePoolWithTag' && name !== 'ExAllocatePoolWithQuotaTag') return [];
  const [pool, , tag] = callArgs(call);
  const callee = child(call, 'function');
  const types = pool && flagNames(ctx.file, pool);
  if (!callee || !pool || !tag || !types || unwrap(tag).type !== 'char_literal') return [];
  const quota = name === 'ExAllocatePoolWithQuotaTag';
  const base = [...types].filter((t) => t !== 'POOL_QUOTA_FAIL_INSTEAD_OF_RAISE');
  if (base.length !== 1 || !TO_FLAGS[base[0]] || (!quota && types.size !== 1)) return [];
  const executable = base[0] === 'NonPagedPool';
  if (build !== undefined && build < POOL2_BUILD) {
    const nx = executable && build >= WINDOWS_BUILDS.win8 ? [{ start: pool.start, end: pool.end, newText: ctx.text(pool).replace('NonPagedPool', 'NonPagedPoolNx') }] : [];
    const next = quota ? 'ExAllocatePoolQuotaZero' : 'ExAllocatePoolZero';
    return [{ title: `Replace with ${next} (define POOL_ZERO_DOWN_LEVEL_SUPPORT and call ExInitializeDriverRuntime first)`, safety: 'unsafe', edits: [{ start: callee.start, end: callee.end, newText: next }, ...nx] }];
  }
  const flags = [TO_FLAGS[base[0]], ...(quota ? ['POOL_FLAG_USE_QUOTA'] : []), ...(quota && !types.has('POOL_QUOTA_FAIL_INSTEAD_OF_RAISE') ? ['POOL_FLAG_RAISE_ON_FAILURE'] : [])];
  const safe = build !== undefined && !executable;
  return [{
    title: `Replace with ExAllocatePool2(${flags.join(' | ')}, ...)${build === undefined ? ' (needs Windows 10, version 2004 or later)' : ''}${executable ? ' (the memory becomes non-executable)' : ''}`,
    safety: safe ? 'safe' : 'unsafe',
    edits: [{ start: callee.start, end: callee.end, newText: 'ExAllocatePool2' }, { start: pool.start, end: pool.end, newText: flags.join(' | ') }],
  }];
}
