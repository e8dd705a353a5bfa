/**
 * The integer type of an expression as C's usual arithmetic conversions give it, from what the file itself says:
 * declared locals and parameters (types.ts), casts, literals, `sizeof`, the request lengths of the I/O stack
 * location (ULONG), and fields of structures the file declares (when every field of that name has one type).
 * Undefined when not known: a call, an upper-case constant, a field declared in a header. Whether an addition can
 * wrap depends on it: `USHORT + USHORT` is computed in `int` and cannot, `ULONG + ULONG` can, and `ULONG + sizeof(T)`
 * is computed in SIZE_T, which is 64 bits wide on 64-bit targets.
 */
import { AstNode, child, descendants, nodeText } from '../ast';
import type { ParsedFile } from '../parse/parse';
import { SIZE_CALLS, SWAP16_CALLS } from './narrow';
import { opOf, parenCastOperand, parenthesizedName, pathOf } from './paths';
import { declaratorIsPointer, declaratorName } from './solve';
import { pathSource } from './sources';
import { calleeName } from './taint';
import { IntType, intTypeOf, isPointerTypedef, NameType } from './types';

const INT: IntType = { width: 32, signed: true };
const ULONG: IntType = { width: 32, signed: false };
const SIZE_T: IntType = { width: 'pointer', signed: false };

/** What the file declares: field types by field name (null when two declarations disagree) and pointer typedefs. */
interface FileTypes {
  readonly fields: ReadonlyMap<string, IntType | null>;
  readonly pointerTypedefs: ReadonlySet<string>;
}

const cache = new WeakMap<ParsedFile, FileTypes>();

function fileTypes(file: ParsedFile): FileTypes {
  let t = cache.get(file);
  if (t) return t;
  const src = file.source;
  const fields = new Map<string, IntType | null>();
  for (const f of descendants(file.root, 'field_declaration')) {
    const type = child(f, 'type');
    // A bit field is narrower than its declared type.
    const bits = f.children.some((c) => c.type === 'bitfield_clause');
    for (const d of f.children.filter((c) => c.field === 'declarator')) {
      const name = declaratorName(src, d);
      if (!name) continue;
      const it = type && !bits && (d.type === 'field_identifier' || d.type === 'identifier') ? intTypeOf(nodeText(src, type)) : undefined;
      const prev = fields.get(name);
      fields.set(name, it && (prev === undefined || (prev && prev.width === it.width && prev.signed === it.signed)) ? it : null);
    }
  }
  const pointerTypedefs = new Set<string>();
  for (const td of descendants(file.root, 'type_definition')) {
    const type = child(td, 'type');
    const pointerType = !!type && isPointerTypedef(nodeText(src, type));
    for (const d of td.children.filter((c) => c.field === 'declarator')) {
      // A typedef declares a type_identifier, which declaratorName does not look for.
      let name: AstNode | undefined = d;
      while (name && name.type !== 'type_identifier') name = child(name, 'declarator');
      if (name && (pointerType || declaratorIsPointer(d))) pointerTypedefs.add(nodeText(src, name));
    }
  }
  cache.set(file, (t = { fields, pointerTypedefs }));
  return t;
}

/** 8- and 16-bit values take part in arithmetic as `int`. */
export function promoted(t: IntType): IntType {
  return t.width === 8 || t.width === 16 ? INT : t;
}

const RANK = { 32: 1, pointer: 2, 64: 3 } as const;

/** The type `a op b` is computed in (after promotion): the wider one, unsigned when either is at that width. */
export function commonType(a: IntType, b: IntType): IntType {
  const x = promoted(a);
  const y = promoted(b);
  const rx = RANK[x.width as 32 | 64 | 'pointer'];
  const ry = RANK[y.width as 32 | 64 | 'pointer'];
  if (rx !== ry) return rx > ry ? x : y;
  return x.signed && y.signed ? x : { width: x.width, signed: false };
}

/** A number's type: its suffix, else `int` when it fits, else the next type that holds it. */
function literalType(text: string): IntType | undefined {
  const m = /^(0[xX][0-9a-fA-F]+|[0-9]+)([uUlLi0-9]*)$/.exec(text);
  if (!m) return undefined;
  const suffix = m[2].toLowerCase();
  const unsigned = suffix.includes('u');
  if (/ll|i64/.test(suffix)) return { width: 64, signed: !unsigned };
  const v = Number(m[1]);
  if (v > 0xffffffff) return { width: 64, signed: !unsigned && !m[1].startsWith('0x') };
  // A hexadecimal constant that does not fit `int` is `unsigned int`; a decimal one is `long long`.
  if (v > 0x7fffffff) return unsigned || /^0[xX]/.test(m[1]) ? ULONG : { width: 64, signed: true };
  return unsigned ? ULONG : INT;
}

/** The integer type of `n`, or undefined when the file does not say. */
export function exprIntType(file: ParsedFile, types: ReadonlyMap<string, NameType>, n: AstNode): IntType | undefined {
  const src = file.source;
  const castTo = parenCastOperand(n, src) && parenthesizedName(child(n, 'function'));
  if (castTo) return intTypeOf(nodeText(src, castTo));
  switch (n.type) {
    case 'parenthesized_expression': {
      const inner = n.children.find((c) => c.named && c.type !== 'comment');
      return inner ? exprIntType(file, types, inner) : undefined;
    }
    case 'cast_expression': {
      const td = child(n, 'type');
      return td && !child(td, 'declarator') ? intTypeOf(nodeText(src, child(td, 'type') ?? td)) : undefined;
    }
    case 'number_literal':
      return literalType(nodeText(src, n));
    case 'char_literal':
      return INT;
    case 'sizeof_expression':
    case 'offsetof_expression':
      return SIZE_T;
    case 'identifier':
      return types.get(nodeText(src, n))?.int;
    case 'field_expression': {
      const p = pathOf(src, n);
      if (p !== undefined && pathSource(p)?.length) return ULONG;
      const field = child(n, 'field');
      return (field && fileTypes(file).fields.get(nodeText(src, field))) ?? undefined;
    }
    case 'call_expression': {
      const name = calleeName(src, n);
      if (SIZE_CALLS.test(name)) return SIZE_T;
      return SWAP16_CALLS.has(name) ? { width: 16, signed: false } : undefined;
    }
    case 'binary_expression': {
      const op = opOf(src, n);
      const l = child(n, 'left');
      const r = child(n, 'right');
      const lt = l && exprIntType(file, types, l);
      if (op === '<<' || op === '>>') return lt && promoted(lt);
      if (!/^([-+*/%&|^])$/.test(op)) return /^(<|<=|>|>=|==|!=|&&|\|\|)$/.test(op) ? INT : undefined;
      const rt = r && exprIntType(file, types, r);
      return lt && rt ? commonType(lt, rt) : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether `n` is a pointer: a local or parameter declared as one, a cast to a pointer type, an array. */
export function isPointerExpr(file: ParsedFile, types: ReadonlyMap<string, NameType>, n: AstNode): boolean {
  const src = file.source;
  if (n.type === 'parenthesized_expression') {
    const inner = n.children.find((c) => c.named && c.type !== 'comment');
    return !!inner && isPointerExpr(file, types, inner);
  }
  const typedefs = fileTypes(file).pointerTypedefs;
  const named = (t: string): boolean => isPointerTypedef(t) || typedefs.has(t.trim());
  const castTo = parenCastOperand(n, src) && parenthesizedName(child(n, 'function'));
  if (castTo) return named(nodeText(src, castTo));
  if (n.type === 'cast_expression') {
    const td = child(n, 'type');
    return !!td && (!!child(td, 'declarator') || named(nodeText(src, child(td, 'type') ?? td)));
  }
  if (n.type !== 'identifier') return false;
  const t = types.get(nodeText(src, n));
  return !!t?.pointer || (!!t?.typeName && typedefs.has(t.typeName));
}
