/**
 * Declared types of a function's parameters and locals, as far as value ranges need them: which names hold
 * 8- or 16-bit unsigned values, and which point at such elements (`PUCHAR p`: `p[i]` is at most 255).
 */
import { AstNode, child, nodeText, TextSource, walk } from '../ast';
import type { FunctionInfo } from '../index/functions';
import { declaratorName } from './solve';

const BITS8 = /^(UCHAR|BYTE|UINT8|uint8_t|u8|__u8|BOOLEAN|unsigned char)$/;
const BITS16 = /^(USHORT|WORD|UINT16|uint16_t|u16|__u16|WCHAR|wchar_t|unsigned short)$/;
const PTR8 = /^(PUCHAR|PBYTE|LPBYTE|PUINT8|PBOOLEAN)$/;
const PTR16 = /^(PUSHORT|PWORD|PUINT16|PWCHAR|PWSTR|LPWSTR|PCWSTR|LPCWSTR)$/;

/** Integer types of 32 bits or more: a value that fits in 32 bits is stored whole (tested after `unsigned` is stripped). */
const WIDE = /^(ULONG|LONG|UINT|INT|int|long|long long|unsigned|DWORD|DWORD32|DWORD64|DWORD_PTR|SIZE_T|size_t|SSIZE_T|ssize_t|ULONG_PTR|LONG_PTR|UINT_PTR|INT_PTR|ULONG32|ULONG64|LONG32|LONG64|LONGLONG|ULONGLONG|UINT32|UINT64|INT32|INT64|__int32|__int64|uint32_t|uint64_t|int32_t|int64_t|uintptr_t|intptr_t|ptrdiff_t|u32|u64|__u32|__u64)$/;

/** Signed integer types, whose decrement cannot wrap to a huge value (tested before `unsigned` is stripped). */
const SIGNED = /^(signed\s+)?(LONG|INT|int|long|long long|long int|short|SHORT|CSHORT|LONG32|LONG64|LONGLONG|INT8|INT16|INT32|INT64|__int16|__int32|__int64|LONG_PTR|INT_PTR|SSIZE_T|ssize_t|int8_t|int16_t|int32_t|int64_t|intptr_t|ptrdiff_t)$/;

export interface NameType {
  /** Maximum value of the name itself (8/16-bit unsigned), if narrow. */
  readonly max?: number;
  /** Maximum value of an element it points at, if it points at narrow unsigned values. */
  readonly elementMax?: number;
  /** Every declaration of the name in the function is a plain signed integer. */
  readonly signed?: boolean;
  /** Declared as an integer of 32 bits or more (not a pointer or array). */
  readonly wide?: boolean;
}

function baseType(t: string): string {
  return t.replace(/\b(const|volatile|CONST|static|register|struct|enum|unsigned\s+(?=long|int))\b/g, ' ').replace(/\s+/g, ' ').trim();
}

function classify(typeText: string, pointers: number): NameType | undefined {
  const t = baseType(typeText);
  const narrow = BITS8.test(t) ? 255 : BITS16.test(t) ? 65535 : undefined;
  const ptr = PTR8.test(t) ? 255 : PTR16.test(t) ? 65535 : undefined;
  if (pointers === 0) return narrow !== undefined ? { max: narrow } : ptr !== undefined ? { elementMax: ptr } : undefined;
  if (pointers === 1 && narrow !== undefined) return { elementMax: narrow };
  return undefined;
}

function pointerDepth(d: AstNode | undefined): { depth: number; array: boolean } {
  let depth = 0;
  let array = false;
  for (let n = d; n; n = child(n, 'declarator')) {
    if (n.type === 'pointer_declarator' || n.type === 'abstract_pointer_declarator') depth++;
    else if (n.type === 'array_declarator') array = true;
  }
  return { depth, array };
}

/** Narrow-type facts per name for one function. */
export function declaredTypes(src: TextSource, fn: FunctionInfo): ReadonlyMap<string, NameType> {
  const out = new Map<string, NameType>();
  // A name declared once signed and once not (two blocks) is not signed.
  const notSigned = new Set<string>();
  const add = (name: string | undefined, type: AstNode | undefined, decl: AstNode | undefined): void => {
    if (!name || !type) return;
    const { depth, array } = pointerDepth(decl);
    const text = nodeText(src, type).replace(/\b(const|volatile|CONST|register|static)\b/g, ' ').replace(/\s+/g, ' ').trim();
    const signed = depth === 0 && !array && SIGNED.test(text) && !notSigned.has(name);
    if (!signed) notSigned.add(name);
    const c = classify(nodeText(src, type), depth + (array ? 1 : 0));
    const wide = depth === 0 && !array && WIDE.test(baseType(text));
    if (c) out.set(name, c);
    else if (signed || wide) out.set(name, signed ? { signed, wide } : { wide });
    else out.delete(name);
  };
  for (const p of fn.params) add(p.name, child(p.node, 'type'), child(p.node, 'declarator'));
  walk(fn.body, (n) => {
    if (n.type === 'lambda_expression') return false;
    if (n.type !== 'declaration') return true;
    const type = child(n, 'type');
    for (const c of n.children) if (c.field === 'declarator') add(declaratorName(src, c), type, c);
    return false;
  });
  for (const name of notSigned) if (out.get(name)?.signed) out.delete(name);
  return out;
}

/** The maximum of a value of the named type when it is a narrow unsigned type (`USHORT`), else undefined. */
export function narrowTypeMax(typeText: string): number | undefined {
  const b = baseType(typeText);
  return BITS8.test(b) ? 255 : BITS16.test(b) ? 65535 : undefined;
}

/** The maximum of a cast to a narrow unsigned type (`(UCHAR)x`). */
export function castMax(src: TextSource, typeDescriptor: AstNode | undefined): number | undefined {
  if (!typeDescriptor) return undefined;
  const t = child(typeDescriptor, 'type');
  if (!t || child(typeDescriptor, 'declarator')) return undefined;
  return narrowTypeMax(nodeText(src, t));
}
