/**
 * Registry value data used as something it may not be: `ZwQueryValueKey` and `ZwEnumerateValueKey` return a value's
 * data with whatever type and size the registry holds, not what the caller expects. The question behind KS1005: which
 * reads of the returned `Data` (or `(PUCHAR)info + info->DataOffset`) happen before the code tested the returned
 * `DataLength` (or the result length) at all? A read is a dereference through a cast to a wider type (directly or
 * through a local pointer), a copy or comparison whose length is not `DataLength`, or a string routine that looks for
 * a terminator.
 */
import { AstNode, child, descendants, namedChildren, nodeText, TextSource, walk } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { FunctionFlow } from './function-flow';
import { Guard, provesCompared } from './guards';
import { insideSizeContext, opOf, parenCastDeref, parenCastOperand, parenthesizedName, pathOf, pathRoot, stripCasts } from './paths';
import { valueReaches } from './reach';
import { declaratorName } from './solve';
import { COPY_CALLS } from './sources';
import { callArguments, calleeName } from './taint';
import type { FlowStep } from './taint-answer';
import type { MacroLookup } from './macro-values';

export type RegistryReadKind = 'typed' | 'copy' | 'string';

export interface RegistryRead {
  /** The read: a dereference, or the call that copies, compares or scans. */
  readonly node: AstNode;
  readonly kind: RegistryReadKind;
  /** The value information structure, as written (`info`, `((PKEY_VALUE_PARTIAL_INFORMATION)buffer)`), or the data pointer a QueryRoutine receives. */
  readonly info: AstNode;
  /** The pointer type the data is read as (`PULONG`), for typed reads. */
  readonly as: string | undefined;
  /** The query that filled the structure in this function; undefined when a caller or RtlQueryRegistryValues passed it in. */
  readonly query: AstNode | undefined;
  /** For data passed in: the steps from where it was read (in a caller's file) to this function's parameter. */
  readonly from: readonly FlowStep[];
  /** What was to be tested: `DataLength`, or the QueryRoutine's length parameter. */
  readonly length: string;
  /** Whether the returned `Type` was tested before the read (the size still was not). */
  readonly typeChecked: boolean;
}

/** Where the data came from: a query in this function, or a parameter (`key` keeps the first read per origin). */
interface Origin {
  readonly key: AstNode | string;
  readonly query: AstNode | undefined;
  readonly from: readonly FlowStep[];
}

/** The Nt forms take the same arguments and return the same structures. */
export const QUERIES: ReadonlySet<string> = new Set(['ZwQueryValueKey', 'ZwEnumerateValueKey', 'NtQueryValueKey', 'NtEnumerateValueKey']);
const DATA_CLASSES = new Set(['KeyValuePartialInformation', 'KeyValueFullInformation', 'KeyValuePartialInformationAlign64']);
const OFFSET_CALLS = new Set(['Add2Ptr', 'RtlOffsetToPointer']);
/** Routines that read memory for a length argument: (pointer arguments, length argument). */
const COMPARE_CALLS = new Map([['RtlCompareMemory', { srcs: [0, 1], len: 2 }], ['RtlEqualMemory', { srcs: [0, 1], len: 2 }], ['memcmp', { srcs: [0, 1], len: 2 }]]);
/** Routines that read a string up to its terminator, by argument. */
const STRING_ARGS: Readonly<Record<string, readonly number[]>> = {
  RtlInitUnicodeString: [1], RtlInitUnicodeStringEx: [1], RtlInitAnsiString: [1], RtlInitString: [1], RtlCreateUnicodeString: [1],
  wcslen: [0], strlen: [0], wcscpy: [1], strcpy: [1], wcscat: [1], strcat: [1], wcscmp: [0, 1], strcmp: [0, 1], _wcsicmp: [0, 1],
  _stricmp: [0, 1], wcsstr: [0, 1], strstr: [0, 1], wcschr: [0], strchr: [0], RtlStringCbCopyW: [2], RtlStringCchCopyW: [2],
  RtlStringCbCatW: [2], RtlStringCchCatW: [2], RtlStringCbCopyA: [2], RtlStringCchCopyA: [2],
};
const BYTE_BASES = /^(unsigned char|signed char|char|UCHAR|CHAR|BYTE|UINT8|INT8|uint8_t|int8_t|u8|s8|BOOLEAN|bool)$/;
const BYTE_POINTERS = /^(PUCHAR|PCHAR|PBYTE|LPBYTE|PBOOLEAN|PUINT8|PINT8|PSTR|PCSTR|LPSTR|LPCSTR|PSZ|PCSZ)$/;

/**
 * Where the structure `base` was filled: a data-returning query in this function, or a caller that queried it and
 * passed it in without testing its size (the project index carries the caller's check, see `registrySizeTested`).
 */
function originOf(flow: FunctionFlow, base: AstNode): Origin | undefined {
  const t = flow.taint(base);
  if (!t?.tags.includes('registry-data')) return undefined;
  const src = flow.file.source;
  const call = t.steps[0]?.node;
  if (!call) return !t.sizeChecked && t.has('buffer') && t.steps[0]?.file !== undefined ? { key: `param:${pathRoot(pathOf(src, base) ?? '')}`, query: undefined, from: t.steps } : undefined;
  if (call.type !== 'call_expression' || call.start < flow.fn.body.start || call.end > flow.fn.body.end) return undefined;
  const name = calleeName(src, call);
  // A helper that tested the size before returning the structure leaves nothing for the caller to test.
  if (returnsRegistryData(flow.macros, name)) return t.sizeChecked ? undefined : { key: call, query: call, from: [] };
  const cls = callArguments(call)[2];
  return QUERIES.has(name) && cls && DATA_CLASSES.has(nodeText(src, stripCasts(cls))) ? { key: call, query: call, from: [] } : undefined;
}

/**
 * A project function that returns a structure a query filled (`info = GetRegistryOption(Path, Name)`, see
 * returned-sources.ts): its call is the query for the caller.
 */
export function returnsRegistryData(macros: MacroLookup, name: string): boolean {
  return !!macros(name)?.returns.some((r) => r.tags.includes('registry-data'));
}

/** `info->Data`, `(PUCHAR)info + info->DataOffset` or `Add2Ptr(info, info->DataOffset)`: the structure, or undefined. */
function dataOf(src: TextSource, n: AstNode): AstNode | undefined {
  if (n.type === 'field_expression') return nodeText(src, child(n, 'field') ?? n) === 'Data' ? child(n, 'argument') : undefined;
  const pair = n.type === 'binary_expression' && opOf(src, n) === '+' ? [child(n, 'left'), child(n, 'right')] : n.type === 'call_expression' && OFFSET_CALLS.has(calleeName(src, n)) ? callArguments(n) : [];
  const [a, b] = pair.map((x) => x && stripCasts(x, src));
  for (const [base, off] of [[a, b], [b, a]]) {
    if (!base || off?.type !== 'field_expression' || nodeText(src, child(off, 'field') ?? off) !== 'DataOffset') continue;
    const p = pathOf(src, base);
    if (p !== undefined && p === pathOf(src, child(off, 'argument')!)) return base;
  }
  return undefined;
}

/** The pointer type of a cast (`type_descriptor`, or the name in a parenthesised cast), if it reads more than a byte. */
function widerPointer(src: TextSource, type: AstNode): string | undefined {
  const text = nodeText(src, type).replace(/\s+/g, ' ').trim();
  if (type.type !== 'type_descriptor') return /^L?P[A-Z0-9_]+$/.test(text) && !BYTE_POINTERS.test(text) ? text : undefined;
  let depth = 0;
  for (let d = child(type, 'declarator'); d?.type === 'abstract_pointer_declarator'; d = child(d, 'declarator')) depth++;
  const base = nodeText(src, child(type, 'type') ?? type).replace(/\b(const|volatile)\b/g, '').replace(/\s+/g, ' ').trim();
  if (depth === 0) return /^L?P[A-Z0-9_]+$/.test(base) && !BYTE_POINTERS.test(base) ? text : undefined;
  return depth === 1 && BYTE_BASES.test(base) ? undefined : text;
}

/** Climbs from the data pointer through parentheses, casts and `&...[0]`: the outermost expression and its cast. */
function climb(src: TextSource, d: AstNode): { top: AstNode; as: string | undefined } {
  let cur = d;
  let as: string | undefined;
  for (let p = cur.parent; p; p = cur.parent) {
    const paren = p.type === 'argument_list' && p.parent && parenCastOperand(p.parent, src) === cur ? p.parent : undefined;
    // `(PULONG) &info->Data` parses as a bitwise and of a parenthesised name: a cast of the address all the same.
    const andCast = p.type === 'binary_expression' && opOf(src, p) === '&' && cur.field === 'right' ? child(p, 'left') : undefined;
    const andName = parenthesizedName(andCast);
    const andType = andName?.type === 'identifier' ? widerPointer(src, andName) : undefined;
    if (p.type === 'parenthesized_expression' || (p.type === 'pointer_expression' && opOf(src, p) === '&')) cur = p;
    else if (p.type === 'cast_expression' && cur.field === 'value') [cur, as] = [p, widerPointer(src, child(p, 'type')!)];
    else if (paren) [cur, as] = [paren, widerPointer(src, namedChildren(child(paren, 'function')!)[0] ?? paren)];
    else if (andType) [cur, as] = [p, andType];
    else if (p.type === 'subscript_expression' && cur.field === 'argument' && /^0+$/.test(nodeText(src, child(p, 'index') ?? p).trim()) && p.parent?.type === 'pointer_expression' && opOf(src, p.parent) === '&') cur = p;
    else break;
  }
  return { top: cur, as };
}

/** True when `expr` mentions one of `paths` (a length that is the returned data length). */
function mentions(src: TextSource, expr: AstNode | undefined, paths: readonly string[]): boolean {
  let found = false;
  if (expr) walk(expr, (n) => !(found ||= paths.includes(pathOf(src, n) ?? '')));
  return found;
}

/**
 * Whether a dereference (`*p`, `p->f`, `p[i]`) reads the data: not when it only takes an address
 * (`&((PHDR)info->Data)->Field`) or stores into the buffer, nor when the index is made of the returned length (a
 * terminator written or tested at the end of the data).
 */
function readsThrough(src: TextSource, deref: AstNode, lengths: readonly string[]): boolean {
  if (deref.type !== 'field_expression' && deref.type !== 'subscript_expression' && !(deref.type === 'pointer_expression' && opOf(src, deref) === '*') && !parenCastDeref(deref, src)) return false;
  let cur = deref;
  while (cur.parent?.type === 'parenthesized_expression') cur = cur.parent;
  const up = cur.parent;
  if ((up?.type === 'pointer_expression' && opOf(src, up) === '&') || (up?.type === 'assignment_expression' && cur.field === 'left')) return false;
  return !(deref.type === 'subscript_expression' && mentions(src, child(deref, 'index'), lengths));
}

/** Whether `p` dereferences its operand `x`: `x->f`, `x[i]`, `*x`, or `(T)*x` parsed as a multiplication. */
function dereferences(src: TextSource, p: AstNode, x: AstNode): boolean {
  return (x.field === 'argument' && (p.type === 'field_expression' || p.type === 'subscript_expression' || p.type === 'pointer_expression')) || parenCastDeref(p, src) === x;
}

interface RegistryReadAt {
  readonly node: AstNode;
  readonly kind: RegistryReadKind;
  /** A read through a local pointer: its name, and where the data was stored into it. */
  readonly via?: { name: string; from: AstNode };
}

/** What reads the data at `top` (through `as`): a dereference, a copy or a string routine; or a local pointer's uses. */
function readsAt(flow: FunctionFlow, top: AstNode, as: string | undefined, lengths: readonly string[]): RegistryReadAt[] {
  const src = flow.file.source;
  const p = top.parent;
  if (!p) return [];
  if (as && dereferences(src, p, top)) {
    return readsThrough(src, p, lengths) ? [{ node: p, kind: 'typed' }] : [];
  }
  if (p.type === 'argument_list' && p.parent?.type === 'call_expression') {
    const call = p.parent;
    const name = calleeName(src, call);
    const args = callArguments(call);
    const i = args.indexOf(top);
    const copy = COPY_CALLS.get(name);
    const cmp = COMPARE_CALLS.get(name);
    const len = copy && copy.src === i ? args[copy.len] : cmp?.srcs.includes(i) ? args[cmp.len] : undefined;
    // A length made from the returned length (`DataLength - sizeof(WCHAR)`) is KS1003's and KS1401's to judge.
    if (len) return mentions(src, len, lengths) || flow.taint(len)?.tags.includes('registry-data') ? [] : [{ node: call, kind: 'copy' }];
    return STRING_ARGS[name]?.includes(i) ? [{ node: call, kind: 'string' }] : [];
  }
  // `PULONG v = (PULONG)info->Data;` then `*v`: the uses of the local pointer that the value still reaches.
  return as ? localPointerReads(flow, p, top, lengths, 1) : [];
}

/** The local a pointer value `top` is stored in (`v = top`, `T *v = top`). */
function storedIn(src: TextSource, top: AstNode): string | undefined {
  const p = top.parent;
  const left = p?.type === 'assignment_expression' && top.field === 'right' && opOf(src, p) === '=' ? child(p, 'left') : undefined;
  return p?.type === 'init_declarator' && top.field === 'value' ? declaratorName(src, child(p, 'declarator')) : left?.type === 'identifier' ? nodeText(src, left) : undefined;
}

/** Whether `name` is declared in `fn`'s body as a pointer (`T *name`, or a `P...` typedef). */
function pointerLocal(src: TextSource, fn: FunctionInfo, name: string): boolean {
  return descendants(fn.body, 'declaration').some((d) =>
    d.children.some((c) => c.field === 'declarator' && declaratorName(src, c) === name && (descendants(c, 'pointer_declarator').length > 0 || c.type === 'pointer_declarator' || /^L?P[A-Z0-9_]+$/.test(nodeText(src, child(d, 'type') ?? d).trim()))),
  );
}

/**
 * Reads through the local pointer that `top` (the data, as a pointer) is stored into. A member of the data stored
 * into another pointer (`sub = v->List.Entries`) is an array member's address, not a read (data from the registry
 * holds no pointers to load): the reads are then through that pointer (`hops` more times).
 */
function localPointerReads(flow: FunctionFlow, p: AstNode, top: AstNode, lengths: readonly string[], hops: number): RegistryReadAt[] {
  const src = flow.file.source;
  const name = storedIn(src, top);
  if (!name) return [];
  // A declared pointer lives in its block; whether the value still reaches a use is asked only of untested uses.
  const scope = p.type === 'init_declarator' ? (p.parent?.parent ?? flow.fn.body) : flow.fn.body;
  return descendants(scope, 'identifier')
    .filter((use) => use.start > p.end && dereferences(src, use.parent!, use) && nodeText(src, use) === name && readsThrough(src, use.parent!, lengths))
    .flatMap((use) => {
      let member = use.parent!;
      while (member.parent?.type === 'field_expression' && member.field === 'argument') member = member.parent;
      const next = member.type === 'field_expression' && hops > 0 ? storedIn(src, member) : undefined;
      if (next && pointerLocal(src, flow.fn, next) && valueReaches(flow, name, p, use)) return localPointerReads(flow, member.parent!, member, lengths, hops - 1);
      return [{ node: use.parent!, kind: 'typed' as const, via: { name, from: p } }];
    });
}

/** Guards on `path` at `at`, leaving out the "validated" status a query's own test gives its arguments (no test of the data). */
function guardsBut(flow: FunctionFlow, path: string, at: AstNode): Guard[] {
  const src = flow.file.source;
  return flow.guardsOn(path, at).filter((g) => g.cond.type !== 'call_expression' || !QUERIES.has(calleeName(src, g.cond)));
}

/**
 * Whether the value structure `expr` (a query's buffer) had its `DataLength` tested, or was passed to a validating
 * call whose result was tested, before `expr`: a caller's check of what it passes on (`summary.ts`).
 */
export function registrySizeTested(flow: FunctionFlow, expr: AstNode): boolean {
  const path = pathOf(flow.file.source, stripCasts(expr, flow.file.source));
  return path !== undefined && (guardsBut(flow, `${path}.DataLength`, expr).length > 0 || guardsBut(flow, path, expr).some((g) => g.rel === 'validated'));
}

/** The data pointers a QueryRoutine receives: `ValueData`'s uses, with `ValueType` and `ValueLength` (by position). */
function routineData(fn: FunctionInfo, flow: FunctionFlow): { uses: AstNode[]; type: string; length: string } | undefined {
  const [type, data, length] = [1, 2, 3].map((i) => fn.params[i]?.name);
  if (flow.role !== 'registry-query-routine' || fn.params.length !== 6 || !type || !data || !length) return undefined;
  return { uses: descendants(fn.body, 'identifier').filter((u) => nodeText(flow.file.source, u) === data), type, length };
}

/**
 * Reads of registry value data in `fn` made before any test of the returned `DataLength`, of the query's result
 * length, or a validating call on the structure; the first per query (or per structure passed in). In a
 * QueryRoutine, reads of `ValueData` before any test of `ValueLength`.
 */
export function uncheckedRegistryReads(fn: FunctionInfo, flow: FunctionFlow): RegistryRead[] {
  const src = flow.file.source;
  const out: RegistryRead[] = [];
  const reported = new Set<AstNode | string>();
  const routine = routineData(fn, flow);
  const candidates = [...descendants(fn.body, new Set(['field_expression', 'binary_expression', 'call_expression'])), ...(routine?.uses ?? [])].sort((a, b) => a.start - b.start);
  for (const n of candidates) {
    const info = routine?.uses.includes(n) ? n : dataOf(src, n);
    const infoPath = info && pathOf(src, info);
    if (!info || infoPath === undefined || insideSizeContext(src, n) || !flow.reachable(n)) continue;
    const origin = info === n ? { key: 'routine', query: undefined, from: flow.taint(n)?.steps ?? [] } : originOf(flow, info);
    if (!origin || reported.has(origin.key)) continue;
    const result = origin.query && callArguments(origin.query)[5];
    const resultPath = result && pathOf(src, stripCasts(result).type === 'pointer_expression' ? child(stripCasts(result), 'argument')! : result);
    const length = routine && info === n ? routine.length : `${infoPath}.DataLength`;
    const lengths = [length, ...(resultPath ? [resultPath] : [])];
    const { top, as } = climb(src, n);
    for (const read of readsAt(flow, top, as, lengths)) {
      const tested = guardsBut(flow, length, read.node).length > 0 || (!!resultPath && guardsBut(flow, resultPath, read.node).some(provesCompared)) || guardsBut(flow, infoPath, read.node).some((g) => g.rel === 'validated');
      if (tested || (read.via && !valueReaches(flow, read.via.name, read.via.from, read.node))) continue;
      reported.add(origin.key);
      const type = routine && info === n ? routine.type : `${infoPath}.Type`;
      out.push({ node: read.node, kind: read.kind, info, as, query: origin.query, from: origin.from, length: length.replace(/^.*\./, ''), typeChecked: guardsBut(flow, type, read.node).length > 0 });
      break;
    }
  }
  return out;
}
