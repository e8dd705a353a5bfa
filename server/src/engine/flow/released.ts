/**
 * Releases and what follows them: the path questions behind KS1204 (use after free, double free).
 */
import { AstNode, child, nodeText, TextSource } from '../ast';
import type { FunctionFlow } from './function-flow';
import { insideSizeContext, isPathBelow, pathOf, stripCasts } from './paths';
import { callArguments, calleeName } from './taint';
import { declaratorName, declarations } from './solve';

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

/** The first thing `root` does to `path` after `after`: redefine it, or use it (dereference, pass, free again). */
export function firstEvent(flow: FunctionFlow, root: AstNode, path: string, after: number, owner: number): Event {
  const src = flow.file.source;
  let found: Event;
  const visit = (n: AstNode): void => {
    if (found || n.end <= after) return;
    if (n !== root && flow.cfg.owns(n) && flow.cfg.ownerOf(n)?.id !== owner) return;
    if (n.type === 'declaration' && n.start >= after) {
      // A (re)declaration makes a new variable: `PUCHAR p;` at the top of a loop body ends the old one, and with it
      // every field reached through it (`e = CONTAINING_RECORD(RemoveHeadList(&l), ...)` then `ExFreePool(e->buf)`).
      for (const d of declarations(n)) {
        if (d.value) visit(d.value);
        const name = declaratorName(src, d.declarator);
        if (!found && name !== undefined && isPathBelow(path, name)) found = { kind: 'kill' };
        if (found) return;
      }
      return;
    }
    if (n.type === 'assignment_expression') {
      const right = child(n, 'right');
      if (right) visit(right);
      const left = child(n, 'left');
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
        if (!insideSizeContext(src, n) && (p !== path || !(comparedOnly(n) || passedToCall(n)))) found = { kind: 'use', node: n, free: false };
        return;
      }
    }
    for (const c of n.children) visit(c);
  };
  visit(root);
  return found;
}

export function insideLambda(n: AstNode, body: AstNode): boolean {
  for (let up = n.parent; up && up !== body; up = up.parent) if (up.type === 'lambda_expression') return true;
  return false;
}

function passedToCall(n: AstNode): boolean {
  let up = n;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  return up.parent?.type === 'argument_list';
}

/** `p`, `p == NULL`, `if (p)`: the value is looked at, nothing behind it is touched. */
function comparedOnly(n: AstNode): boolean {
  let up = n;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  const p = up.parent;
  if (!p) return true;
  if (p.type === 'binary_expression' && /^[=!]=$/.test(p.children.find((c) => c.field === 'operator')?.type ?? '')) return true;
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

