/**
 * Quotients multiplied back: `n = Len / sizeof(WCHAR); ... n * sizeof(WCHAR)` is at most Len, a value that already
 * fits, so the product cannot wrap. A fact remembers the constant its value was divided by (`Fact.divisor`, a key:
 * the number, or the text of a `sizeof` or upper-case constant); a product with a constant no larger is not raw
 * arithmetic. Anything that may make the value larger drops the key; a decrement keeps it only when it cannot wrap
 * (`n--` with n known non-zero, `n -= i` with i <= n, `n -= i + 1` with i < n).
 */
import { AstNode, child, nodeText, TextSource } from '../ast';
import type { Fact } from './facts';
import type { Guard, GuardState } from './guards';
import { strictlyNonZero } from './countdown';
import { literalValue, opOf, pathOf, stripCasts } from './paths';
import type { NameType } from './types';

/** `sizeof` of the fixed-size Windows and C types, so that `Len / sizeof(WCHAR) * 2` compares. */
const SIZES: ReadonlyMap<string, number> = new Map([
  ...['CHAR', 'UCHAR', 'BYTE', 'BOOLEAN', 'char', 'unsignedchar', 'INT8', 'UINT8', 'int8_t', 'uint8_t', 'u8'].map((t) => [t, 1] as const),
  ...['WCHAR', 'wchar_t', 'SHORT', 'USHORT', 'WORD', 'INT16', 'UINT16', 'int16_t', 'uint16_t', 'u16'].map((t) => [t, 2] as const),
  ...['LONG', 'ULONG', 'DWORD', 'INT32', 'UINT32', 'LONG32', 'ULONG32', 'int32_t', 'uint32_t', 'u32'].map((t) => [t, 4] as const),
  ...['LONGLONG', 'ULONGLONG', 'LONG64', 'ULONG64', 'INT64', 'UINT64', 'DWORD64', 'int64_t', 'uint64_t', 'u64'].map((t) => [t, 8] as const),
]);

/** The key of a constant operand: its value for a number or a known `sizeof`, else the text of a `sizeof` or constant. */
export function constantKey(src: TextSource, n: AstNode | undefined): string | undefined {
  const s = n && stripCasts(n);
  if (!s) return undefined;
  const text = nodeText(src, s).replace(/\s+/g, '');
  if (s.type === 'number_literal') {
    const v = literalValue(src, s);
    return v === undefined ? undefined : String(v);
  }
  if (s.type === 'sizeof_expression') {
    const size = SIZES.get(/^sizeof\((.+)\)$/.exec(text)?.[1] ?? '');
    return size !== undefined ? String(size) : text;
  }
  return s.type === 'identifier' && /^[A-Z][A-Z0-9_]*$/.test(text) ? text : undefined;
}

/** The divisor key of `x / k` for a constant k (not 0). */
export function divisorKey(src: TextSource, divisor: AstNode | undefined): string | undefined {
  const k = constantKey(src, divisor);
  return k === '0' ? undefined : k;
}

/** A constant multiplier `m` no larger than the divisor `k`: both numbers with m <= k, or the same constant. */
function within(m: string, k: string): boolean {
  const mv = Number(m);
  const kv = Number(k);
  return m === k || (/^[0-9]+$/.test(m) && /^[0-9]+$/.test(k) && mv <= kv);
}

/**
 * `q * m`, `m * q` or `q << s` where q was divided by a constant k and the multiplier is a constant no larger than
 * k: the product is at most the dividend and cannot wrap.
 */
export function quotientProduct(src: TextSource, op: string, l: Fact | undefined, left: AstNode | undefined, r: Fact | undefined, right: AstNode | undefined): boolean {
  if (op === '<<') {
    const s = constantKey(src, right);
    return !!l?.divisor && !r && s !== undefined && /^[0-9]+$/.test(s) && Number(s) < 31 && within(String(2 ** Number(s)), l.divisor);
  }
  if (op !== '*') return false;
  if (l?.divisor && !r) {
    const m = constantKey(src, right);
    return m !== undefined && within(m, l.divisor);
  }
  if (r?.divisor && !l) {
    const m = constantKey(src, left);
    return m !== undefined && within(m, r.divisor);
  }
  return false;
}

/** An upper guard on a leaf that bounds it by `target` itself; `strict` when it proves `leaf < target`. */
function boundedBy(src: TextSource, g: Guard, target: string, strict: boolean): boolean {
  if (g.rel !== 'upper') return false;
  const c = stripCasts(g.cond);
  // A countdown (`i = n - 1` with n non-zero, then only decrements) gives i < n.
  if (c.type !== 'binary_expression') return c.type !== 'call_expression' && !!g.boundPaths?.length && g.boundPaths.every((p) => p === target);
  if (!g.bound || pathOf(src, stripCasts(g.bound)) !== target) return false;
  if (!strict) return true;
  const op = opOf(src, c);
  const left = child(c, 'left');
  const onLeft = !!g.node && !!left && g.node.start >= left.start && g.node.end <= left.end;
  // `i < n` or a false `i >= n` with i on the left; mirrored on the right.
  return onLeft ? op === '<' || op === '>=' : op === '>' || op === '<=';
}

/**
 * Whether `target -= subtrahend` (or `target--` without one) cannot wrap, so the value only shrinks: 1 from a
 * target known non-zero, or a path (plus 1) bounded by the target itself. A signed subtrahend must have been
 * counted down from `target - 1` (a countdown loop stops at -1, so it adds nothing).
 */
export function decrementKeeps(src: TextSource, guards: GuardState, types: ReadonlyMap<string, NameType>, target: string, subtrahend: AstNode | undefined): boolean {
  const s = subtrahend && stripCasts(subtrahend);
  if (!s || constantKey(src, s) === '1') return (guards.facts.get(target) ?? []).some((g) => strictlyNonZero(src, g));
  let leaf = s;
  let strict = false;
  if (s.type === 'binary_expression' && opOf(src, s) === '+') {
    const l = child(s, 'left');
    const r = child(s, 'right');
    const one = constantKey(src, r) === '1' ? l : constantKey(src, l) === '1' ? r : undefined;
    if (!one) return false;
    leaf = stripCasts(one);
    strict = true;
  }
  const p = pathOf(src, leaf);
  if (p === undefined || p === target) return false;
  const signed = !p.includes('.') && !p.includes('[') && !!types.get(p)?.signed;
  return (guards.facts.get(p) ?? []).some((g) => boundedBy(src, g, target, strict) && (!signed || stripCasts(g.cond).type !== 'binary_expression'));
}
