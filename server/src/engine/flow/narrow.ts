/**
 * Sums and products that cannot wrap: when the largest value of every operand is known (an 8- or 16-bit type or
 * cast, a 16-bit byte swap, a number, the size of a type) and the largest result fits in 32 bits, no 32-bit or wider
 * place can hold a wrapped value, so the arithmetic is not raw (`ntohs(h->Length) + sizeof(HDR)`). The result is
 * raw again where it is stored into a place that may be narrower than its largest value: a 16-bit local, a cast
 * to 16 bits, or a structure field, array element or pointer target, whose width the analysis does not know.
 */
import { AstNode, child, nodeText, TextSource } from '../ast';
import { Fact, isTainted } from './facts';
import { literalValue, opOf, stripCasts } from './paths';
import { constantKey } from './quotient';
import { castMax, NameType } from './types';

const U32_MAX = 0xffffffff;
/** Compilers limit an object's size to 2 GB (MSVC's C2148), so a type's size is taken to be below that. */
const TYPE_SIZE_MAX = 0x7fffffff;
/** The narrowest integer place: a field or element of unknown type may be this small. */
const UNKNOWN_WIDTH_MAX = 0xff;
/** Macros whose value is a size or offset fixed by a type (`FIELD_OFFSET(T, f)`). */
export const SIZE_CALLS = /^(FIELD_OFFSET|offsetof|RTL_SIZEOF_THROUGH_FIELD|RTL_FIELD_SIZE)$/;

/** Byte swaps of a 16-bit value: their result is at most 0xFFFF whatever their argument's type. */
export const SWAP16_CALLS: ReadonlySet<string> = new Set(['RtlUshortByteSwap', '_byteswap_ushort', 'ntohs', 'htons', 'be16_to_cpu', 'le16_to_cpu', 'cpu_to_le16', 'cpu_to_be16', 'get_unaligned_le16', 'get_unaligned_be16']);

/** Every byte swap: a swapped value's maximum is not its argument's. */
export const SWAP_CALLS: ReadonlySet<string> = new Set([...SWAP16_CALLS, 'RtlUlongByteSwap', 'RtlUlonglongByteSwap', '_byteswap_ulong', '_byteswap_uint64', 'ntohl', 'htonl', 'be32_to_cpu', 'be64_to_cpu', 'le32_to_cpu', 'le64_to_cpu', 'cpu_to_le32', 'cpu_to_be32', 'get_unaligned_le32', 'get_unaligned_be32']);

const NARROWABLE = new Set(['+', '*', '<<']);

/** The largest value of an operand: its fact's, a number's, a known `sizeof`'s, a narrow local's, or for a sum a type's size. */
function operandMax(src: TextSource, types: ReadonlyMap<string, NameType>, op: string, node: AstNode | undefined, f: Fact | undefined): number | undefined {
  if (isTainted(f)) return f.max;
  if (!node) return undefined;
  const v = literalValue(src, node);
  if (v !== undefined) return v;
  const key = constantKey(src, node);
  if (key !== undefined && /^[0-9]+$/.test(key)) return Number(key);
  if (node.type === 'cast_expression') {
    const m = castMax(src, child(node, 'type'));
    if (m !== undefined) return m;
  }
  const s = stripCasts(node);
  if (s.type === 'identifier') {
    const m = types.get(nodeText(src, s))?.max;
    if (m !== undefined) return m;
  }
  const sizeLike = s.type === 'sizeof_expression' || s.type === 'offsetof_expression' || (s.type === 'call_expression' && SIZE_CALLS.test(nodeText(src, child(s, 'function') ?? s)));
  return op === '+' && sizeLike ? TYPE_SIZE_MAX : undefined;
}

/** The largest value of `l op r` when it is known and fits in 32 bits (then the operation cannot wrap). */
export function narrowResult(src: TextSource, types: ReadonlyMap<string, NameType>, op: string, l: Fact | undefined, left: AstNode | undefined, r: Fact | undefined, right: AstNode | undefined): number | undefined {
  if (!NARROWABLE.has(op)) return undefined;
  const a = operandMax(src, types, op, left, l);
  const b = operandMax(src, types, op, right, r);
  if (a === undefined || b === undefined) return undefined;
  const max = op === '+' ? a + b : op === '*' ? a * b : b < 32 ? a * 2 ** b : Infinity;
  return max <= U32_MAX ? max : undefined;
}

/** The largest value a place can hold: a narrow local's, a wide local's (unbounded), or the narrowest for the rest. */
export function placeMax(types: ReadonlyMap<string, NameType>, path: string): number {
  if (/[.[\]*]/.test(path)) return UNKNOWN_WIDTH_MAX;
  const t = types.get(path);
  return t?.max ?? (t?.wide ? Infinity : UNKNOWN_WIDTH_MAX);
}

/**
 * `value`, stored into a place holding at most `max`: a sum or product that fitted in 32 bits but not in the place
 * is raw arithmetic again (`USHORT n = Len16 + 2`). Only the stored expression itself is looked at.
 */
export function storedInto(src: TextSource, value: Fact | undefined, stored: AstNode | undefined, max: number | undefined): Fact | undefined {
  if (!isTainted(value) || max === undefined || value.arith || value.max === undefined || value.max <= max || !stored) return value;
  const s = stripCasts(stored);
  return s.type === 'binary_expression' && NARROWABLE.has(opOf(src, s)) ? { ...value, arith: s } : value;
}
