/**
 * KS1005's RtlQueryRegistryValues half: query-table entries whose Flags ask for RTL_QUERY_REGISTRY_DIRECT without
 * RTL_QUERY_REGISTRY_TYPECHECK, written in an aggregate initializer or stored (`table[0].Flags = ...`,
 * `table->Flags |= ...`), for tables the file passes to RtlQueryRegistryValues(Ex). Flags that are not known here (a
 * variable, a project macro that may hold TYPECHECK) are left alone, and so is an entry given TYPECHECK anywhere.
 */
import type { RuleContext } from '../../server/src/engine/rule';
import { AstNode, child, descendants, namedChildren, nodeText } from '../../server/src/engine/ast';
import { opOf, pathOf, pathRoot, stripCasts } from '../../server/src/engine/flow/paths';
import { declarations, declaratorName } from '../../server/src/engine/flow/solve';
import { callArgs, calleeName, flagNames, isConstantName } from '../../server/src/engine/syntax';

export interface DirectEntry {
  /** The Flags expression that asks for DIRECT. */
  readonly flags: AstNode;
  /** The entry's Name, when written beside it. */
  readonly name: AstNode | undefined;
  readonly fixes: { title: string; safety: 'safe' | 'unsafe'; edits: { start: number; end: number; newText: string }[] }[];
}

const QUERY_CALLS = new Set(['RtlQueryRegistryValues', 'RtlQueryRegistryValuesEx']);
const FIELDS = ['QueryRoutine', 'Flags', 'Name', 'EntryContext', 'DefaultType', 'DefaultData', 'DefaultLength'];
const TYPECHECK = 'RTL_QUERY_REGISTRY_TYPECHECK';

interface Store {
  readonly key: string;
  readonly flags: AstNode;
  readonly fields: ReadonlyMap<string, AstNode>;
}

/** `{ 'DIRECT' | 'TYPECHECK' ... }` named in a flags expression, or undefined when it holds anything not known here. */
function flagsOf(ctx: RuleContext, expr: AstNode): Set<string> | undefined {
  const names = flagNames(ctx.file, expr, isConstantName);
  return names && [...names].every((n) => n.startsWith('RTL_QUERY_REGISTRY_')) ? names : undefined;
}

/** Where an entry lives: its function (tables of the same name in two functions are two tables), or the file. */
function scopeOf(ctx: RuleContext, n: AstNode): string {
  return String(ctx.analysis.functionAt(n)?.node.start ?? 'file');
}

/** The entry a stored field belongs to: `t[0].Flags` and `t->Flags` are both `t[0]`. */
function entryKey(ctx: RuleContext, field: AstNode): string | undefined {
  const base = child(field, 'argument');
  if (!base) return undefined;
  const text = nodeText(ctx.file.source, base).replace(/\s+/g, '');
  return `${scopeOf(ctx, field)}:${opOf(ctx.file.source, field) === '->' ? `${text}[0]` : text}`;
}

/** The roots of the tables passed to RtlQueryRegistryValues(Ex) by these calls. */
function tableRoots(ctx: RuleContext, calls: readonly AstNode[]): Set<string> {
  const roots = new Set<string>();
  for (const call of calls) {
    const table = QUERY_CALLS.has(calleeName(ctx.file, call) ?? '') ? callArgs(call)[2] : undefined;
    let t = table && stripCasts(table);
    if (t?.type === 'pointer_expression' && opOf(ctx.file.source, t) === '&') t = child(t, 'argument');
    const p = t && pathOf(ctx.file.source, t);
    if (p) roots.add(pathRoot(p));
  }
  return roots;
}

/** Entries of `RTL_QUERY_REGISTRY_TABLE t[] = { { NULL, FLAGS, L"Name", ... }, ... }`, positional or designated. */
function initializedEntries(ctx: RuleContext, roots: ReadonlySet<string>): Store[] {
  const out: Store[] = [];
  for (const decl of descendants(ctx.file.root, 'declaration')) {
    if (!/\bRTL_QUERY_REGISTRY_TABLE\b/.test(nodeText(ctx.file.source, child(decl, 'type') ?? decl))) continue;
    for (const { declarator, value } of declarations(decl)) {
      const name = declaratorName(ctx.file.source, declarator);
      if (!name || !roots.has(name) || value?.type !== 'initializer_list') continue;
      const items = namedChildren(value).filter((c) => c.type !== 'comment');
      const entries = items.some((c) => c.type === 'initializer_list') ? items.filter((c) => c.type === 'initializer_list') : [value];
      entries.forEach((entry, i) => {
        const fields = new Map<string, AstNode>();
        namedChildren(entry).filter((c) => c.type !== 'comment').forEach((c, k) => {
          const designator = c.type === 'initializer_pair' ? descendants(child(c, 'designator') ?? c, 'field_identifier')[0] : undefined;
          const v = c.type === 'initializer_pair' ? child(c, 'value') : c;
          const field = designator ? nodeText(ctx.file.source, designator) : FIELDS[k];
          if (field && v) fields.set(field, v);
        });
        const flags = fields.get('Flags');
        if (flags) out.push({ key: `${scopeOf(ctx, decl)}:${name}[${i}]`, flags, fields });
      });
    }
  }
  return out;
}

/** `t[0].Flags = ...`, `t->Flags |= ...` on a table passed to the query, with the entry's other stored fields. */
function storedEntries(ctx: RuleContext, roots: ReadonlySet<string>): Store[] {
  const src = ctx.file.source;
  const fields = new Map<string, Map<string, AstNode>>();
  const out: Store[] = [];
  for (const a of descendants(ctx.file.root, 'assignment_expression')) {
    const left = child(a, 'left');
    const right = child(a, 'right');
    const field = left?.type === 'field_expression' ? nodeText(src, child(left, 'field') ?? left) : '';
    const key = field && entryKey(ctx, left!);
    const path = left && pathOf(src, left);
    if (!key || !right || !path || !roots.has(pathRoot(path))) continue;
    if (!fields.has(key)) fields.set(key, new Map());
    if (field !== 'Flags') fields.get(key)!.set(field, right);
    else if (opOf(src, a) === '=' || opOf(src, a) === '|=') out.push({ key, flags: right, fields: fields.get(key)! });
  }
  return out;
}

/**
 * Adding TYPECHECK is safe when DefaultType already names the expected type in its top byte (only values of another
 * type, which would have overrun the buffer, now fail); with a plain `REG_DWORD` default it also sets that as the
 * expected type, which a person must confirm. With no type to expect, there is no fix.
 */
function typecheckFixes(ctx: RuleContext, flags: AstNode, defaultType: AstNode | undefined): DirectEntry['fixes'] {
  const add = { start: flags.end, end: flags.end, newText: ` | ${TYPECHECK}` };
  const dt = defaultType && stripCasts(defaultType);
  if (!dt) return [];
  if (descendants(dt, 'identifier').some((i) => nodeText(ctx.file.source, i) === `${TYPECHECK}_SHIFT`)) {
    return [{ title: `Add ${TYPECHECK} (DefaultType already names the expected type)`, safety: 'safe', edits: [add] }];
  }
  const type = nodeText(ctx.file.source, dt);
  if (dt.type !== 'identifier' || !/^REG_[A-Z0-9_]+$/.test(type) || type === 'REG_NONE') return [];
  const expect = { start: dt.start, end: dt.end, newText: `(${type} << ${TYPECHECK}_SHIFT) | ${type}` };
  return [{ title: `Add ${TYPECHECK}, expecting ${type} (check that the stored value has this type)`, safety: 'unsafe', edits: [add, expect] }];
}

/** Query-table entries that read a value directly into EntryContext with no type check (`calls`: the file's calls). */
export function directEntries(ctx: RuleContext, calls: readonly AstNode[]): DirectEntry[] {
  const roots = tableRoots(ctx, calls);
  if (!roots.size) return [];
  const stores = [...initializedEntries(ctx, roots), ...storedEntries(ctx, roots)];
  const byKey = new Map<string, Set<string> | undefined>();
  for (const s of stores) {
    const names = flagsOf(ctx, s.flags);
    const seen = byKey.has(s.key) ? byKey.get(s.key) : new Set<string>();
    byKey.set(s.key, names && seen ? new Set([...seen, ...names]) : undefined);
  }
  const out: DirectEntry[] = [];
  const reported = new Set<string>();
  for (const s of stores) {
    const all = byKey.get(s.key);
    if (!all || all.has(TYPECHECK) || reported.has(s.key) || !flagsOf(ctx, s.flags)?.has('RTL_QUERY_REGISTRY_DIRECT')) continue;
    reported.add(s.key);
    out.push({ flags: s.flags, name: s.fields.get('Name'), fixes: typecheckFixes(ctx, s.flags, s.fields.get('DefaultType')) });
  }
  return out;
}
