import { defineCheck } from '../../server/src/engine/rule';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { pathOf } from '../../server/src/engine/flow/paths';
import { reachesWithout, valueReaches } from '../../server/src/engine/flow/reach';
import type { ParsedFile } from '../../server/src/engine/parse/parse';
import { calleeName } from '../../server/src/engine/syntax';
import { isNestedFunction, kernelModeOnly, readsUserMemory, userMemory, UserAccess } from '../../server/src/engine/user-memory';

/** A fetch of one user location: a read of a field or element, or a user-mode accessor call reading it (not `CopyToUser`). */
function isFetch(file: ParsedFile, a: UserAccess): boolean {
  return (a.kind === 'read' || (a.kind === 'accessor' && readsUserMemory(calleeName(file, a.node) ?? ''))) && a.location !== undefined;
}

export default defineCheck({
  check(ctx) {
    const fetchesUserMemory = (fn: FunctionInfo): boolean => !isNestedFunction(fn) && userMemory(ctx.analysis, fn).accesses.some((a) => isFetch(ctx.file, a));
    for (const { fn, flow } of ctx.analysis.flowsWhere(fetchesUserMemory)) {
      const fetches = userMemory(ctx.analysis, fn).accesses.filter((a) => isFetch(ctx.file, a) && !kernelModeOnly(ctx.file, a.node));
      const reported = new Set<string>();
      for (let j = 0; j < fetches.length; j++) {
        const second = fetches[j];
        const key = `${second.pointer.origin.start}|${second.location}`;
        if (reported.has(key) || !flow.reachable(second.node)) continue;
        const first = fetches.find((a, i) => {
          if (i === j || a.node === second.node || a.pointer.origin !== second.pointer.origin || a.location !== second.location) return false;
          if (a.node.start >= second.node.start) return false;
          const base = pathOf(ctx.file.source, a.base);
          // The same pointer must still be in place: a new value of it names other memory.
          if (base !== undefined) return valueReaches(flow, base, a.node, second.node);
          const from = flow.nodeOf(a.node);
          const to = flow.nodeOf(second.node);
          return !!from && !!to && (from === to || reachesWithout(flow.cfg, from, to, () => false));
        });
        if (!first) continue;
        reported.add(key);
        const line = ctx.file.source.positionAt(first.node.start).line + 1;
        const what = ctx.text(second.node).replace(/\s+/g, ' ');
        ctx.report({
          node: second.node,
          message: `'${what}' reads user-mode memory (${second.pointer.label}) that was already read on line ${line}: another thread of the caller can change it in between, so a value checked at the first read is not the value used here (double fetch). Copy the data into a kernel variable once, validate the copy, and use only the copy.`,
          path: [
            { node: second.pointer.origin, label: second.pointer.label },
            { node: first.node, label: 'first read of the user location' },
            { node: second.node, label: 'read again: the value may have changed' },
          ],
        });
      }
    }
  },
});
