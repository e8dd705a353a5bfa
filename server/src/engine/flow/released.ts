/**
 * Releases and what follows them: the path questions behind KS1204 (use after free, double free).
 */
import { AstNode, child, descendants, nodeText, TextSource } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { FunctionFlow } from './function-flow';
import { argumentListOf, insideSizeContext, isPathBelow, opOf, pathOf, stripCasts } from './paths';
import { callArguments, calleeName } from './taint';
import { declaratorName, declarations, isStaticOrExtern } from './solve';

/**
 * Release routines and the argument they release. `RtlFreeUnicodeString(&s)` releases `s.Buffer`. Object
 * dereferences are left out: code often holds a second reference, and the count is not visible here.
 */
export const FREES: ReadonlyMap<string, number> = new Map([
  ['ExFreePool', 0], ['ExFreePoolWithTag', 0], ['ExFreePool2', 0], ['ExFreeToNPagedLookasideList', 1],
  ['ExFreeToPagedLookasideList', 1], ['IoFreeMdl', 0], ['IoFreeIrp', 0], ['IoFreeWorkItem', 0],
  ['RtlFreeUnicodeString', 0], ['RtlFreeAnsiString', 0],
  ['MmFreeNonCachedMemory', 0], ['MmFreeContiguousMemory', 0], ['kfree', 0], ['vfree', 0], ['free', 0],
]);
/** Calls that only print or compare a pointer value. */
const INERT_CALLS = /print|trace|log|assert|verify/i;

type Event = { kind: 'kill' } | { kind: 'use'; node: AstNode; free: boolean } | undefined;

/**
 * A pointer value a search from a release follows: the released path itself, or a local variable the value was
 * copied to after the release (`copy`, the assignment or declarator that made the copy).
 */
export interface Tracked {
  readonly path: string;
  readonly copy?: AstNode;
}

/** Names that hold a copy only for this call of the function: parameters and locals that are not `static`. */
export function localNames(src: TextSource, fn: FunctionInfo): ReadonlySet<string> {
  const out = new Set(fn.params.map((p) => p.name));
  for (const d of descendants(fn.body, 'declaration')) {
    if (isStaticOrExtern(src, d)) continue;
    for (const x of declarations(d)) {
      const name = declaratorName(src, x.declarator);
      if (name !== undefined) out.add(name);
    }
  }
  return out;
}

/** `value` is the released pointer itself (`q = p`, `q = (PMDL)p`), not something read through it. */
function copiesPath(src: TextSource, value: AstNode | undefined, path: string): boolean {
  const v = value && stripCasts(value);
  return !!v && (v.type === 'identifier' || v.type === 'field_expression') && pathOf(src, v) === path;
}

/**
 * The first thing `root` does to `path` after `after`: redefine it, or use it (dereference, store, return, free
 * again). Copies of the pointer into a local variable (`last = p`) are not uses: with `copies`, they are added to
 * `copies.out` so that the search follows the copy too.
 */
export function firstEvent(flow: FunctionFlow, root: AstNode, path: string, after: number, owner: number, copies?: { locals: ReadonlySet<string>; out: Tracked[] }): Event {
  const src = flow.file.source;
  let found: Event;
  const visit = (n: AstNode): void => {
    if (found || n.end <= after) return;
    if (n !== root && flow.cfg.owns(n) && flow.cfg.ownerOf(n)?.id !== owner) return;
    if (n.type === 'declaration' && n.start >= after) {
      // A (re)declaration makes a new variable: `PUCHAR p;` at the top of a loop body ends the old one, and with it
      // every field reached through it (`e = CONTAINING_RECORD(RemoveHeadList(&l), ...)` then `ExFreePool(e->buf)`).
      for (const d of declarations(n)) {
        const name = declaratorName(src, d.declarator);
        if (copies && name !== undefined && copies.locals.has(name) && copiesPath(src, d.value, path)) copies.out.push({ path: name, copy: d.declarator });
        else if (d.value) visit(d.value);
        if (!found && name !== undefined && isPathBelow(path, name)) found = { kind: 'kill' };
        if (found) return;
      }
      return;
    }
    if (n.type === 'assignment_expression') {
      const right = child(n, 'right');
      const left = child(n, 'left');
      const target = left?.type === 'identifier' ? nodeText(src, left) : undefined;
      const copied = copies && target !== undefined && n.start >= after && copies.locals.has(target) && opOf(src, n) === '=' && copiesPath(src, right, path);
      if (copied) copies.out.push({ path: target, copy: n });
      else if (right) visit(right);
      const p = left && pathOf(src, left);
      if (!found && p !== undefined && n.start >= after && (p === path || isPathBelow(path, p))) found = { kind: 'kill' };
      else if (left && !found && p !== path) visit(left);
      return;
    }
    if (n.start >= after && n.type === 'call_expression') {
      const name = calleeName(src, n) ?? '';
      const arg = FREES.has(name) ? callArguments(n)[FREES.get(name)!] : undefined;
      if (arg && releasedPath(src, name, arg) === path) {
        found = { kind: 'use', node: n, free: true };
        return;
      }
      if (INERT_CALLS.test(name)) return;
      // `Build(&name)` may give the released field a new value.
      for (const a of callArguments(n)) {
        const x = stripCasts(a);
        const inner = x.type === 'pointer_expression' && nodeText(src, x).startsWith('&') ? child(x, 'argument') : undefined;
        const p = inner && pathOf(src, inner);
        if (p !== undefined && (p === path || isPathBelow(path, p))) {
          found = { kind: 'kill' };
          return;
        }
      }
    }
    if (n.start >= after && (n.type === 'identifier' || n.type === 'field_expression' || n.type === 'pointer_expression' || n.type === 'subscript_expression')) {
      const p = pathOf(src, n);
      if (p !== undefined && (p === path || isPathBelow(p, path))) {
        // `p->f`, `*p`, `p[i]` touch the memory; the bare `p` counts when it is stored or returned (passed to a
        // call it may be an opaque tag, as remove-lock tags are).
        if (!insideSizeContext(src, n) && (p !== path || !(comparedOnly(n) || !!argumentListOf(n)))) found = { kind: 'use', node: n, free: false };
        return;
      }
    }
    for (const c of n.children) visit(c);
  };
  visit(root);
  return found;
}

/** What a node does to the tracked values: the first use of any of them, and those still live after it. */
export function followTracked(flow: FunctionFlow, root: AstNode, tracked: readonly Tracked[], after: number, owner: number, locals: ReadonlySet<string>): { hit?: { node: AstNode; free: boolean; via?: Tracked }; live: readonly Tracked[] } {
  let hit: { node: AstNode; free: boolean; via?: Tracked } | undefined;
  let live: Tracked[] = [];
  const made: Tracked[] = [];
  for (const t of tracked) {
    const ev = firstEvent(flow, root, t.path, after, owner, { locals, out: made });
    if (ev?.kind === 'use' && (!hit || ev.node.start < hit.node.start)) hit = { node: ev.node, free: ev.free, via: t.copy ? t : undefined };
    if (!ev) live.push(t);
  }
  // A copy made here replaces whatever its variable held before (that value was killed by the same assignment).
  for (const c of made) live = [...live.filter((t) => t.path !== c.path), c];
  return { hit, live };
}

export function insideLambda(n: AstNode, body: AstNode): boolean {
  for (let up = n.parent; up && up !== body; up = up.parent) if (up.type === 'lambda_expression') return true;
  return false;
}

/** `p`, `p == NULL`, `if (p)`, `q && p`: the value is looked at, nothing behind it is touched. */
function comparedOnly(n: AstNode): boolean {
  let up = n;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  const p = up.parent;
  if (!p) return true;
  // An operand of `&&`/`||` is tested for truth (`if (p == q && p)`), as is the condition of `p ? a : b`.
  if (p.type === 'binary_expression' && /^([=!]=|&&|\|\|)$/.test(p.children.find((c) => c.field === 'operator')?.type ?? '')) return true;
  if (p.type === 'conditional_expression' && up.field === 'condition') return true;
  if (p.type === 'unary_expression' || p.type === 'condition_clause' || p.type === 'if_statement' || p.type === 'while_statement') return true;
  return p.type === 'parenthesized_expression' && (p.parent?.type === 'if_statement' || p.parent?.type === 'while_statement');
}

export function conditionKey(src: TextSource, cond: AstNode): string {
  return nodeText(src, stripCasts(cond)).replace(/\s+/g, '');
}

/** Atomic conditions known at a node (from the `assume` nodes dominating it), with the value they have there. */
export function knownConditions(flow: FunctionFlow, id: number): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const n of flow.cfg.nodes) {
    if (n.kind !== 'assume' || !n.ast || n.id === id) continue;
    if (flow.dominators.dominates(n.id, id)) out.set(conditionKey(flow.file.source, n.ast), n.polarity);
  }
  return out;
}

export function releasedPath(src: TextSource, name: string, arg: AstNode): string | undefined {
  const a = stripCasts(arg);
  if (name === 'RtlFreeUnicodeString' || name === 'RtlFreeAnsiString') {
    const inner = a.type === 'pointer_expression' && nodeText(src, a).startsWith('&') ? child(a, 'argument') : undefined;
    const p = inner ? pathOf(src, inner) : pathOf(src, a);
    return p === undefined ? undefined : `${p}.Buffer`;
  }
  return pathOf(src, a);
}

