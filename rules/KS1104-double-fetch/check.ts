import { defineCheck } from '../../server/src/engine/rule';
import type { AstNode } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { pathOf } from '../../server/src/engine/flow/paths';
import { reachesWithout, valueReaches } from '../../server/src/engine/flow/reach';
import type { ParsedFile } from '../../server/src/engine/parse/parse';
import { calleeName, isArrayObject, isLoggingCallee } from '../../server/src/engine/syntax';
import { isNestedFunction, kernelModeOnly, operatorOf, readsUserMemory, UserAccess, writableMemory } from '../../server/src/engine/user-memory';

/** A fetch of one user location: a read of a field or element, or a user-mode accessor call reading it (not `CopyToUser`). */
function isFetch(file: ParsedFile, a: UserAccess): boolean {
  return (a.kind === 'read' || (a.kind === 'accessor' && readsUserMemory(calleeName(file, a.node) ?? ''))) && a.location !== undefined;
}

/** The expression around an access that its value goes to, past parentheses and casts. */
function outerOf(a: UserAccess): AstNode {
  let up: AstNode = a.node;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  return up;
}

/**
 * An array member named whole reads nothing: its value is its address. Known from a declaration in the file, or
 * for a member passed whole to a call (`f(u->arg)`) while the function also indexes it (`u->arg[0]`), which is
 * then most likely an array of the structure.
 */
function arrayAddress(file: ParsedFile, a: UserAccess, indexed: (location: string) => boolean): boolean {
  if (a.kind !== 'read' || a.node.type !== 'field_expression') return false;
  return isArrayObject(file, a.node) || (outerOf(a).parent?.type === 'argument_list' && indexed(a.location!));
}

/** A read only traced or printed (`DEBUGP(("%x", u->Type))`): its value decides nothing and is not kept. */
function onlyLogged(file: ParsedFile, a: UserAccess): boolean {
  for (let n = a.node.parent; n && n.type !== 'expression_statement' && n.type !== 'compound_statement'; n = n.parent) {
    if (n.type === 'call_expression' && n !== a.node && isLoggingCallee(calleeName(file, n) ?? '')) return true;
  }
  return false;
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);

/** A fetch whose value only decides a test: compared (`u->Type != A`) or switched on, never kept or used. */
function onlyTested(a: UserAccess): boolean {
  const up = outerOf(a);
  const p = up.parent;
  if (!p) return false;
  if (p.type === 'binary_expression') return COMPARISONS.has(operatorOf(p) ?? '');
  return p.type === 'switch_statement' || (p.type === 'condition_clause' && p.parent?.type === 'switch_statement');
}

/** Whether a fetch is part of a test (an `if`, loop or `switch` condition, a `?:` choice, a comparison): a check. */
function checked(a: UserAccess): boolean {
  if (onlyTested(a)) return true;
  for (let n: AstNode | undefined = a.node; n && n.type !== 'declaration' && !n.type.endsWith('_statement'); n = n.parent) {
    if (n.field === 'condition') return true;
  }
  return false;
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

/** A location read twice: `second` reads again what `first` read. */
type Twice = { readonly first: UserAccess; readonly second: UserAccess };

/** The read again to report for one location: the first whose value is used, or failing that the first. */
function readTwice(file: ParsedFile, flow: FunctionFlow, fetches: readonly UserAccess[]): Twice | undefined {
  let pick: Twice | undefined;
  for (const second of fetches) {
    if (!flow.reachable(second.node)) continue;
    const first = fetches.find((a) => sameLocation(file, flow, a, second));
    if (!first) continue;
    pick ??= { first, second };
    if (!onlyTested(second)) return { first, second };
  }
  return pick;
}

/** How telling a location read twice is: checked then used (0), used (1), tested twice (2). */
function rank(t: Twice): number {
  if (onlyTested(t.second)) return 2;
  return checked(t.first) ? 0 : 1;
}

const lineOf = (file: ParsedFile, n: AstNode): number => file.source.positionAt(n.start).line + 1;

/** The message for a second read, by the kind of memory read; `others`: the lines of the buffer's other locations read again. */
function message(what: string, second: UserAccess, line: number, others: readonly number[]): string {
  const also = others.length ? ` This function reads ${others.length === 1 ? 'another location' : `${others.length} other locations`} of the same buffer twice too (line${others.length === 1 ? '' : 's'} ${others.join(', ')}).` : '';
  if (second.pointer.kind === 'locked-mapping') {
    return `'${what}' reads a direct-I/O buffer (${second.pointer.label}) that was already read on line ${line}. The buffer is the system mapping of the caller's locked pages (direct I/O), which the caller's other threads can still write, so a value checked at the first read is not the value used here (double fetch).${also} Copy the buffer into pool once, validate the copy, and use only the copy.`;
  }
  if (second.pointer.kind === 'returned-buffer') {
    return `'${what}' reads the caller's buffer as a helper returns it (${second.pointer.label}), which was already read on line ${line}. The caller's other threads can still write it, so a value checked at the first read is not the value used here (double fetch).${also} Copy the buffer into pool once, validate the copy, and use only the copy.`;
  }
  return `'${what}' reads user-mode memory (${second.pointer.label}) that was already read on line ${line}: another thread of the caller can change it in between, so a value checked at the first read is not the value used here (double fetch).${also} Copy the data into a kernel variable once, validate the copy, and use only the copy.`;
}

export default defineCheck({
  check(ctx) {
    const file = ctx.file;
    const fetchesUserMemory = (fn: FunctionInfo): boolean => !isNestedFunction(fn) && writableMemory(ctx.analysis, fn).accesses.some((a) => isFetch(file, a));
    for (const { fn, flow } of ctx.analysis.flowsWhere(fetchesUserMemory)) {
      const accesses = writableMemory(ctx.analysis, fn).accesses.filter((a) => isFetch(file, a) && !kernelModeOnly(file, a.node));
      const indexed = (location: string): boolean => accesses.some((a) => a.location!.startsWith(`${location}[`));
      // Locations per buffer (the pointer's origin): each mistake of reading one buffer in place is reported once.
      const buffers = new Map<AstNode, Map<string, UserAccess[]>>();
      for (const a of accesses) {
        if (arrayAddress(file, a, indexed) || onlyLogged(file, a)) continue;
        const locations = buffers.get(a.pointer.origin) ?? buffers.set(a.pointer.origin, new Map()).get(a.pointer.origin)!;
        locations.set(a.location!, [...(locations.get(a.location!) ?? []), a]);
      }
      for (const locations of buffers.values()) {
        const twice: Twice[] = [];
        for (const fetches of locations.values()) {
          // Reads that only decide tests keep no value: a torn test passes or fails, and nothing unchecked is used.
          if (fetches.length < 2 || fetches.every(onlyTested)) continue;
          const t = readTwice(file, flow, fetches.sort((a, b) => a.node.start - b.node.start));
          if (t) twice.push(t);
        }
        if (!twice.length) continue;
        // The most telling location leads (a value checked, then read again and used); the others are related.
        twice.sort((a, b) => rank(a) - rank(b) || a.second.node.start - b.second.node.start);
        const [{ first, second }, ...rest] = twice;
        const others = rest.sort((a, b) => a.second.node.start - b.second.node.start);
        const mapped = second.pointer.kind === 'locked-mapping';
        ctx.report({
          node: second.node,
          message: message(ctx.text(second.node).replace(/\s+/g, ' '), second, lineOf(file, first.node), others.map((t) => lineOf(file, t.second.node))),
          path: [
            { node: second.pointer.origin, label: second.pointer.label },
            { node: first.node, label: mapped ? "first read of the caller's locked pages" : second.pointer.kind === 'returned-buffer' ? "first read of the caller's buffer" : 'first read of the user location' },
            { node: second.node, label: 'read again: the value may have changed' },
          ],
          related: others.map((t) => ({ node: t.second.node, label: `'${ctx.text(t.second.node).replace(/\s+/g, ' ')}' is read again here (first read on line ${lineOf(file, t.first.node)})` })),
        });
      }
    }
  },
});
