import { defineCheck } from '../../server/src/engine/rule';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { AstNode, descendants, nodeText } from '../../server/src/engine/ast';
import { conditionKey, followTracked, FREES, insideLambda, knownConditions, localNames, releasedPath, Tracked } from '../../server/src/engine/flow/released';
import { contradictsFailedStatus, FailedStatuses, failedStatusesAfter, failedStatusKey, NO_FAILED_STATUS } from '../../server/src/engine/flow/failed-status';
import { stripCasts } from '../../server/src/engine/flow/paths';
import { callArguments, calleeName } from '../../server/src/engine/flow/taint';
import { isUserModeFile } from '../../server/src/engine/syntax';

export default defineCheck({
  check(ctx) {
    const src = ctx.file.source;
    if (isUserModeFile(ctx.file)) return;
    const frees = (fn: FunctionInfo): boolean => descendants(fn.body, 'call_expression').some((c) => FREES.has(calleeName(src, c) ?? ''));
    for (const { fn, flow } of ctx.analysis.flowsWhere(frees)) {
      // A path-sensitive claim needs the whole body parsed: a damaged `__except` can join paths that never meet.
      if (fn.errorCount > 0) continue;
      const reported = new Set<number>();
      const locals = localNames(src, fn);
      for (const call of descendants(fn.body, 'call_expression')) {
        const name = calleeName(src, call) ?? '';
        const index = FREES.get(name);
        const arg = index === undefined ? undefined : callArguments(call)[index];
        const path = arg && releasedPath(src, name, arg);
        const start = flow.cfg.ownerOf(call);
        // Elements share one path (`a[i]` and `a[j]` are both `a[]`): a loop freeing each element is not a double free.
        // A release inside a lambda (a scope guard) runs when the lambda does, not here.
        if (!path || path.includes('[') || !start || !flow.reachable(call) || insideLambda(call, fn.body)) continue;
        const known = knownConditions(flow, start.id);
        // Forward search: the free's own node after the call, then successors, stopping where the path and every
        // local copy of it made after the release are redefined. Each path carries the status variables it set to a
        // failure, so it skips their `NT_SUCCESS` branches.
        const seen = new Set<string>();
        const queue: { id: number; after: number; failed: FailedStatuses; tracked: readonly Tracked[] }[] = [{ id: start.id, after: call.end, failed: NO_FAILED_STATUS, tracked: [{ path }] }];
        let hit: { node: AstNode; free: boolean; via?: Tracked } | undefined;
        while (queue.length && !hit) {
          const { id, after, failed, tracked } = queue.shift()!;
          const node = flow.cfg.nodes[id];
          // A branch that contradicts a condition the release was made under (`if (!ok) free; if (ok) use`).
          if (node.kind === 'assume' && node.ast && known.get(conditionKey(src, node.ast)) === !node.polarity) continue;
          if (contradictsFailedStatus(src, node, failed)) continue;
          const step = node.ast && (node.kind === 'stmt' || node.kind === 'cond') ? followTracked(flow, node.ast, tracked, after, node.id, locals) : { hit: undefined, live: tracked };
          hit = step.hit;
          if (hit || !step.live.length) continue;
          const next = failedStatusesAfter(flow.cfg, src, node, after, failed);
          const live = step.live.map((t) => t.path).sort().join(',');
          for (const s of node.succs) {
            const key = `${s}|${failedStatusKey(next)}|${live}`;
            if (seen.has(key)) continue;
            seen.add(key);
            queue.push({ id: s, after: -1, failed: next, tracked: step.live });
          }
        }
        if (!hit || reported.has(hit.node.start)) continue;
        reported.add(hit.node.start);
        const what = nodeText(src, stripCasts(arg!)).replace(/\s+/g, ' ');
        const via = hit.via?.copy && { name: hit.via.path, node: hit.via.copy };
        const copied = via ? `, copied to '${via.name}' after the release,` : '';
        ctx.report({
          node: hit.node,
          message: hit.free
            ? `'${what}'${copied} may be released twice: ${name} released it earlier on a path that reaches this call with no new value in between. A double free corrupts the pool's bookkeeping and bug-checks the machine (BAD_POOL_CALLER). Set the pointer to NULL right after releasing it and give the memory one owner.`
            : `'${nodeText(src, hit.node).replace(/\s+/g, ' ')}' may use memory that ${name} already released (no new value of '${via ? via.name : what}' on some path from the ${via ? `copy of '${what}' made after the release` : 'release'} to here). In kernel mode the pool block may already belong to someone else: reads return their data and writes corrupt it. Set the pointer to NULL after releasing it, or release it after its last use.`,
          path: [{ node: call, label: `released by ${name}` }, ...(via ? [{ node: via.node, label: `copied to '${via.name}'` }] : []), { node: hit.node, label: hit.free ? 'released again' : 'used after release' }],
        });
      }
    }
  },
});
