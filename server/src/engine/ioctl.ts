/**
 * IOCTL codes and their transfer methods: `CTL_CODE(type, function, METHOD_x, access)` definitions (directly or
 * through a wrapper macro), and the codes a piece of a request handler runs under (the `case` labels or `==`
 * tests around it). The method says what the request's buffers are: METHOD_BUFFERED copies both into pool;
 * METHOD_IN_DIRECT/METHOD_OUT_DIRECT copy the input buffer but lock the caller's output pages and map them, so the
 * output buffer stays memory the caller can write; METHOD_NEITHER passes raw user addresses.
 */
import { AstNode, child, descendants, namedChildren, nodeText, TextSource } from './ast';
import type { ParsedFile } from './parse/parse';
import { callArgs, calleeName, isConstantName } from './syntax';
import { stripCasts } from './user-memory/expr';

export type IoctlMethod = 'buffered' | 'in-direct' | 'out-direct' | 'neither';

/** `METHOD_*` names (the `*_HARDWARE` ones are aliases of the direct methods) and the values 0-3 in order. */
const METHOD_NAMES: Readonly<Record<string, IoctlMethod>> = {
  METHOD_BUFFERED: 'buffered',
  METHOD_IN_DIRECT: 'in-direct',
  METHOD_DIRECT_TO_HARDWARE: 'in-direct',
  METHOD_OUT_DIRECT: 'out-direct',
  METHOD_DIRECT_FROM_HARDWARE: 'out-direct',
  METHOD_NEITHER: 'neither',
};
const METHOD_VALUES: readonly IoctlMethod[] = ['buffered', 'in-direct', 'out-direct', 'neither'];

export function isDirectMethod(m: IoctlMethod | undefined): boolean {
  return m === 'in-direct' || m === 'out-direct';
}

export interface CtlCodeUse {
  /** `CTL_CODE(...)`, or the call of a macro that passes one of its parameters to CTL_CODE as the method. */
  readonly call: AstNode;
  /** The argument in the method position. */
  readonly method: AstNode;
  /** True for a wrapper macro's call (its method argument is a `METHOD_*` name only by convention). */
  readonly wrapped: boolean;
  /** The `#define` whose whole value the call is (`#define IOCTL_X CTL_CODE(...)`). */
  readonly macro: string | undefined;
}

const usesCache = new WeakMap<ParsedFile, CtlCodeUse[]>();

/** Every CTL_CODE (or wrapper) call in the file's code and in its `#define` values. */
export function ctlCodeUses(file: ParsedFile): readonly CtlCodeUse[] {
  let out = usesCache.get(file);
  if (out) return out;
  out = [];
  const roots: { root: AstNode; macro: string | undefined }[] = [{ root: file.root, macro: undefined }];
  // Wrapper macro name -> index of the parameter it passes to CTL_CODE as the method.
  const wrappers = new Map<string, number>();
  for (const def of descendants(file.root, new Set(['preproc_def', 'preproc_function_def']))) {
    const value = child(def, 'value');
    const body = value && file.parseFragment?.(value.start, value.end);
    const name = child(def, 'name');
    if (!body || !name) continue;
    const params = child(def, 'parameters');
    roots.push({ root: body, macro: params ? undefined : nodeText(file.source, name) });
    if (!params) continue;
    const names = namedChildren(params).map((p) => nodeText(file.source, p));
    for (const call of descendants(body, 'call_expression')) {
      const method = calleeName(file, call) === 'CTL_CODE' ? callArgs(call)[2] : undefined;
      const m = method && stripCasts(method);
      const i = m && m.type === 'identifier' ? names.indexOf(nodeText(file.source, m)) : -1;
      if (i >= 0) wrappers.set(nodeText(file.source, name), i);
    }
  }
  for (const { root, macro } of roots) {
    // The define's value is the call itself: `#define X CTL_CODE(...)` or `#define X (CTL_CODE(...))`.
    const whole = macro ? namedChildren(root).filter((c) => c.type !== 'comment') : [];
    const value = whole.length === 1 && whole[0].type === 'expression_statement' ? namedChildren(whole[0])[0] : undefined;
    const top = value && stripCasts(value);
    for (const call of descendants(root, 'call_expression')) {
      const callee = calleeName(file, call);
      const index = callee === 'CTL_CODE' ? 2 : callee ? wrappers.get(callee) : undefined;
      const method = index === undefined ? undefined : callArgs(call)[index];
      if (method) out.push({ call, method, wrapped: callee !== 'CTL_CODE', macro: call === top ? macro : undefined });
    }
  }
  usesCache.set(file, out);
  return out;
}

/** The method a method argument names: a `METHOD_*` name, or (in CTL_CODE itself) its value 0-3. */
export function methodOf(src: TextSource, use: CtlCodeUse): IoctlMethod | undefined {
  const a = stripCasts(use.method);
  if (a.type === 'identifier') return methodName(nodeText(src, a));
  const m = !use.wrapped && a.type === 'number_literal' ? /^(?:0x)?0*([0-3])[uUlL]*$/.exec(nodeText(src, a)) : null;
  return m ? METHOD_VALUES[Number(m[1])] : undefined;
}

const definitionsCache = new WeakMap<ParsedFile, ReadonlyMap<string, IoctlMethod>>();

/** IOCTL codes this file defines (`#define IOCTL_X CTL_CODE(...)`) and their methods, when known. */
export function ioctlDefinitions(file: ParsedFile): ReadonlyMap<string, IoctlMethod> {
  let defs = definitionsCache.get(file);
  if (!defs) {
    const map = new Map<string, IoctlMethod>();
    for (const use of ctlCodeUses(file)) {
      const m = use.macro && methodOf(file.source, use);
      if (use.macro && m) map.set(use.macro, m);
    }
    definitionsCache.set(file, (defs = map));
  }
  return defs;
}

/** A label that names no code (`default:`, a number, an expression): the code it stands for is unknown. */
export const UNKNOWN_CODE = '?';

const JUMPS = new Set(['break_statement', 'return_statement', 'goto_statement', 'continue_statement', 'throw_statement']);

/** Whether control can fall off the end of a `case` body into the next one. */
function fallsThrough(label: AstNode): boolean {
  const body = namedChildren(label).filter((c) => c.field !== 'value' && c.type !== 'comment');
  if (!body.length) return true;
  let last: AstNode | undefined = body[body.length - 1];
  while (last?.type === 'compound_statement') last = namedChildren(last).filter((c) => c.type !== 'comment').pop();
  return !last || !JUMPS.has(last.type);
}

function labelName(src: TextSource, label: AstNode): string {
  const v = child(label, 'value');
  const e = v && stripCasts(v);
  return e && e.type === 'identifier' ? nodeText(src, e) : UNKNOWN_CODE;
}

/** The labels that reach a `case`: its own, the empty ones just above it, and those of cases that fall into it. */
function caseGroup(src: TextSource, c: AstNode): string[] {
  const labels = [labelName(src, c)];
  const siblings = c.parent?.children ?? [];
  for (let k = c.index - 1; k >= 0; k--) {
    const prev = siblings[k];
    if (prev.type !== 'case_statement' || !fallsThrough(prev)) break;
    labels.push(labelName(src, prev));
  }
  return labels;
}

/** `code == A || code == B`: the constant names compared, or undefined for any other condition. */
function equalityGroup(src: TextSource, cond: AstNode): string[] | undefined {
  const e = stripCasts(cond);
  const op = e.type === 'binary_expression' ? e.children.find((c) => c.field === 'operator')?.type : undefined;
  const [l, r] = [child(e, 'left'), child(e, 'right')];
  if (!l || !r) return undefined;
  if (op === '||') {
    const a = equalityGroup(src, l);
    const b = a && equalityGroup(src, r);
    return a && b ? [...a, ...b] : undefined;
  }
  if (op !== '==') return undefined;
  const names = [l, r].map((x) => stripCasts(x)).filter((x) => x.type === 'identifier' && isConstantName(nodeText(src, x)));
  return names.length === 1 ? [nodeText(src, names[0])] : undefined;
}

/**
 * The groups of codes `node` runs under, innermost first: per enclosing `case`, the labels that reach it; per
 * enclosing `if (code == A || code == B)` branch, its names. Which group is the IOCTL dispatch (rather than a
 * `switch` on something else) is decided once the names are resolved (`directOnly`).
 */
export function codeGroups(src: TextSource, node: AstNode): string[][] {
  const groups: string[][] = [];
  for (let n: AstNode = node, p = node.parent; p && p.type !== 'function_definition'; n = p, p = p.parent) {
    if (n.type === 'case_statement' && p.type === 'compound_statement') groups.push(caseGroup(src, n));
    const cond = p.type === 'if_statement' && n.field === 'consequence' ? child(p, 'condition') : undefined;
    const inner = cond && namedChildren(cond).find((c) => c.type !== 'comment');
    const names = inner && equalityGroup(src, inner);
    if (names) groups.push(names);
  }
  return groups;
}

/**
 * A `METHOD_*` name where a code is expected: a dispatch on the method itself (`switch (METHOD_FROM_CTL_CODE(code))`,
 * `if ((code & 3) == METHOD_OUT_DIRECT)`), decided at run time. No IOCTL code is named like one.
 */
export function methodName(name: string): IoctlMethod | undefined {
  return Object.prototype.hasOwnProperty.call(METHOD_NAMES, name) ? METHOD_NAMES[name] : undefined;
}

/**
 * True when the innermost group naming a known IOCTL code (or method) names only codes of direct methods: every
 * request that reaches the code is METHOD_IN_DIRECT or METHOD_OUT_DIRECT. Unknown names, `default:` or a buffered
 * code in that group make it false, as does no known code at all.
 */
export function directOnly(groups: readonly (readonly string[])[], method: (name: string) => IoctlMethod | undefined): boolean {
  return innermostMethods(groups, method)?.every(isDirectMethod) ?? false;
}

/**
 * The methods of the innermost group that names a known IOCTL code (or method), one per label (undefined for an
 * unknown name or `default:`); undefined when no group names a known code.
 */
export function innermostMethods(groups: readonly (readonly string[])[], method: (name: string) => IoctlMethod | undefined): (IoctlMethod | undefined)[] | undefined {
  for (const g of groups) {
    const methods = g.map((name) => (name === UNKNOWN_CODE ? undefined : (methodName(name) ?? method(name))));
    if (methods.some((m) => m !== undefined)) return methods;
  }
  return undefined;
}

/**
 * Taint tag carrying `codeGroups` across calls until the project's definitions resolve it (see `resolveCodeTags`):
 * `ioctl-cases:A,B/C`, groups innermost first.
 */
export const CASES_PREFIX = 'ioctl-cases:';
/** The tag a parameter seed gets when some caller passes it the mapping of a direct-I/O output buffer. */
export const LOCKED_MAPPING_TAG = 'locked-user-mapping';

export function codeGroupsTag(groups: readonly (readonly string[])[]): string | undefined {
  return groups.length ? CASES_PREFIX + groups.map((g) => g.join(',')).join('/') : undefined;
}

/** Every name a tag of `codeGroupsTag` mentions. */
export function codeTagNames(tag: string): string[] {
  return tag.startsWith(CASES_PREFIX) ? tag.slice(CASES_PREFIX.length).split(/[,/]/).filter((n) => n !== UNKNOWN_CODE) : [];
}

/** Seed tags with the code-group tags resolved: `LOCKED_MAPPING_TAG` if one of them is `directOnly`, else nothing. */
export function resolveCodeTags(tags: readonly string[], method: (name: string) => IoctlMethod | undefined): string[] {
  if (!tags.some((t) => t.startsWith(CASES_PREFIX))) return [...tags];
  const out = tags.filter((t) => !t.startsWith(CASES_PREFIX));
  const direct = tags.some((t) => t.startsWith(CASES_PREFIX) && directOnly(t.slice(CASES_PREFIX.length).split('/').map((g) => g.split(',')), method));
  if (direct && !out.includes(LOCKED_MAPPING_TAG)) out.push(LOCKED_MAPPING_TAG);
  return out.sort();
}
