/**
 * The macro summaries of one file (macro-values.ts): each function-like `#define` and each function whose body is
 * one `return <expr>;`, its value evaluated once with its parameters symbolic (as a function's entry state is), so
 * the summary says which parameters reach the value and how. Macros the body calls are looked up in the same file
 * only: a summary depends on nothing but its file's text, so phase 1 can compute it in any worker.
 */
import { AstNode, child, descendants, namedChildren, nodeText, unwrap, walk } from '../ast';
import type { ProjectIndex } from '../analysis';
import type { EngineConfig } from '../config';
import type { FunctionInfo } from '../index/functions';
import type { ParsedFile } from '../parse/parse';
import { isTainted, paramFact, TaintState } from './facts';
import { isPureCall } from './guard-transfer';
import { EMPTY_GUARDS } from './guards';
import { effective, MacroLookup, MacroSummary } from './macro-values';
import { pathOf, pathRoot, stripCasts } from './paths';
import { bodyExpression, macroDefinitions, macroWritesNothing } from './pure-macros';
import { evalExpr } from './taint';
import { declaredTypes } from './types';
import { returnedSource } from './returned-sources';

const LEAVES = new Set(['goto_statement', 'return_statement', 'seh_leave_statement']);

/**
 * The parameters a statement body tests against NULL (`!p`, `p == NULL`) in an `if` whose branch leaves the
 * caller: what an allocation-failure macro (`BAIL_ON_ALLOC_FAILURE(p, ...)`) does with the pointer it receives.
 */
export function nullTestedParams(file: ParsedFile, body: AstNode, params: readonly string[]): number[] {
  const text = (n: AstNode): string => nodeText(file.source, unwrap(n));
  const isNull = (n: AstNode | undefined): boolean => !!n && ['NULL', 'nullptr', '0'].includes(text(n));
  const paramOf = (n: AstNode | undefined): number => (n && unwrap(n).type === 'identifier' ? params.indexOf(text(n)) : -1);
  const out = new Set<number>();
  for (const s of descendants(body, 'if_statement')) {
    const cond = child(s, 'condition');
    const c = cond && unwrap(cond);
    const op = c?.children.find((x) => x.field === 'operator');
    const opText = op ? nodeText(file.source, op) : '';
    let tested = -1;
    if (c?.type === 'unary_expression' && opText === '!') tested = paramOf(child(c, 'argument'));
    else if (c?.type === 'binary_expression' && opText === '==') {
      if (isNull(child(c, 'right'))) tested = paramOf(child(c, 'left'));
      else if (isNull(child(c, 'left'))) tested = paramOf(child(c, 'right'));
    }
    const branch = child(s, 'consequence');
    let leaves = false;
    if (branch) walk(branch, (n) => !(leaves ||= LEAVES.has(n.type)));
    if (tested >= 0 && leaves) out.add(tested);
  }
  return [...out].sort((a, b) => a - b);
}

interface Candidate {
  readonly name: string;
  readonly kind: MacroSummary['kind'];
  readonly params: readonly string[];
  /** The value expression, if the body is one. */
  readonly value: AstNode | undefined;
  /** The whole body (statement macros are read for NULL tests). */
  readonly body: AstNode | undefined;
  readonly fn?: FunctionInfo;
}

function macroCandidates(file: ParsedFile): Candidate[] {
  const out: Candidate[] = [];
  for (const [name, defs] of macroDefinitions(file)) {
    for (const def of defs) {
      const params = namedChildren(child(def, 'parameters') ?? def).filter((c) => c.type === 'identifier').map((c) => nodeText(file.source, c));
      const variadic = !!child(def, 'parameters')?.children.some((c) => nodeText(file.source, c) === '...');
      const v = child(def, 'value');
      const body = v && file.parseFragment?.(v.start, v.end);
      // A variadic macro takes any number of arguments: its summary would not say which one is which. A value that
      // does not parse (token pasting, stringizing) says nothing either.
      if (variadic) out.push({ name, kind: 'macro', params: [], value: undefined, body: undefined });
      else out.push({ name, kind: 'macro', params, value: body && !damaged(body) ? bodyExpression(file, def) : undefined, body });
    }
  }
  return out;
}

function damaged(n: AstNode): boolean {
  let bad = false;
  walk(n, (c) => !(bad ||= c.type === 'ERROR' || c.missing));
  return bad;
}

/** `{ return <expr>; }`: the expression, or undefined for any other body. */
function singleReturn(fn: FunctionInfo): AstNode | undefined {
  const parts = namedChildren(fn.body).filter((c) => c.type !== 'comment');
  if (parts.length !== 1 || parts[0].type !== 'return_statement') return undefined;
  return namedChildren(parts[0]).find((c) => c.type !== 'comment');
}

/** A file's macros and single-return functions by name, each merged over its definitions in the file (null: unknown). */
export type MacroEntries = readonly (readonly [string, MacroSummary | null])[];

interface Table {
  readonly config: EngineConfig;
  readonly entries: MacroEntries;
  readonly lookup: MacroLookup;
}

const tables = new WeakMap<ParsedFile, Table>();

/**
 * The file's macros and single-return functions, sorted by name, and the lookup phase 1 uses: the file's own
 * definitions merged as the project merges them (`mergeMacro`).
 */
export function fileMacros(file: ParsedFile, functions: readonly FunctionInfo[], config: EngineConfig): { entries: MacroEntries; lookup: MacroLookup } {
  const known = tables.get(file);
  if (known && known.config === config) return known;
  const byName = new Map<string, Candidate[]>();
  const add = (c: Candidate): void => void byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  for (const c of macroCandidates(file)) add(c);
  // A function that is not one `return` (or is damaged) has no summary, and makes its name unknown.
  for (const fn of functions) add({ name: fn.name, kind: 'function', params: namedParams(fn), value: fn.damaged ? undefined : singleReturn(fn), body: undefined, fn });
  const merged = new Map<string, MacroSummary | null>();
  const busy = new Set<string>();
  const lookup: MacroLookup = (name) => {
    // A macro whose value calls itself is not expanded again by the preprocessor: nothing is known of it.
    if (busy.has(name)) return undefined;
    if (!merged.has(name)) {
      const list = byName.get(name);
      if (!list) return undefined;
      busy.add(name);
      for (const c of list) mergeMacro(merged, name, c.kind === 'function' && !c.value ? null : summarize(file, config, c, lookup));
      busy.delete(name);
    }
    return effective(merged.get(name));
  };
  const entries: [string, MacroSummary | null][] = [];
  for (const [name, list] of byName) {
    // A name only defined by functions that are not one `return` has no entry: the project sees those functions.
    if (list.every((c) => c.kind === 'function' && !c.value)) continue;
    lookup(name);
    entries.push([name, merged.get(name) ?? null]);
  }
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const t: Table = { config, entries, lookup };
  tables.set(file, t);
  return t;
}

/** Parameter names; `(void)` declares none. */
export function namedParams(fn: FunctionInfo): string[] {
  return fn.params.length === 1 && !fn.params[0].name && fn.params[0].typeText.trim() === 'void' ? [] : fn.params.map((p) => p.name);
}

function summarize(file: ParsedFile, config: EngineConfig, c: Candidate, lookup: MacroLookup): MacroSummary {
  const state = new Map<string, ReturnType<typeof paramFact>>();
  c.params.forEach((p, i) => {
    if (p) state.set(p, paramFact(i, 0, [], c.value ?? c.body ?? file.root, `parameter '${p}'`));
  });
  const core = c.value && stripCasts(c.value, file.source);
  const path = core && pathOf(file.source, core);
  const root = path === undefined ? -1 : c.params.indexOf(pathRoot(path));
  const suffix = root >= 0 ? path!.slice(c.params[root].length) : '';
  // `(s)->f` with a parameter `f` reads the field the caller names: not the text's path, and nothing is known.
  const named = suffix.split(/\.|\[\]/).some((part) => part && c.params.includes(part));
  const f = c.value && !named ? evalExpr({ src: file.source, config, types: c.fn ? declaredTypes(file.source, c.fn) : new Map(), macros: lookup }, state as TaintState, EMPTY_GUARDS, c.value) : undefined;
  const s: MacroSummary = {
    name: c.name,
    kind: c.kind,
    arity: c.params.length,
    flows: isTainted(f) ? [...f.params] : [],
    same: root >= 0 && path === c.params[root] && f?.max === undefined,
    bounded: isTainted(f) && f.bounded,
    max: isTainted(f) && f.max !== undefined ? f.max : null,
    access: root >= 0 && suffix && !named ? { param: root, suffix } : null,
    readOnly: c.kind === 'macro' && macroWritesNothing(file, c.name, isPureCall),
    nullTests: c.kind === 'macro' && c.body ? nullTestedParams(file, c.body, c.params) : [],
    returns: c.value && !named ? [returnedSource(file.source, f, c.params)].filter((r) => r !== undefined) : [],
  };
  return s;
}

const jsonOf = new WeakMap<MacroSummary, string>();

/** The summary's JSON, computed once per summary object (keys and comparisons ask for it often). */
export function macroJson(m: MacroSummary | null | undefined): string {
  if (!m) return m === null ? 'null' : '';
  let j = jsonOf.get(m);
  if (j === undefined) jsonOf.set(m, (j = JSON.stringify(m)));
  return j;
}

/**
 * Merges one definition of `name` into `out`: a name all of whose definitions say the same keeps that summary, any
 * other is null (unknown: the build may use either definition, and the analysis cannot tell which).
 */
export function mergeMacro(out: Map<string, MacroSummary | null>, name: string, m: MacroSummary | null): void {
  const cur = out.get(name);
  if (cur === undefined) out.set(name, m);
  else if (cur !== null && (m === null || macroJson(cur) !== macroJson(m))) out.set(name, null);
}

/** What the data flow asks: the project's answer for a name it knows, else the file's own (phase 1 knows no other). */
export function macroLookup(project: ProjectIndex, local: MacroLookup): MacroLookup {
  return (name) => {
    const m = project.macro(name);
    return m === undefined ? local(name) : effective(m);
  };
}
