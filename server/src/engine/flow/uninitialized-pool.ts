/**
 * Reads of memory a non-zeroing allocation returned before anything was written to it: KS1207's second question.
 *
 * `p = ExAllocatePoolWithTag(...)` leaves the block holding whatever its previous owner left there. From the
 * allocation, or from a branch taken before anything was written through `p` (the `else` of
 * `if (UserValue == Magic) { p->Callback = Cb; }`), every path is followed as for locals (uninitialized.ts); a
 * read through `p` (`p->f`, `*p`, `p[i]`, a call through `p->Callback`) that all of them reach first is reported.
 * Writes are counted generously: any store through `p` counts as filling the whole block, as does `p` or a member
 * of it handed to any call that does not only print (`RtlZeroMemory(p, ...)`, `RtlCopyMemory(p->Name, ...)`, a
 * helper, a free). A new value of `p`, or `p` stored anywhere else, ends the search. Branches that test `p`
 * against NULL are neither starting points nor paths where `p` is NULL: a failed allocation has no contents.
 */
import { AstNode, child, nodeText, SubtreeMemo, TextSource, walk } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { FunctionFlow } from './function-flow';
import { impliedNull } from './known-null';
import { ASSERTION, mayLeave } from './must-reach';
import { addressOperand, argumentListOf, insideSizeContext, opOf, stripCasts } from './paths';
import { declaratorName, declarations } from './solve';
import { callArguments, calleeName } from './taint';
import type { NameEvent, UninitializedRead } from './uninitialized';
import { INERT_CALLS, outsideOrDeclaration, unwrittenReads } from './uninitialized';

/** Allocators whose memory is not zeroed (`ExAllocatePool2`/`3` zero it unless told not to: see `allocates`). */
const NON_ZEROING = /^(ExAllocatePool|ExAllocatePoolWithTag|ExAllocatePoolWithTagPriority|ExAllocatePoolWithQuota|ExAllocatePoolWithQuotaTag|ExAllocatePoolUninitialized|ExAllocatePoolQuotaUninitialized|ExAllocateFromNPagedLookasideList|ExAllocateFromPagedLookasideList|ExAllocateFromLookasideListEx|NdisAllocateMemoryWithTagPriority)$/;

/** A pointer given a block no one has written yet: the allocation (where the search starts) and its call. */
export interface PoolCandidate {
  readonly decl: AstNode;
  readonly declarator: AstNode;
  readonly allocator: string;
}

/** The allocator `value` calls, when it returns memory that is not zeroed. */
function allocates(src: TextSource, value: AstNode | undefined): string | undefined {
  const v = value && stripCasts(value, src);
  if (v?.type !== 'call_expression') return undefined;
  const name = calleeName(src, v) ?? '';
  if (NON_ZEROING.test(name)) return name;
  const flags = callArguments(v)[0];
  return /^ExAllocatePool[23]$/.test(name) && flags && nodeText(src, flags).includes('POOL_FLAG_UNINITIALIZED') ? name : undefined;
}

/** The pointer whose block `x` reads or writes (`p->f`, `p->a.b`, `p->Arr[i]`, `*p`, `p[i]`), if any. */
function contentOf(src: TextSource, x: AstNode): string | undefined {
  let n = stripCasts(x, src);
  for (let depth = 0; depth < 16; depth++) {
    const arg = child(n, 'argument');
    if (!arg) return undefined;
    const inner = stripCasts(arg, src);
    const through = (n.type === 'field_expression' && n.children.some((c) => c.type === '->')) || n.type === 'subscript_expression' || (n.type === 'pointer_expression' && n.children[0]?.type === '*');
    if (through && inner.type === 'identifier') return nodeText(src, inner);
    if (n.type !== 'field_expression' && n.type !== 'subscript_expression') return undefined;
    n = inner;
  }
  return undefined;
}

/**
 * Locals (or parameters) given a non-zeroing allocation exactly once, whose address is never taken and that are
 * declared at most once: by name, with the allocation.
 */
export function poolCandidates(src: TextSource, fn: FunctionInfo): ReadonlyMap<string, PoolCandidate> {
  return poolMemo.get(fn.node, '', () => {
    const found = new Map<string, PoolCandidate | null>();
    const declared = new Map<string, number>();
    const add = (name: string | undefined, decl: AstNode, value: AstNode | undefined): void => {
      const allocator = name !== undefined ? allocates(src, value) : undefined;
      if (allocator && name !== undefined) found.set(name, found.has(name) ? null : { decl, declarator: value!, allocator });
    };
    walk(fn.body, (n) => {
      if (n.type === 'declaration') {
        for (const d of declarations(n)) {
          const name = declaratorName(src, d.declarator);
          if (name !== undefined) declared.set(name, (declared.get(name) ?? 0) + 1);
          add(name, n, d.value);
        }
      } else if (n.type === 'assignment_expression' && opOf(src, n) === '=' && n.parent?.type === 'expression_statement') {
        const left = child(n, 'left');
        const l = left && stripCasts(left, src);
        if (l?.type === 'identifier') add(nodeText(src, l), n, child(n, 'right'));
      } else {
        const operand = addressOperand(n);
        const o = operand && stripCasts(operand, src);
        // `DbgPrint("%p", &p)` shows where the pointer lives; anything else may store through its address.
        const call = argumentListOf(n)?.parent;
        if (o?.type === 'identifier' && !(call?.type === 'call_expression' && INERT_CALLS.test(calleeName(src, call) ?? ''))) found.set(nodeText(src, o), null);
      }
      return n.type !== 'lambda_expression';
    });
    const out = new Map<string, PoolCandidate>();
    for (const [name, c] of found) if (c && (declared.get(name) ?? 0) <= 1) out.set(name, c);
    return out;
  });
}

const poolMemo = new SubtreeMemo<ReadonlyMap<string, PoolCandidate>>();

/** A bare use of the pointer that says nothing about its block: a NULL test, or a comparison. */
function onlyTested(n: AstNode): boolean {
  let up = n;
  while (up.parent?.type === 'parenthesized_expression') up = up.parent;
  const p = up.parent;
  if (!p) return false;
  if (up.field === 'condition' || p.type === 'condition_clause') return true;
  if (p.type === 'unary_expression') return p.children[0]?.type === '!';
  return p.type === 'binary_expression' && p.children.some((c) => c.type === '==' || c.type === '!=' || c.type === '&&' || c.type === '||');
}

/**
 * `p->f` where only its value's use could tell a read from an array member's address (`q = p->Buf;`,
 * `return p->Name;`, `p->Buf + 1`): neither a read nor a write here, since the member's type is not followed.
 */
function mayBeArrayAddress(src: TextSource, n: AstNode): boolean {
  if (n.type !== 'field_expression') return false;
  let up = n;
  while (up.parent?.type === 'parenthesized_expression' || up.parent?.type === 'cast_expression') up = up.parent;
  const p = up.parent;
  if (!p) return false;
  if (p.type === 'return_statement' || p.type === 'init_declarator' || (p.type === 'assignment_expression' && up.field === 'right')) return true;
  return p.type === 'binary_expression' && (opOf(src, p) === '+' || opOf(src, p) === '-');
}

/** What the part of `root` that CFG node `owner` evaluates after `after` does to the blocks of `names`. */
function contentEventsIn(flow: FunctionFlow, root: AstNode, after: number, owner: number, names: ReadonlySet<string>): NameEvent[] {
  const src = flow.file.source;
  const out: NameEvent[] = [];
  const mine = (x: AstNode | undefined): string | undefined => {
    const c = x && contentOf(src, x);
    return c !== undefined && names.has(c) ? c : undefined;
  };
  const bare = (x: AstNode | undefined): string | undefined => {
    const s = x && stripCasts(x, src);
    return s?.type === 'identifier' && names.has(nodeText(src, s)) ? nodeText(src, s) : undefined;
  };
  const visit = (n: AstNode): void => {
    if (outsideOrDeclaration(flow, root, after, owner, names, n, visit, out)) return;
    if (n.type === 'assignment_expression') {
      const right = child(n, 'right');
      const left = child(n, 'left');
      if (right) visit(right);
      const pointer = bare(left);
      const block = mine(left);
      if (pointer !== undefined) out.push({ name: pointer, event: 'redeclare' });
      else if (block !== undefined) out.push({ name: block, event: opOf(src, n) === '=' ? 'write' : 'read', node: left });
      else if (left) visit(left);
      return;
    }
    const operand = addressOperand(n);
    const address = operand && mine(operand);
    if (address !== undefined) {
      out.push({ name: address, event: 'write' });
      return;
    }
    if (n.type === 'call_expression' && n.start >= after) {
      const callee = calleeName(src, n) ?? '';
      if (mayLeave(n, callee) || ASSERTION.test(callee)) out.push({ name: '*', event: 'leave' });
      const f = child(n, 'function');
      const through = mine(f);
      if (through !== undefined) out.push({ name: through, event: 'read', node: f });
      else if (f) visit(f);
      const inert = INERT_CALLS.test(callee);
      for (const a of callArguments(n)) {
        // Printing the pointer (or where it lives) reads nothing of the block; any other call may fill or free it.
        if (inert && (bare(a) ?? bare(addressOperand(a))) !== undefined) continue;
        const target = inert ? undefined : (bare(a) ?? mine(a));
        if (target !== undefined) out.push({ name: target, event: 'write' });
        else visit(a);
      }
      return;
    }
    const read = mine(n);
    if (read !== undefined && (n.type === 'field_expression' || n.type === 'subscript_expression' || n.type === 'pointer_expression')) {
      if (!insideSizeContext(src, n) && !mayBeArrayAddress(src, n)) out.push({ name: read, event: 'read', node: n });
      return;
    }
    if (n.type === 'identifier' && n.start >= after) {
      const name = nodeText(src, n);
      // Stored or returned elsewhere, the block may be written through another name.
      if (names.has(name) && !onlyTested(n) && !insideSizeContext(src, n)) out.push({ name, event: 'redeclare' });
      else if (mayLeave(n, name)) out.push({ name: '*', event: 'leave' });
      return;
    }
    for (const c of n.children) visit(c);
  };
  visit(root);
  return out;
}

/** Every read of a block in `fn` that certainly comes before anything was written to it (see the module comment). */
export function uninitializedPoolReads(flow: FunctionFlow, candidates: ReadonlyMap<string, PoolCandidate>): UninitializedRead[] {
  const src = flow.file.source;
  return unwrittenReads(flow, candidates, {
    events: contentEventsIn,
    skipBranch: (cond, polarity, name) => impliedNull(src, cond, polarity, name) !== undefined,
    feasible: (assume, name) => !assume.ast || impliedNull(src, assume.ast, assume.polarity, name) !== true,
  });
}
