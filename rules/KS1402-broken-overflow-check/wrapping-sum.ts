/**
 * A size check defeated by wrap-around: `if (Offset + Size > Length) fail;` where an operand is untrusted, not
 * bounded on the path, and the addition happens in a type it fills: a 32-bit sum with a 32-bit untrusted operand
 * (a value near 4 GB makes it wrap to a small number that passes), or a 64-bit sum of two untrusted 64-bit values.
 * A SIZE_T sum of 32-bit values (`Size + sizeof(HDR)`) wraps only where SIZE_T is 32 bits: a note.
 */
import { ancestor, AstNode, child, namedChildren, nodeText, TextSource, walk } from '../../server/src/engine/ast';
import { isNoReturnCall } from '../../server/src/engine/flow/noreturn';
import { commonType, exprIntType, promoted } from '../../server/src/engine/flow/expr-type';
import type { FunctionFlow } from '../../server/src/engine/flow/function-flow';
import { opOf, pathOf, stripCasts } from '../../server/src/engine/flow/paths';
import { pathSource } from '../../server/src/engine/flow/sources';
import type { Taint } from '../../server/src/engine/flow/taint-answer';
import type { IntType, NameType } from '../../server/src/engine/flow/types';
import type { ParsedFile } from '../../server/src/engine/parse/parse';
import type { ReportSpec } from '../../server/src/engine/rule';
import { onlyAnnotated } from '../../server/src/engine/untrusted';
import { RELATIONAL, sumOperands, sumSide, unparen, wrapTestOf } from './wrap-test';

/** Taint tags of user addresses passed as they are: the request is METHOD_NEITHER (or neither I/O). */
const RAW_USER_TAGS = new Set(['type3-input', 'user-buffer', 'unsafe-user-buffer']);

/**
 * Whether the function handles a request whose lengths are only numbers: it reads or receives the caller's raw
 * user address. Other request lengths measure a buffer the I/O manager allocated or locked, which cannot be near 4 GB.
 */
export function rawUserRequest(file: ParsedFile, flow: FunctionFlow): boolean {
  for (const seed of flow.paramSeeds?.values() ?? []) if (seed.tags?.some((t) => RAW_USER_TAGS.has(t))) return true;
  let found = false;
  walk(flow.fn.body, (n) => {
    if (found) return false;
    if (n.type === 'field_expression') {
      const p = pathOf(file.source, n);
      const s = p === undefined ? undefined : pathSource(p);
      if (s && RAW_USER_TAGS.has(s.tag)) found = true;
    }
    return true;
  });
  return found;
}

/** Whether a branch leaves when it runs: its last statement returns, jumps out, leaves the switch or raises. */
function leaves(src: TextSource, stmt: AstNode | undefined): boolean {
  let s = stmt;
  while (s?.type === 'compound_statement') s = namedChildren(s).filter((c) => c.type !== 'comment').pop();
  if (!s) return false;
  if (s.type === 'return_statement' || s.type === 'goto_statement' || s.type === 'throw_statement' || s.type === 'seh_leave_statement') return true;
  // `break` ends a rejected `case`; out of a loop it only stops the walk.
  if (s.type === 'break_statement') return ancestor(s, (a) => LOOPS.has(a.type) || a.type === 'switch_statement')?.type === 'switch_statement';
  const e = s.type === 'expression_statement' ? namedChildren(s)[0] : undefined;
  return !!e && isNoReturnCall(src, e);
}

const LOOPS = new Set(['for_statement', 'while_statement', 'do_statement', 'for_range_loop']);

/**
 * The comparison rejects a sum that is too large: it is (part of) an `if` condition, and the branch that runs when
 * the comparison says the sum exceeds the bound leaves. Ordering tests (`if (s->Address > a + n)` in a list) and
 * loop exits are not size checks.
 */
function rejectsLargeSum(file: ParsedFile, cmp: AstNode, sum: AstNode): boolean {
  const src = file.source;
  const op = opOf(src, cmp);
  const sumLeft = unparen(child(cmp, 'left') ?? cmp) === sum;
  let large = sumLeft === (op === '>' || op === '>=');
  let n = cmp;
  for (let p = n.parent; p; n = p, p = p.parent) {
    if (p.type === 'parenthesized_expression' || p.type === 'condition_clause') continue;
    if (p.type === 'unary_expression' && opOf(src, p) === '!') large = !large;
    else if (!(p.type === 'binary_expression' && /^(&&|\|\||and|or)$/.test(opOf(src, p)))) {
      return p.type === 'if_statement' && n.field === 'condition' && leaves(src, child(p, large ? 'consequence' : 'alternative'));
    }
  }
  return false;
}

/** The whole `if` condition around a comparison. */
function conditionOf(cmp: AstNode): AstNode {
  let n = cmp;
  while (n.parent && n.parent.type !== 'if_statement') n = n.parent;
  return n;
}

/** An untrusted operand that may be as large as its type allows here: data, or a raw request's length. */
function hugeOperand(flow: FunctionFlow, op: AstNode, raw: () => boolean): Taint | undefined {
  const t = flow.taint(op);
  if (!t || !t.has('value') || t.has('buffer') || t.has('user-pointer') || t.bounded || onlyAnnotated(t)) return undefined;
  if (t.length && !(t.tags.some((tag) => tag.startsWith('request-')) && raw())) return undefined;
  return flow.isBounded(op) ? undefined : t;
}

/** A wrap test of the same operands anywhere in the condition (`a + b < a || a + b > n`) or a guard relating them. */
function wrapHandled(file: ParsedFile, flow: FunctionFlow, cond: AstNode, cmp: AstNode, ops: readonly AstNode[]): boolean {
  const texts = new Set(ops.map((o) => nodeText(file.source, stripCasts(o)).replace(/\s+/g, '')));
  let handled = false;
  walk(cond, (n) => {
    const w = n.type === 'binary_expression' ? wrapTestOf(file, n) : undefined;
    if (w && texts.has(nodeText(file.source, stripCasts(w.kept)).replace(/\s+/g, ''))) handled = true;
    return !handled;
  });
  if (handled) return true;
  const paths = ops.map((o) => pathOf(file.source, o)).filter((p): p is string => p !== undefined);
  return paths.some((p) => flow.guardsOn(p, cmp).some((g) => paths.some((q) => q !== p && g.boundPaths?.includes(q))));
}

/** The finding for an upper-bound test of a sum that wrap-around defeats, if `cmp` is one. */
export function wrappingSum(file: ParsedFile, flow: FunctionFlow, types: ReadonlyMap<string, NameType>, cmp: AstNode, raw: () => boolean, noX86: boolean): ReportSpec | undefined {
  const src = file.source;
  if (cmp.type !== 'binary_expression' || !RELATIONAL.has(opOf(src, cmp)) || wrapTestOf(file, cmp)) return undefined;
  const sum = sumSide(file, cmp);
  const ops = sum && sumOperands(file, sum);
  if (!sum || !ops || !rejectsLargeSum(file, cmp, sum)) return undefined;
  const typesOf = ops.map((o) => exprIntType(file, types, unparen(o)));
  if (typesOf.some((t) => !t)) return undefined;
  const sumType = (typesOf as IntType[]).reduce(commonType);
  if (sumType.signed) return undefined;
  const huge = ops.map((o, i) => ({ o, t: hugeOperand(flow, o, raw), w: promoted(typesOf[i]!).width })).filter((h) => h.t);
  const full = huge.filter((h) => h.w === sumType.width);
  let severity: 'warning' | 'note';
  if (sumType.width === 32 && full.length) severity = 'warning';
  else if (sumType.width === 64 && full.length >= 2) severity = 'warning';
  else if (sumType.width === 'pointer' && full.length >= 2) severity = 'warning';
  // Data in a SIZE_T sum wraps only on 32-bit builds; kept for the caller's raw length (HEVD's textbook case) alone.
  else if (sumType.width === 'pointer' && huge.some((h) => h.t!.length) && !noX86) severity = 'note';
  else return undefined;
  if (wrapHandled(file, flow, conditionOf(cmp), cmp, ops)) return undefined;
  const h = severity === 'warning' ? full[0] : huge.find((x) => x.t!.length)!;
  const text = (n: AstNode): string => nodeText(src, n).replace(/\s+/g, ' ');
  const name = text(stripCasts(h.o));
  const origin = h.t!.steps[0]?.label ?? 'untrusted input';
  const bound = text(unparen(unparen(child(cmp, 'left')!) === sum ? child(cmp, 'right')! : child(cmp, 'left')!));
  const others = ops.filter((o) => o !== h.o).map(text).join(' + ');
  const where = severity === 'note' ? `the sum is a SIZE_T, which on a 32-bit build is 32 bits wide: there a '${name}' near 4 GB may make it wrap` : sumType.width === 32 ? `the sum is computed in 32 bits, and a '${name}' near 4 GB (0xFFFFFFFF) makes it wrap to a small number` : `the sum is computed in 64 bits, and values near 2^64 make it wrap to a small number`;
  return {
    node: cmp,
    subKind: 'wrapping-sum',
    severity,
    message:
      `The size check '${text(cmp)}' ${severity === 'note' ? 'may be' : 'can be'} defeated by wrap-around: '${name}' comes from untrusted data (${origin}) and nothing bounds it first; ${where}, so the check passes and the code after it goes on with a value it was meant to reject. ` +
      `Compare with the room left instead ('${name} > ${bound} - ${ops.length > 2 ? `(${others})` : others}', once '${others}' is known to be at most '${bound}'), or add with ${sumType.width === 32 ? 'RtlULongAdd' : sumType.width === 64 ? 'RtlULongLongAdd' : 'RtlSizeTAdd'} (ntintsafe.h) and fail on its error status.`,
    path: [...h.t!.steps, { node: cmp, label: 'size check on a sum that can wrap' }],
  };
}
