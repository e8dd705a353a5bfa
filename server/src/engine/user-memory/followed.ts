/** Where a function follows a pointer, and what a local pointer is ever given: what KS1102 reads of request data. */
import { AstNode, child, descendants, nodeText, SubtreeMemo } from '../ast';
import type { FunctionInfo } from '../analysis';
import type { ParsedFile } from '../parse/parse';
import { callArgs, calleeName } from '../syntax';
import { memoryArgs } from './accesses';
import { declaredName, operatorOf, stripCasts } from './expr';
import { memberChain } from '../flow/member-chains';

const USE_SITES: ReadonlySet<string> = new Set(['field_expression', 'pointer_expression', 'subscript_expression', 'call_expression']);
const BINDINGS: ReadonlySet<string> = new Set(['init_declarator', 'assignment_expression', 'pointer_expression']);

export interface FollowedPointer {
  /** The use: `p->f`, `*p`, `p[i]`, or the call of a copy-like routine. */
  readonly node: AstNode;
  /** The pointer followed, casts stripped. */
  readonly pointer: AstNode;
  /** Followed with `->`. */
  readonly arrow: boolean;
}

/** Where a pointer is followed: `p->f`, `*p`, `p[i]`, and memory a copy-like routine reads or writes through `p`. */
export function followedPointers(file: ParsedFile, fn: FunctionInfo): FollowedPointer[] {
  const out: FollowedPointer[] = [];
  for (const n of descendants(fn.body, USE_SITES)) {
    if (n.type === 'call_expression') {
      const name = calleeName(file, n);
      const spec = name ? memoryArgs(name) : undefined;
      if (!spec) continue;
      const args = callArgs(n);
      for (const i of [...spec.read, ...spec.write]) if (args[i]) out.push({ node: n, pointer: stripCasts(args[i]), arrow: false });
      continue;
    }
    if (n.type === 'pointer_expression' ? n.children[0]?.type !== '*' : n.type === 'field_expression' && operatorOf(n) !== '->') continue;
    const p = child(n, 'argument');
    if (p) out.push({ node: n, pointer: stripCasts(p), arrow: n.type === 'field_expression' });
  }
  return out;
}

/**
 * Whether every value a local is given satisfies `ok` (a null pointer aside), with at least one such value, and its
 * address is never taken (an out-argument may store anything in it).
 */
export function onlyBoundTo(file: ParsedFile, fn: FunctionInfo, name: string, ok: (value: AstNode) => boolean): boolean {
  const text = (n: AstNode): string => nodeText(file.source, n);
  let any = false;
  for (const n of descendants(fn.body, BINDINGS)) {
    if (n.type === 'pointer_expression') {
      const a = child(n, 'argument');
      if (n.children[0]?.type === '&' && a && text(stripCasts(a)) === name) return false;
      continue;
    }
    const init = n.type === 'init_declarator';
    if (!init && operatorOf(n) !== '=') continue;
    const target = child(n, init ? 'declarator' : 'left');
    const value = child(n, init ? 'value' : 'right');
    if (!target || !value || (init ? declaredName(file, target) : text(target)) !== name) continue;
    const v = stripCasts(value);
    if (v.type === 'null' || text(v) === 'NULL' || text(v) === '0') continue;
    if (!ok(v)) return false;
    any = true;
  }
  return any;
}

/**
 * The member chains (flow/member-chains.ts) whose declared types KS1102 and the user-memory model may read in a
 * function: members followed as pointers, members given to locals that are followed, and with `bound` (a function
 * that holds user pointers) every member given to a name, which may become an alias of a user pointer.
 */
export function pointerMemberChains(file: ParsedFile, fn: FunctionInfo, bound: boolean): readonly string[] {
  return chainMemo.get(fn.node, bound, () => collectChains(file, fn, bound));
}

const chainMemo = new SubtreeMemo<readonly string[]>();

function collectChains(file: ParsedFile, fn: FunctionInfo, bound: boolean): string[] {
  const out = new Set<string>();
  const add = (e: AstNode): void => {
    const c = e.type === 'field_expression' ? memberChain(file.source, fn, e) : undefined;
    if (c) out.add(c);
  };
  const locals = new Set<string>();
  for (const f of followedPointers(file, fn)) {
    add(f.pointer);
    if (f.pointer.type === 'identifier') locals.add(nodeText(file.source, f.pointer));
  }
  for (const n of descendants(fn.body, BINDINGS)) {
    const init = n.type === 'init_declarator';
    if (!init && (n.type !== 'assignment_expression' || operatorOf(n) !== '=')) continue;
    const target = child(n, init ? 'declarator' : 'left');
    const value = child(n, init ? 'value' : 'right');
    if (target && value && (bound || locals.has((init ? declaredName(file, target) : nodeText(file.source, target)) ?? ''))) add(stripCasts(value));
  }
  return [...out].sort();
}
