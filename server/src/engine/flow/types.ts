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

/** An integer type as arithmetic sees it: its width (`pointer`: SIZE_T and the like, 32 or 64 bits by target) and sign. */
export interface IntType {
  readonly width: 8 | 16 | 32 | 64 | 'pointer';
  readonly signed: boolean;
}

/** Integer type names by width and sign, tested after qualifiers are removed and spaces collapsed. */
const INT_TYPES: readonly [RegExp, IntType][] = [
  [BITS8, { width: 8, signed: false }],
  [/^(CHAR|CCHAR|INT8|int8_t|signed char|char)$/, { width: 8, signed: true }],
  [BITS16, { width: 16, signed: false }],
  [/^(SHORT|CSHORT|INT16|int16_t|__int16|short( int)?|signed short)$/, { width: 16, signed: true }],
  [/^(ULONG|DWORD|UINT|UINT32|ULONG32|DWORD32|uint32_t|u32|__u32|unsigned|unsigned int|unsigned long( int)?|unsigned __int32)$/, { width: 32, signed: false }],
  [/^(LONG|INT|INT32|LONG32|int32_t|__int32|int|long( int)?|signed( int| long)?)$/, { width: 32, signed: true }],
  [/^(ULONG64|ULONGLONG|UINT64|DWORD64|DWORDLONG|uint64_t|u64|__u64|unsigned long long( int)?|unsigned __int64)$/, { width: 64, signed: false }],
  [/^(LONG64|LONGLONG|INT64|int64_t|__int64|long long( int)?|signed long long)$/, { width: 64, signed: true }],
  [/^(SIZE_T|size_t|ULONG_PTR|UINT_PTR|DWORD_PTR|uintptr_t)$/, { width: 'pointer', signed: false }],
  [/^(SSIZE_T|ssize_t|LONG_PTR|INT_PTR|intptr_t|ptrdiff_t)$/, { width: 'pointer', signed: true }],
];

/** Pointer typedefs of the Windows headers (a file's own `typedef struct ... *PX;` are read from the file). */
const POINTER_TYPEDEFS = /^(PVOID|LPVOID|PCVOID|LPCVOID|PCHAR|PSTR|LPSTR|PCSTR|LPCSTR|PSZ|PCSZ|PUCHAR|PBYTE|LPBYTE|PWCHAR|PWCH|PWSTR|LPWSTR|PCWSTR|LPCWSTR|PCWCH|PUSHORT|PSHORT|PWORD|PULONG|PLONG|PDWORD|LPDWORD|PUINT|PINT|PULONG64|PULONGLONG|PLONGLONG|PLONG64|PSIZE_T|PULONG_PTR|PUINT8|PUINT16|PUINT32|PUINT64|PBOOLEAN)$/;

/** The integer type a type name denotes (`ULONG`, `unsigned long`, `SIZE_T`), or undefined for anything else. */
export function intTypeOf(typeText: string): IntType | undefined {
  const t = typeText.replace(/\b(const|volatile|CONST|static|register|IN|OUT|OPTIONAL)\b/g, ' ').replace(/\s+/g, ' ').trim();
  for (const [re, type] of INT_TYPES) if (re.test(t)) return type;
  return undefined;
}

/** Whether a type name is one of the headers' pointer typedefs (`PUCHAR`, `PVOID`). */
export function isPointerTypedef(typeText: string): boolean {
  return POINTER_TYPEDEFS.test(baseType(typeText));
}

export interface NameType {
  /** Maximum value of the name itself (8/16-bit unsigned), if narrow. */
  readonly max?: number;
  /** Maximum value of an element it points at, if it points at narrow unsigned values. */
  readonly elementMax?: number;
  /** Every declaration of the name in the function is a plain signed integer. */
  readonly signed?: boolean;
  /** Declared as an integer of 32 bits or more (not a pointer or array). */
  readonly wide?: boolean;
  /** The integer type every declaration of the name gives it (not a pointer or array). */
  readonly int?: IntType;
  /** Declared as a pointer or array (`*`, `[]`, a pointer typedef of the headers) by every declaration of the name. */
  readonly pointer?: boolean;
  /** The declared type's name, for what the function's own declarations cannot tell (the file's typedefs). */
  readonly typeName?: string;
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

/** A declarator's shape: its pointer levels, and whether it declares an array or a function. */
export function declaratorShape(d: AstNode | undefined): { depth: number; array: boolean; fn: boolean } {
  let depth = 0;
  let array = false;
  let fn = false;
  for (let n = d; n; n = child(n, 'declarator')) {
    if (n.type === 'pointer_declarator' || n.type === 'abstract_pointer_declarator') depth++;
    else if (n.type === 'array_declarator') array = true;
    else if (n.type === 'function_declarator') fn = true;
  }
  return { depth, array, fn };
}

/** Narrow-type facts per name for one function. */
export function declaredTypes(src: TextSource, fn: FunctionInfo): ReadonlyMap<string, NameType> {
  const out = new Map<string, NameType>();
  // A name declared once signed and once not (two blocks) is not signed.
  const notSigned = new Set<string>();
  const kinds = new Map<string, string | null>();
  const add = (name: string | undefined, type: AstNode | undefined, decl: AstNode | undefined): void => {
    if (!name || !type) return;
    const { depth, array } = declaratorShape(decl);
    const text = nodeText(src, type).replace(/\b(const|volatile|CONST|register|static)\b/g, ' ').replace(/\s+/g, ' ').trim();
    const signed = depth === 0 && !array && SIGNED.test(text) && !notSigned.has(name);
    if (!signed) notSigned.add(name);
    const kind = `${depth}:${array}:${text}`;
    kinds.set(name, kinds.has(name) && kinds.get(name) !== kind ? null : kind);
    const c = classify(nodeText(src, type), depth + (array ? 1 : 0));
    const wide = depth === 0 && !array && WIDE.test(baseType(text));
    const int = depth === 0 && !array ? intTypeOf(text) : undefined;
    const pointer = depth > 0 || array || isPointerTypedef(text);
    const base: NameType = c ?? (signed || wide ? (signed ? { signed, wide } : { wide }) : {});
    out.set(name, { ...base, int, pointer, typeName: depth === 0 && !array ? baseType(text) : undefined });
  };
  for (const p of fn.params) add(p.name, child(p.node, 'type'), child(p.node, 'declarator'));
  walk(fn.body, (n) => {
    if (n.type === 'lambda_expression') return false;
    if (n.type !== 'declaration') return true;
    const type = child(n, 'type');
    for (const c of n.children) if (c.field === 'declarator') add(declaratorName(src, c), type, c);
    return false;
  });
  for (const name of notSigned) if (out.get(name)?.signed) out.set(name, {});
  // Declared with two types (two blocks), the name has no one type; the range facts keep the last declaration's.
  for (const [name, kind] of kinds) {
    const t = out.get(name);
    if (kind === null && t) out.set(name, { ...t, int: undefined, pointer: undefined, typeName: undefined });
  }
  return out;
}

/** The maximum of a value of the named type when it is a narrow unsigned type (`USHORT`), else undefined. */
export function narrowTypeMax(typeText: string): number | undefined {
  const b = baseType(typeText);
  return BITS8.test(b) ? 255 : BITS16.test(b) ? 65535 : undefined;
}

/** Whether the named type is an integer of 32 bits or more. */
export function isWideType(typeText: string): boolean {
  return WIDE.test(baseType(typeText));
}

/** The maximum of a cast to a narrow unsigned type (`(UCHAR)x`). */
export function castMax(src: TextSource, typeDescriptor: AstNode | undefined): number | undefined {
  if (!typeDescriptor) return undefined;
  const t = child(typeDescriptor, 'type');
  if (!t || child(typeDescriptor, 'declarator')) return undefined;
  return narrowTypeMax(nodeText(src, t));
}
