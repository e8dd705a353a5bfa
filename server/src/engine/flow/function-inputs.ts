/**
 * Where untrusted data enters one function: parameters that callers seed, SAL input buffers, `__user` pointers and
 * sources inside the body. Kept apart from `FunctionFlow` because the first question (can anything untrusted reach
 * this function at all?) must be answerable without a CFG, and the entry state is the one place parameters become
 * symbolic facts.
 */
import { AstNode, descendants } from '../ast';
import type { ParamSeed } from '../analysis';
import type { EngineConfig } from '../config';
import type { FunctionInfo } from '../index/functions';
import type { ParsedFile } from '../parse/parse';
import { Fact, paramFact, TaintState } from './facts';
import { pathOf } from './paths';
import { BUF, CALL_SOURCES, isObjectParam, isUserReadAccessor, pathSource, salInputBuffer, USER, VAL } from './sources';
import { calleeName } from './taint';
import type { MacroLookup } from './macro-values';

/**
 * Whether anything untrusted can reach a function: a parameter seeded by a caller, an input-buffer annotation, or a
 * source inside the body. Needs no CFG, so callers can skip building one for the many functions that touch nothing
 * untrusted.
 */
export function functionHasTaint(fn: FunctionInfo, file: ParsedFile, seeds: ReadonlyMap<number, ParamSeed> | undefined, config: EngineConfig, macros?: MacroLookup): boolean {
  if (seeds && seeds.size) return true;
  if (fn.params.some((p) => salInputBuffer(p.annotations) || /\b__user\b/.test(p.typeText))) return true;
  let known = sourcesInBody.get(fn.body);
  if (known?.sources !== config.sources) sourcesInBody.set(fn.body, (known = { sources: config.sources, ...bodySources(file, fn.body, config) }));
  // A project function whose value is a source (returned-sources.ts) is one too.
  return known.found || (!!macros && known.callees.some((name) => !!macros(name)?.returns.length));
}

/**
 * Whether a body contains a source, and the other names it calls, per body node and configured source list. A node
 * keeps its identity across an editor re-parse only while the text it covers is unchanged (see buildAst), so the
 * answer stays right.
 */
const sourcesInBody = new WeakMap<AstNode, { sources: EngineConfig['sources']; found: boolean; callees: readonly string[] }>();

const SOURCE_SITES: ReadonlySet<string> = new Set(['field_expression', 'call_expression']);

function bodySources(file: ParsedFile, body: AstNode, config: EngineConfig): { found: boolean; callees: string[] } {
  const src = file.source;
  const cfgSources = new Set(config.sources.map((s) => s.function));
  const callees = new Set<string>();
  for (const n of descendants(body, SOURCE_SITES)) {
    if (n.type === 'field_expression') {
      const p = pathOf(src, n);
      if (p && pathSource(p)) return { found: true, callees: [] };
    } else {
      const name = calleeName(src, n);
      if (CALL_SOURCES.has(name) || cfgSources.has(name) || isUserReadAccessor(name) || name === 'get_user') return { found: true, callees: [] };
      callees.add(name);
    }
  }
  return { found: false, callees: [...callees] };
}

/** Parameters are symbolic (`param i`); SAL input buffers and `__user` pointers are concrete sources too. */
export function entryState(fn: FunctionInfo): TaintState {
  const state = new Map<string, Fact>();
  const names = new Map(fn.params.map((p) => [p.name, p.index]));
  const lengthParams = new Set<number>();
  for (const p of fn.params) {
    const sal = salInputBuffer(p.annotations);
    if (sal?.size && names.has(sal.size)) lengthParams.add(names.get(sal.size)!);
  }
  for (const p of fn.params) {
    if (!p.name) continue;
    const sal = salInputBuffer(p.annotations);
    if (sal) state.set(p.name, paramFact(p.index, BUF, ['annotated-buffer'], p.node, `parameter '${p.name}' (caller-supplied input buffer per its SAL annotation)`));
    else if (/\b__user\b/.test(p.typeText)) state.set(p.name, paramFact(p.index, USER, ['user-pointer'], p.node, `parameter '${p.name}' (__user pointer)`));
    else if (lengthParams.has(p.index)) state.set(p.name, paramFact(p.index, VAL, ['annotated-length'], p.node, `parameter '${p.name}' (length of a caller-supplied buffer)`, true));
    else if (!isObjectParam(p.typeText)) state.set(p.name, paramFact(p.index, 0, [], p.node, `parameter '${p.name}'`));
  }
  return state;
}
