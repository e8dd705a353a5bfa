/**
 * Status variables known to hold a failure along one path of a search: after `Status = STATUS_NO_MEMORY;` (or
 * `Status = GetExceptionCode();`) and before anything redefines `Status`, the branch where `NT_SUCCESS(Status)`
 * holds cannot be taken. Searches that walk the control-flow graph node by node (KS1204's, from a release to a
 * second use) carry the set and drop such branches:
 *
 *     if (!Mdl) { ExFreePool(Buf); Status = STATUS_INSUFFICIENT_RESOURCES; }
 *     if (NT_SUCCESS(Status)) { __try { ... } __except (...) { ExFreePool(Buf); } }
 */
import { child, nodeText, TextSource } from '../ast';
import type { Cfg, CfgNode } from './cfg';
import { pathsDefinedBy } from './reach';
import { failureBranch, isFailureStatus } from './seh-status';
import { effectNodes } from './solve';

export type FailedStatuses = ReadonlySet<string>;

export const NO_FAILED_STATUS: FailedStatuses = new Set();

/** The set after `node`'s effects that start at or after `after`: failure stores add a variable, other writes end it. */
export function failedStatusesAfter(cfg: Cfg, src: TextSource, node: CfgNode, after: number, input: FailedStatuses): FailedStatuses {
  let out = input;
  for (const e of effectNodes(cfg, node)) {
    if (e.start < after) continue;
    const defined = pathsDefinedBy(src, e);
    if (!defined.length) continue;
    const left = e.type === 'assignment_expression' ? child(e, 'left') : undefined;
    const right = e.type === 'assignment_expression' ? child(e, 'right') : undefined;
    const stores = left?.type === 'identifier' && right && child(e, 'operator')?.type === '=' && isFailureStatus(src, right) ? nodeText(src, left) : undefined;
    for (const d of defined) {
      if (d === stores ? out.has(d) : !out.has(d)) continue;
      const next = new Set(out);
      if (d === stores) next.add(d);
      else next.delete(d);
      out = next;
    }
  }
  return out;
}

/** True for the branch of an `NT_SUCCESS(v)` test taken when `v` succeeded, where `v` is known to hold a failure. */
export function contradictsFailedStatus(src: TextSource, node: CfgNode, failed: FailedStatuses): boolean {
  if (node.kind !== 'assume' || !node.ast || !failed.size) return false;
  for (const v of failed) {
    const onFailure = failureBranch(src, node.ast, v);
    if (onFailure !== undefined && node.polarity !== onFailure) return true;
  }
  return false;
}

/** A key for the set, to tell search states apart. */
export function failedStatusKey(failed: FailedStatuses): string {
  return failed.size ? [...failed].sort().join(',') : '';
}
