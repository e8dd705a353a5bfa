/**
 * Dereferences of a pointer that is certainly NULL when they run: every path from a point where the pointer is
 * known to be NULL (`p = NULL;`, or the branch of `if (p == NULL)` / `if (!p)` / a loop's `while (p)` exit)
 * reaches a dereference of it with no new value, no test that would reject NULL, and no way out of the function
 * first. The question behind KS1206.
 *
 * The claim is "must", not "may": a single path that leaves the function, gives the pointer a value, or takes a
 * branch that only a non-NULL pointer can take makes the point silent. What remains can only be wrong if the
 * NULL point itself never runs.
 */
import { AstNode, child, descendants, nodeText, SubtreeMemo, TextSource, walk } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { CfgNode } from './cfg';
import type { FunctionFlow } from './function-flow';
import { isZeroLiteral } from './guard-transfer';
import { addressOperand, insideSizeContext, opOf, stripCasts } from './paths';
import { asserts, contradictsDominating, handlerEntries, insideAssertion, mayLeave, mustReach, MustReachQuery } from './must-reach';
import { declaratorName, declarations, isStaticOrExtern } from './solve';
import { callArguments, calleeName } from './taint';
import { memoryArgs } from '../user-memory/accesses';

export type NullOrigin = 'stored' | 'tested';

export interface NullDereference {
  readonly name: string;
  /** Where the pointer became known NULL: the assignment or declarator, or the tested condition. */
  readonly origin: AstNode;
  readonly kind: NullOrigin;
  readonly deref: AstNode;
}

/** `stop`: the pointer may have a new value here, or the path may end: nothing is certain past this point. */
type Event = 'deref' | 'stop' | undefined;

const DEREF_TYPES: ReadonlySet<string> = new Set(['field_expression', 'pointer_expression', 'subscript_expression']);

/** `p`, `(p)`, `(PFOO)p` as the plain name `name`. */
function isName(src: TextSource, n: AstNode | undefined, name: string): boolean {
  const s = n && stripCasts(n, src);
  return !!s && s.type === 'identifier' && nodeText(src, s) === name;
}

/** `&p->f`, `&p[i]`, `&p->a.b[2]`: an address computed from the pointer, not a load through it. */
function addressOnly(n: AstNode): boolean {
  let up = n;
  while (up.parent && ((up.parent.type === 'field_expression' || up.parent.type === 'subscript_expression') && up.field === 'argument' || up.parent.type === 'parenthesized_expression')) up = up.parent;
  // Also `(SIZE_T)&p->f`, which the grammar may parse as a bitwise and.
  return !!up.parent && addressOperand(up.parent) === up;
}

/** The node reads or writes memory through `name`: `name->f`, `*name`, `name[i]`. */
export function dereferences(src: TextSource, n: AstNode, name: string): boolean {
  if (n.type === 'call_expression') return calleeDereferences(src, n, name);
  if (n.type === 'field_expression') {
    if (!n.children.some((c) => c.type === '->') || !isName(src, child(n, 'argument'), name)) return false;
  } else if (n.type === 'pointer_expression') {
    if (!n.children.some((c) => c.type === '*') || !isName(src, child(n, 'argument'), name)) return false;
  } else if (n.type === 'subscript_expression') {
    if (!isName(src, child(n, 'argument'), name)) return false;
  } else return false;
  return !addressOnly(n) && !insideSizeContext(src, n);
}

/**
 * Memory routines by the argument that gives their length (-1: none, they always read): a NULL destination or
 * source (the arguments `memoryArgs` names) is followed as soon as the length is not zero. `RtlInitUnicodeString(&s, NULL)` is allowed, so absent.
 */
const LENGTH_ARG: ReadonlyMap<string, number> = new Map([
  ['RtlCopyMemory', 2], ['RtlMoveMemory', 2], ['RtlCopyBytes', 2], ['memcpy', 2], ['memmove', 2],
  ['RtlCompareMemory', 2], ['RtlEqualMemory', 2], ['memcmp', 2], ['RtlZeroMemory', 1], ['RtlSecureZeroMemory', 1],
  ['RtlFillMemory', 1], ['memset', 2], ['strlen', -1], ['wcslen', -1],
]);

/**
 * `RtlZeroMemory(p, sizeof(*p))`, `RtlCopyMemory(p, src, 16)`, `strlen(p)`: a call that reads or writes through `p`
 * with a length that is certainly not zero (a `sizeof`, or a non-zero number), so a NULL `p` is dereferenced in it.
 */
function calleeDereferences(src: TextSource, call: AstNode, name: string): boolean {
  const callee = calleeName(src, call) ?? '';
  const lengthAt = LENGTH_ARG.get(callee);
  if (lengthAt === undefined) return false;
  const args = callArguments(call);
  const through = memoryArgs(callee)!;
  if (![...through.read, ...through.write].some((i) => args[i] && isName(src, args[i], name))) return false;
  if (lengthAt < 0) return true;
  const len = args[lengthAt] && stripCasts(args[lengthAt], src);
  if (!len) return false;
  return len.type === 'sizeof_expression' || (len.type === 'number_literal' && Number(nodeText(src, len).replace(/[uUlL]+$/, '')) > 0);
}

/** The name an atomic condition tests against NULL (`p`, `p == NULL`, `NULL != p`), and whether it holds when `p` is NULL. */
function nullTest(src: TextSource, cond: AstNode): { name: string; whenNull: boolean } | undefined {
  const c = stripCasts(cond, src);
  if (c.type === 'identifier') return { name: nodeText(src, c), whenNull: false };
  if (c.type !== 'binary_expression') return undefined;
  const op = opOf(src, c);
  if (op !== '==' && op !== '!=') return undefined;
  const l = child(c, 'left');
  const r = child(c, 'right');
  const tested = l && r && (isZeroLiteral(src, r) ? stripCasts(l, src) : isZeroLiteral(src, l) ? stripCasts(r, src) : undefined);
  return tested?.type === 'identifier' ? { name: nodeText(src, tested), whenNull: op === '==' } : undefined;
}

/** What an atomic condition assumed with `polarity` says about `name`: NULL (true), not NULL (false), or nothing. */
export function impliedNull(src: TextSource, cond: AstNode, polarity: boolean, name: string): boolean | undefined {
  const t = nullTest(src, cond);
  return t?.name === name ? t.whenNull === polarity : undefined;
}

/** The first thing the part of `root` that CFG node `owner` evaluates after offset `after` does to `name`. */
function firstEvent(flow: FunctionFlow, root: AstNode, name: string, after: number, owner: number, cpp: boolean): { event: Event; node?: AstNode } {
  const src = flow.file.source;
  let found: { event: Event; node?: AstNode } = { event: undefined };
  const visit = (n: AstNode): void => {
    if (found.event || n.end <= after) return;
    if (n !== root && flow.cfg.owns(n) && flow.cfg.ownerOf(n)?.id !== owner) return;
    if (n.type === 'declaration') {
      for (const d of declarations(n)) {
        if (d.value) visit(d.value);
        if (!found.event && declaratorName(src, d.declarator) === name && n.start >= after) found = { event: 'stop' };
        if (found.event) return;
      }
      return;
    }
    if (n.type === 'identifier' && mayLeave(n, nodeText(src, n))) {
      found = { event: 'stop' };
      return;
    }
    if (n.type === 'assignment_expression') {
      const right = child(n, 'right');
      const left = child(n, 'left');
      if (right) visit(right);
      if (!found.event && left && isName(src, left, name)) found = { event: 'stop' };
      else if (left && !found.event) visit(left);
      return;
    }
    if (n.type === 'update_expression' && isName(src, child(n, 'argument'), name)) {
      found = { event: 'stop' };
      return;
    }
    if (n.start >= after && dereferences(src, n, name)) {
      found = { event: 'deref', node: n };
      return;
    }
    if (n.type === 'call_expression' && n.start >= after) {
      const callee = calleeName(src, n) ?? '';
      if (asserts(src, n, callee, name) || mayLeave(n, callee)) {
        found = { event: 'stop' };
        return;
      }
    }
    for (const c of n.children) visit(c);
    // A C++ reference parameter, or a macro (named in capitals), may give the pointer a value.
    if (!found.event && n.type === 'call_expression' && n.start >= after) {
      const callee = calleeName(src, n) ?? '';
      if ((cpp || /^[A-Z0-9_]+$/.test(callee)) && callArguments(n).some((a) => isName(src, a, name))) found = { event: 'stop' };
    }
  };
  visit(root);
  return found;
}

/** Where each local pointer of `fn` becomes known NULL, with the start of the search from there. */
function nullOrigins(flow: FunctionFlow, fn: FunctionInfo, names: ReadonlySet<string>): { name: string; origin: AstNode; kind: NullOrigin; node: CfgNode; after: number }[] {
  const src = flow.file.source;
  const out: { name: string; origin: AstNode; kind: NullOrigin; node: CfgNode; after: number }[] = [];
  const stored = (name: string | undefined, origin: AstNode, value: AstNode | undefined, whole: AstNode): void => {
    const node = flow.cfg.ownerOf(whole);
    if (name !== undefined && names.has(name) && value && isZeroLiteral(src, value) && node && flow.reachable(whole)) out.push({ name, origin, kind: 'stored', node, after: whole.end });
  };
  for (const a of descendants(fn.body, 'assignment_expression')) {
    const left = child(a, 'left');
    if (opOf(src, a) === '=' && left?.type === 'identifier') stored(nodeText(src, left), a, child(a, 'right'), a);
  }
  for (const d of descendants(fn.body, 'declaration')) for (const x of declarations(d)) stored(declaratorName(src, x.declarator), x.declarator, x.value, d);
  for (const n of flow.cfg.nodes) {
    if (n.kind !== 'assume' || !n.ast || insideAssertion(src, n.ast) || contradictsDominating(flow, n)) continue;
    const t = nullTest(src, n.ast);
    if (t && names.has(t.name) && t.whenNull === n.polarity) out.push({ name: t.name, origin: n.ast, kind: 'tested', node: n, after: n.ast.end });
  }
  return out;
}

/**
 * A dereference of `name` on every path to the test, with no new value between: had the pointer been NULL, that
 * dereference would already have faulted, so the test's NULL branch cannot run (the test is only defensive).
 */
function dereferencedBefore(flow: FunctionFlow, derefs: readonly AstNode[], writes: readonly AstNode[], test: CfgNode): boolean {
  const at = test.ast!.start;
  for (const d of derefs) {
    const owner = flow.cfg.ownerOf(d);
    if (!owner || owner.id === test.id || d.end > at || !flow.dominators.dominates(owner.id, test.id)) continue;
    if (!writes.some((w) => w.start >= d.end && w.end <= at)) return true;
  }
  return false;
}

/** Assignments and increments of each name, as written. */
function writesByName(src: TextSource, body: AstNode): Map<string, AstNode[]> {
  const out = new Map<string, AstNode[]>();
  for (const n of descendants(body, new Set(['assignment_expression', 'update_expression']))) {
    const target = child(n, n.type === 'assignment_expression' ? 'left' : 'argument');
    const s = target && stripCasts(target, src);
    if (s?.type === 'identifier') out.set(nodeText(src, s), [...(out.get(nodeText(src, s)) ?? []), n]);
  }
  return out;
}

/** `p` used as a truth value: `if (p)`, `!p`, `p && q`, `p ? a : b`, a loop's `while (p)`. */
function truthTested(n: AstNode): boolean {
  let up = n;
  while (up.parent?.type === 'parenthesized_expression' || up.parent?.type === 'cast_expression') up = up.parent;
  const p = up.parent;
  if (!p) return false;
  if (p.type === 'unary_expression') return p.children.some((c) => c.type === '!');
  if (p.type === 'binary_expression') return p.children.some((c) => c.type === '&&' || c.type === '||');
  if (p.type === 'condition_clause') return true;
  return up.field === 'condition' && /^(if|while|do|for)_statement$|^conditional_expression$/.test(p.type);
}

/** The local pointers a function dereferences (the only ones that can matter), with what may dereference them. */
export interface NullCandidates {
  /** Per name, the `p->f`, `*p` and `p[i]` nodes (some may be in `sizeof` or under `&`: see `dereferences`). */
  readonly derefs: ReadonlyMap<string, readonly AstNode[]>;
}

/**
 * Syntax only and one walk, so that functions without candidates never build their flow: names the body
 * dereferences that are parameters or its own non-static locals, minus those whose address is taken (a call may
 * store through it) and objects used with `.` (a C++ smart pointer's methods may give it a value).
 */
export function nullCandidates(src: TextSource, fn: FunctionInfo): NullCandidates | undefined {
  return nullCandidateMemo.get(fn.node, '', () => collectNullCandidates(src, fn));
}

const nullCandidateMemo = new SubtreeMemo<NullCandidates | undefined>();

function collectNullCandidates(src: TextSource, fn: FunctionInfo): NullCandidates | undefined {
  const derefs = new Map<string, AstNode[]>();
  const excluded = new Set<string>();
  const declared = new Set(fn.params.map((p) => p.name));
  // Names stored NULL or tested for NULL somewhere: without either, no point makes the pointer known NULL.
  const nulled = new Set<string>();
  const nameOf = (x: AstNode | undefined): string | undefined => {
    const s = x && stripCasts(x, src);
    return s?.type === 'identifier' ? nodeText(src, s) : undefined;
  };
  walk(fn.body, (n) => {
    if (n.type === 'declaration') {
      if (!isStaticOrExtern(src, n)) {
        for (const x of declarations(n)) {
          const name = declaratorName(src, x.declarator);
          if (name !== undefined) declared.add(name);
          if (name !== undefined && x.value && isZeroLiteral(src, x.value)) nulled.add(name);
        }
      }
      return;
    }
    if (n.type === 'assignment_expression' || n.type === 'binary_expression') {
      const l = child(n, 'left');
      const r = child(n, 'right');
      const op = opOf(src, n);
      if ((op === '=' || op === '==' || op === '!=') && l && r) {
        const name = isZeroLiteral(src, r) ? nameOf(l) : op !== '=' && isZeroLiteral(src, l) ? nameOf(r) : undefined;
        if (name !== undefined) nulled.add(name);
      }
    }
    if (n.type === 'call_expression' && LENGTH_ARG.has(calleeName(src, n) ?? '')) {
      for (const a of callArguments(n)) {
        const s = stripCasts(a, src);
        const name = s.type === 'identifier' ? nodeText(src, s) : undefined;
        if (name !== undefined && calleeDereferences(src, n, name)) derefs.set(name, [...(derefs.get(name) ?? []), n]);
      }
    }
    if (n.type === 'identifier' && truthTested(n)) nulled.add(nodeText(src, n));
    if (!DEREF_TYPES.has(n.type)) return;
    const arg = child(n, 'argument');
    if (!arg) return;
    const s = stripCasts(arg, src);
    if (s.type !== 'identifier') return;
    const name = nodeText(src, s);
    if (n.type === 'pointer_expression' && n.children.some((c) => c.type === '&')) excluded.add(name);
    else if (n.type === 'field_expression' && n.children.some((c) => c.type === '.')) excluded.add(name);
    else {
      const list = derefs.get(name);
      if (list) list.push(n);
      else derefs.set(name, [n]);
    }
  });
  for (const name of [...derefs.keys()]) if (excluded.has(name) || !declared.has(name) || !nulled.has(name)) derefs.delete(name);
  return derefs.size ? { derefs } : undefined;
}

/** Every dereference in `fn` that runs with a pointer known NULL on all paths from some point (see the module comment). */
export function knownNullDereferences(flow: FunctionFlow, fn: FunctionInfo, candidates: NullCandidates): NullDereference[] {
  const src = flow.file.source;
  const cpp = flow.file.lang === 'cpp';
  const names = new Set(candidates.derefs.keys());
  const handlers = handlerEntries(flow);
  const writes = writesByName(src, fn.body);
  const real = new Map<string, readonly AstNode[]>();
  const realDerefs = (name: string): readonly AstNode[] => {
    let r = real.get(name);
    if (!r) real.set(name, (r = (candidates.derefs.get(name) ?? []).filter((d) => dereferences(src, d, name))));
    return r;
  };
  const out: NullDereference[] = [];
  const reported = new Set<number>();
  for (const o of nullOrigins(flow, fn, names)) {
    const q: MustReachQuery = {
      step: (root, after, owner) => {
        const ev = firstEvent(flow, root, o.name, after, owner, cpp);
        return ev.event === 'deref' ? ev.node : ev.event;
      },
      // Only a non-NULL pointer takes a branch its test says is not NULL.
      feasible: (assume) => impliedNull(src, assume.ast!, assume.polarity, o.name) !== false,
    };
    if (o.kind === 'tested' && dereferencedBefore(flow, realDerefs(o.name), writes.get(o.name) ?? [], o.node)) continue;
    const deref = mustReach(flow, o.node, o.kind === 'tested' ? -1 : o.after, q, handlers);
    if (!deref || reported.has(deref.start)) continue;
    reported.add(deref.start);
    out.push({ name: o.name, origin: o.origin, kind: o.kind, deref });
  }
  return out;
}
