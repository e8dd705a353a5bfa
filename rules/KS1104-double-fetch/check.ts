import { defineCheck } from '../../server/src/engine/rule';
import type { AstNode } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { pathOf } from '../../server/src/engine/flow/paths';
import { reachesWithout, valueReaches } from '../../server/src/engine/flow/reach';
import type { ParsedFile } from '../../server/src/engine/parse/parse';
import { calleeName } from '../../server/src/engine/syntax';
import { isNestedFunction, kernelModeOnly, operatorOf, readsUserMemory, UserAccess, writableMemory } from '../../server/src/engine/user-memory';

/** A fetch of one user location: a read of a field or element, or a user-mode accessor call reading it (not `CopyToUser`). */
function isFetch(file: ParsedFile, a: UserAccess): boolean {
  return (a.kind === 'read' || (a.kind === 'accessor' && readsUserMemory(calleeName(file, a.node) ?? ''))) && a.location !== undefined;
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** A fetch whose value only decides a test: compared (`u->Type != A`) or switched on, never kept or used. */
function onlyTested(a: UserAccess): boolean {
  let up: AstNode = a.node;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  const p = up.parent;
  if (!p) return false;
  if (p.type === 'binary_expression') return COMPARISONS.has(operatorOf(p) ?? '');
  return p.type === 'switch_statement' || (p.type === 'condition_clause' && p.parent?.type === 'switch_statement');
}

/** Whether `first` still reads the location `second` reads: the same pointer and subscripts, unchanged in between. */
function sameLocation(file: ParsedFile, flow: FunctionFlow, first: UserAccess, second: UserAccess): boolean {
  if (first.node === second.node || first.pointer.origin !== second.pointer.origin || first.location !== second.location) return false;
  if (first.node.start >= second.node.start) return false;
  // A new value of the pointer, or of a subscript (`p[i]` after `i++`), names other memory.
  const base = pathOf(file.source, first.base);
  if (!first.indices.every((v) => valueReaches(flow, v, first.node, second.node))) return false;
  if (base !== undefined) return valueReaches(flow, base, first.node, second.node);
  const from = flow.nodeOf(first.node);
  const to = flow.nodeOf(second.node);
  return !!from && !!to && (from === to || reachesWithout(flow.cfg, from, to, () => false));
}

/** The message for a second read, by the kind of memory read. */
function message(what: string, second: UserAccess, line: number): string {
  if (second.pointer.kind === 'locked-mapping') {
    return `'${what}' reads a direct-I/O buffer (${second.pointer.label}) that was already read on line ${line}. The buffer is the system mapping of the caller's locked pages (METHOD_IN_DIRECT/METHOD_OUT_DIRECT), which the caller's other threads can still write, so a value checked at the first read is not the value used here (double fetch). Copy the buffer into pool once, validate the copy, and use only the copy.`;
  }
  return `'${what}' reads user-mode memory (${second.pointer.label}) that was already read on line ${line}: another thread of the caller can change it in between, so a value checked at the first read is not the value used here (double fetch). Copy the data into a kernel variable once, validate the copy, and use only the copy.`;
}

export default defineCheck({
  check(ctx) {
    const file = ctx.file;
    const fetchesUserMemory = (fn: FunctionInfo): boolean => !isNestedFunction(fn) && writableMemory(ctx.analysis, fn).accesses.some((a) => isFetch(file, a));
    for (const { fn, flow } of ctx.analysis.flowsWhere(fetchesUserMemory)) {
      const groups = new Map<string, UserAccess[]>();
      for (const a of writableMemory(ctx.analysis, fn).accesses) {
        if (!isFetch(file, a) || kernelModeOnly(file, a.node)) continue;
        const key = `${a.pointer.origin.start}|${a.location}`;
        const list = groups.get(key);
        if (list) list.push(a);
        else groups.set(key, [a]);
      }
      for (const fetches of groups.values()) {
        // Reads that only decide tests keep no value: a torn test passes or fails, and nothing unchecked is used.
        if (fetches.length < 2 || fetches.every(onlyTested)) continue;
        fetches.sort((a, b) => a.node.start - b.node.start);
        // Report the first read again whose value is used, or failing that the first read again.
        let pick: { first: UserAccess; second: UserAccess } | undefined;
        for (const second of fetches) {
          if (!flow.reachable(second.node)) continue;
          const first = fetches.find((a) => sameLocation(file, flow, a, second));
          if (!first) continue;
          pick ??= { first, second };
          if (!onlyTested(second)) {
            pick = { first, second };
            break;
          }
        }
        if (!pick) continue;
        const { first, second } = pick;
        const line = file.source.positionAt(first.node.start).line + 1;
        const mapped = second.pointer.kind === 'locked-mapping';
        ctx.report({
          node: second.node,
          message: message(ctx.text(second.node).replace(/\s+/g, ' '), second, line),
          path: [
            { node: second.pointer.origin, label: second.pointer.label },
            { node: first.node, label: mapped ? "first read of the caller's locked pages" : 'first read of the user location' },
            { node: second.node, label: 'read again: the value may have changed' },
          ],
        });
      }
    }
  },
});
