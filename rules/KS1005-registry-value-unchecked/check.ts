import { defineCheck, RuleContext } from '../../server/src/engine/rule';
import { AstNode, descendants, nodeText } from '../../server/src/engine/ast';
import type { FunctionInfo } from '../../server/src/engine/analysis';
import { QUERIES, RegistryRead, returnsRegistryData, uncheckedRegistryReads } from '../../server/src/engine/flow/registry-reads';
import { calleeName, isUserModeFile } from '../../server/src/engine/syntax';
import { directEntries } from './query-table';

const ANYTHING = 'its type and size are whatever the registry holds, and a user, an installer or corrupted data may have written anything there';

function reportDirect(ctx: RuleContext, calls: readonly AstNode[]): void {
  for (const e of directEntries(ctx, calls)) {
    const name = e.name?.type === 'string_literal' ? ` '${nodeText(ctx.file.source, e.name).replace(/^L?"|"$/g, '')}'` : '';
    ctx.report({
      node: e.flags,
      subKind: 'direct-without-typecheck',
      message:
        `This query-table entry reads the value${name} with RTL_QUERY_REGISTRY_DIRECT but without RTL_QUERY_REGISTRY_TYPECHECK: RtlQueryRegistryValues writes the value into EntryContext in whatever form its stored type takes (${ANYTHING}), so a string or binary value where a ULONG is expected may overrun the buffer, and from Windows 8 a direct query of an untrusted hive without type checking bug-checks with 0x139 (KERNEL_SECURITY_CHECK_FAILURE). ` +
        `Add RTL_QUERY_REGISTRY_TYPECHECK with the expected type in DefaultType's top byte ('(REG_DWORD << RTL_QUERY_REGISTRY_TYPECHECK_SHIFT) | REG_NONE'), or read the value in a QueryRoutine that checks ValueType and ValueLength.`,
      fixes: e.fixes,
    });
  }
}

/** The type a read through `as` takes: `PULONG` and `ULONG *` give `ULONG`, `PCWSTR` gives `WCHAR`. */
function pointee(as: string | undefined): string | undefined {
  const t = as?.replace(/\b(const|volatile)\b/g, '').replace(/\s+/g, ' ').trim();
  if (!t) return undefined;
  if (t.endsWith('*')) return t.slice(0, -1).trim() || undefined;
  if (/^L?PC?WSTR$/.test(t)) return 'WCHAR';
  if (/^L?PC?STR$/.test(t)) return 'CHAR';
  return /^L?P[A-Z0-9_]+$/.test(t) ? t.replace(/^L?P/, '') : undefined;
}

/** Where the data came from, for the message: the query here, the caller's, or RtlQueryRegistryValues. */
function originText(ctx: RuleContext, r: RegistryRead, info: string): string {
  if (r.query) return `the registry value that ${calleeName(ctx.file, r.query) ?? 'the query'} returned in '${info}'`;
  return r.length === 'DataLength' ? `the registry value that a caller queried and passed in '${info}' (see the path)` : `the registry value that RtlQueryRegistryValues passes to this QueryRoutine in '${info}'`;
}

function describe(ctx: RuleContext, r: RegistryRead): string {
  const src = ctx.file.source;
  const info = nodeText(src, r.info).replace(/\s+/g, ' ');
  const value = originText(ctx, r, info);
  const [type, length] = r.length === 'DataLength' ? ['Type', 'DataLength'] : ['ValueType', r.length];
  // A caller may have tested the type; only the size is known to be untested on some path here.
  const unchecked = r.typeChecked ? `its ${length} (its ${type} was tested, but a value of that type may still hold fewer bytes)` : r.from.length && r.length === 'DataLength' ? `its ${length}, here or before the call` : `its ${type} or ${length}`;
  if (r.kind === 'string') {
    return `'${calleeName(ctx.file, r.node)}' treats the data of ${value} as a terminated string without testing ${unchecked}: ${ANYTHING}, and string data is stored as written, with or without a terminator, so the scan may run past the data. Check ${type} == REG_SZ, then use ${length}: build a counted UNICODE_STRING from it, or copy ${length} bytes into a buffer one WCHAR larger and terminate it.`;
  }
  const read = r.kind === 'copy' ? `'${calleeName(ctx.file, r.node)}' reads` : `'${nodeText(src, r.node).replace(/\s+/g, ' ')}' reads${r.as ? `, through a '${r.as}',` : ''}`;
  const size = r.kind === 'copy' ? `${length} >= the length copied` : `${length} == sizeof(${pointee(r.as) ?? 'the type read'})`;
  return `${read} the data of ${value} without testing ${unchecked}: ${ANYTHING}, so the read may take bytes the value does not have (past the data, or left over in the buffer) or reinterpret a string or binary value. Check ${type} against the type you expect and ${length} against the size you read ('${size}') before reading, and fail or keep a default otherwise.`;
}

/** Functions that receive registry data from their callers or from RtlQueryRegistryValues (project facts). */
function receivesValues(ctx: RuleContext, fn: FunctionInfo): boolean {
  const seeds = ctx.analysis.project.paramTaint(fn.name, ctx.file.path);
  return !!seeds && [...seeds.values()].some((s) => s.tags?.includes('registry-data'));
}

export default defineCheck({
  check(ctx) {
    if (isUserModeFile(ctx.file)) return;
    // One walk over the file's calls serves both halves; most files make neither kind of query.
    const calls = descendants(ctx.file.root, 'call_expression');
    reportDirect(ctx, calls);
    const queries = (name: string): boolean => QUERIES.has(name) || returnsRegistryData(ctx.analysis.macros, name);
    const querying = new Set<FunctionInfo | undefined>(calls.filter((c) => queries(calleeName(ctx.file, c) ?? '')).map((c) => ctx.analysis.functionAt(c)));
    for (const { fn, flow } of ctx.analysis.flowsWhere((fn) => querying.has(fn) || receivesValues(ctx, fn))) {
      for (const r of uncheckedRegistryReads(fn, flow)) {
        const source = r.query ? [{ node: r.query, label: `value data, type and size returned by '${calleeName(ctx.file, r.query)}'` }] : r.from;
        ctx.report({
          node: r.node,
          subKind: 'unchecked-value-read',
          message: describe(ctx, r),
          path: [...source, { node: r.node, label: `read with no test of ${r.length}` }],
        });
      }
    }
  },
});
