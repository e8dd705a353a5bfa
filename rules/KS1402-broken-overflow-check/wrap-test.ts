/**
 * Wrap tests that cannot work: `a + b < a` (or `>`, `<=`, `>=`, either way round) where the sum is a pointer sum
 * (overflow is undefined and compilers remove the test), a sum of 8- or 16-bit values (computed in `int`, it never
 * wraps, so the test is always false), or a sum of signed integers (overflow is undefined; the compiler may remove
 * the test). Pure syntax and declared types: no data flow.
 */
import { AstNode, child, nodeText } from '../../server/src/engine/ast';
import { commonType, exprIntType, isPointerExpr } from '../../server/src/engine/flow/expr-type';
import { opOf, stripCasts } from '../../server/src/engine/flow/paths';
import type { NameType } from '../../server/src/engine/flow/types';
import type { ParsedFile } from '../../server/src/engine/parse/parse';
import type { ReportSpec } from '../../server/src/engine/rule';

export const RELATIONAL = new Set(['<', '<=', '>', '>=']);

/** Parentheses only: a cast of the sum (`(USHORT)(a + b) < a`) changes what is compared. */
export function unparen(n: AstNode): AstNode {
  let x = n;
  while (x.type === 'parenthesized_expression') {
    const inner = x.children.filter((c) => c.named && c.type !== 'comment');
    if (inner.length !== 1) break;
    x = inner[0];
  }
  return x;
}

/** Operands of a chain of `+` (`a + b + c`), or undefined when `n` is not a sum. */
export function sumOperands(file: ParsedFile, n: AstNode): AstNode[] | undefined {
  const s = unparen(n);
  if (s.type !== 'binary_expression' || opOf(file.source, s) !== '+') return undefined;
  const out: AstNode[] = [];
  for (const side of [child(s, 'left'), child(s, 'right')]) {
    if (!side) return undefined;
    out.push(...(sumOperands(file, side) ?? [side]));
  }
  return out;
}

/** The side of a comparison that is a sum (the left one when both are). */
export function sumSide(file: ParsedFile, cmp: AstNode): AstNode | undefined {
  for (const side of [child(cmp, 'left'), child(cmp, 'right')]) if (side && sumOperands(file, side)) return unparen(side);
  return undefined;
}

const same = (file: ParsedFile, a: AstNode, b: AstNode): boolean =>
  nodeText(file.source, stripCasts(a)).replace(/\s+/g, '') === nodeText(file.source, stripCasts(b)).replace(/\s+/g, '');

export interface WrapTest {
  readonly cmp: AstNode;
  /** The sum compared with one of its own operands. */
  readonly sum: AstNode;
  /** That operand, and the rest of the sum. */
  readonly kept: AstNode;
  readonly added: AstNode;
}

/** `a + b < a` and its variants: a relational comparison of a two-operand sum with one of its operands. */
export function wrapTestOf(file: ParsedFile, cmp: AstNode): WrapTest | undefined {
  if (cmp.type !== 'binary_expression' || !RELATIONAL.has(opOf(file.source, cmp))) return undefined;
  const l = child(cmp, 'left');
  const r = child(cmp, 'right');
  if (!l || !r) return undefined;
  for (const [side, other] of [[l, r], [r, l]]) {
    const sum = unparen(side);
    const ops = sumOperands(file, sum);
    if (ops?.length !== 2) continue;
    if (same(file, ops[0], other)) return { cmp, sum, kept: ops[0], added: ops[1] };
    if (same(file, ops[1], other)) return { cmp, sum, kept: ops[1], added: ops[0] };
  }
  return undefined;
}

/** A non-negative number, a `sizeof` or an unsigned 8/16-bit value: added to an 8/16-bit value, `int` holds the sum. */
function smallAddend(file: ParsedFile, types: ReadonlyMap<string, NameType>, n: AstNode): boolean {
  const s = unparen(n);
  if (s.type === 'number_literal') return /^(0[xX][0-9a-fA-F]{1,4}|[0-9]{1,5})[uUlL]*$/.test(nodeText(file.source, s));
  if (s.type === 'sizeof_expression') return true;
  const t = exprIntType(file, types, s);
  return !!t && !t.signed && (t.width === 8 || t.width === 16);
}

/** The finding for a wrap test that cannot work, if `cmp` is one. */
export function brokenWrapTest(file: ParsedFile, types: ReadonlyMap<string, NameType>, cmp: AstNode): ReportSpec | undefined {
  const w = wrapTestOf(file, cmp);
  if (!w) return undefined;
  const text = (n: AstNode): string => nodeText(file.source, n).replace(/\s+/g, ' ');
  const test = text(cmp);
  const a = text(stripCasts(w.kept));
  const b = text(w.added);
  if (isPointerExpr(file, types, w.kept)) {
    return {
      node: cmp,
      subKind: 'pointer-wrap',
      message:
        `'${test}' tests a pointer sum for wrap-around, but a pointer moved outside its object is undefined behaviour: compilers may treat '${text(w.sum)}' as never below '${a}' and remove the test, and then the range check it guards is gone. ` +
        `Compare the length with the room left instead ('${b} > (ULONG_PTR)End - (ULONG_PTR)${a}'), or do the arithmetic on ULONG_PTR values with RtlULongPtrAdd (ntintsafe.h).`,
    };
  }
  const kt = exprIntType(file, types, unparen(w.kept));
  if (kt && !kt.signed && (kt.width === 8 || kt.width === 16) && smallAddend(file, types, w.added)) {
    return {
      node: cmp,
      subKind: 'promoted-sum',
      message:
        `'${test}' can never detect a wrap: '${a}' is ${kt.width}-bit, and C promotes it to int before adding, so '${text(w.sum)}' never wraps and the test always has the same result. ` +
        `A length stored back into ${kt.width} bits afterwards is truncated unchecked. Test the narrow result ('(USHORT)(${text(w.sum)}) < ${a}') or use RtlUShortAdd (ntintsafe.h).`,
    };
  }
  const at = exprIntType(file, types, unparen(w.added));
  const literal = unparen(w.added).type === 'number_literal';
  if (kt?.signed && at?.signed && commonType(kt, at).signed && kt.width !== 8 && kt.width !== 16 && (literal || (at.width !== 8 && at.width !== 16))) {
    return {
      node: cmp,
      subKind: 'signed-overflow',
      severity: 'warning',
      message:
        `'${test}' tests a signed sum for wrap-around, but signed overflow is undefined behaviour: the compiler may assume '${text(w.sum)}' does not overflow and remove the test. ` +
        `Test before adding ('${b} > MAXLONG - ${a}' for non-negative values), or use unsigned types and RtlLongAdd/RtlULongAdd (ntintsafe.h).`,
    };
  }
  return undefined;
}
