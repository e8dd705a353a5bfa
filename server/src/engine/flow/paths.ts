/**
 * Access paths: the canonical name of an lvalue-like expression. `req->Index`, `(*req).Index`, `((PREQ)req)->Index`
 * and `req.Index` all become `req.Index`; subscripts collapse to `[]` (`hdr->Entries[i].Len` -> `hdr.Entries[].Len`);
 * `*p` is `p[]`. Parentheses and casts are stripped.
 */
import { AstNode, child, namedChildren, nodeText, TextSource } from '../ast';

/** An expression's operator (`+`, `<`, `--`, `!`): its `operator` field, or else its first unnamed child. */
export function opOf(src: TextSource, n: AstNode): string {
  const op = child(n, 'operator') ?? n.children.find((c) => !c.named);
  return op ? nodeText(src, op) : '';
}

/**
 * `(PREQ)(p + off)`: a cast to a typedef name that the grammar cannot know is a type, so it parses as a call of a
 * parenthesized identifier. Windows typedefs are upper case (`PUCHAR`, `PDEVICE_DATA_SET_RANGE`); function
 * pointers called through parentheses rarely are. Returns the cast operand.
 */
export function parenCastOperand(n: AstNode, src?: TextSource): AstNode | undefined {
  if (n.type !== 'call_expression') return undefined;
  const name = parenthesizedName(child(n, 'function'));
  const args = child(n, 'arguments');
  if (!name || !args) return undefined;
  if (src && !/^[A-Z_][A-Z0-9_]*$/.test(nodeText(src, name))) return undefined;
  const a = namedChildren(args).filter((c) => c.type !== 'comment');
  return a.length === 1 ? a[0] : undefined;
}

/**
 * `(ULONG)*(PUSHORT)p`: a cast of a dereference that the grammar, not knowing that `ULONG` is a type, parses as a
 * multiplication of a parenthesized name by `(PUSHORT)p`. Returns the dereferenced operand when `n` has that shape
 * and the name looks like a type (upper case like the Windows typedefs, or `uint32_t`); the caller knows whether the
 * operand is a pointer, which no multiplication can take.
 */
export function parenCastDeref(n: AstNode | undefined, src: TextSource): AstNode | undefined {
  if (n?.type !== 'binary_expression' || opOf(src, n) !== '*') return undefined;
  const name = parenthesizedName(child(n, 'left'));
  if (name?.type !== 'identifier' || !/^([A-Z_][A-Z0-9_]*|[a-z][a-z0-9_]*_t)$/.test(nodeText(src, name))) return undefined;
  return child(n, 'right');
}

/**
 * The name inside `(NAME)`, comments aside: what the grammar makes of a cast to a typedef it does not know is a type
 * (`(PREQ)(p)` as a call, `(ULONG)*p` as a product, `(PULONG) &x` as a bitwise and).
 */
export function parenthesizedName(n: AstNode | undefined): AstNode | undefined {
  if (n?.type !== 'parenthesized_expression') return undefined;
  const inner = namedChildren(n).filter((c) => c.type !== 'comment');
  return inner.length === 1 && (inner[0].type === 'identifier' || inner[0].type === 'type_identifier') ? inner[0] : undefined;
}

/**
 * What `&x` takes the address of; also `(PLARGE_INTEGER)&x`, which the grammar parses as a bitwise and when it
 * does not know the cast's type name.
 */
export function addressOperand(n: AstNode): AstNode | undefined {
  if ((n.type !== 'pointer_expression' && n.type !== 'binary_expression') || !n.children.some((c) => c.type === '&')) return undefined;
  if (n.type === 'pointer_expression') return child(n, 'argument');
  return parenthesizedName(child(n, 'left')) ? child(n, 'right') : undefined;
}

/** The argument list `n` is an argument of, through parentheses and casts (`f((PVOID)&x)`), if any. */
export function argumentListOf(n: AstNode): AstNode | undefined {
  let up = n;
  while (up.parent && (up.parent.type === 'parenthesized_expression' || up.parent.type === 'cast_expression')) up = up.parent;
  return up.parent?.type === 'argument_list' ? up.parent : undefined;
}

/** The value of an integer literal (`16`, `0x1F`, `255UL`), or undefined. */
export function literalValue(src: TextSource, n: AstNode | undefined): number | undefined {
  const s = n && stripCasts(n);
  if (!s || s.type !== 'number_literal') return undefined;
  const t = nodeText(src, s).replace(/[uUlL]+$/, '');
  const v = /^0[xX][0-9a-fA-F]+$/.test(t) ? parseInt(t, 16) : /^[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
  return Number.isFinite(v) ? v : undefined;
}

/** Strips parentheses and casts (value-preserving wrappers). */
export function stripCasts(node: AstNode, src?: TextSource): AstNode {
  let n = node;
  for (;;) {
    const cast = src ? parenCastOperand(n, src) : undefined;
    if (cast) {
      n = cast;
    } else if (n.type === 'parenthesized_expression') {
      const inner = namedChildren(n).filter((c) => c.type !== 'comment');
      if (inner.length !== 1) return n;
      n = inner[0];
    } else if (n.type === 'cast_expression') {
      const v = child(n, 'value');
      if (!v) return n;
      n = v;
    } else return n;
  }
}

/** The subscript's index expression (C: `index`; C++: inside `indices`). */
export function subscriptIndex(n: AstNode): AstNode | undefined {
  const idx = child(n, 'index');
  if (idx) return idx;
  const list = child(n, 'indices');
  if (!list) return undefined;
  const items = namedChildren(list).filter((c) => c.type !== 'comment');
  return items.length === 1 ? items[0] : undefined;
}

/** Canonical access path of an expression, or undefined when it is not a path (a call, arithmetic, ...). */
export function pathOf(src: TextSource, node: AstNode): string | undefined {
  // Iterative: long member chains must not recurse. The path is built from its end (`suffix`), without arrays:
  // this runs for most nodes the analyses look at.
  let suffix = '';
  let n = stripCasts(node);
  for (let guard = 0; guard < 64; guard++) {
    switch (n.type) {
      case 'identifier':
      case 'field_identifier':
      case 'this':
        return nodeText(src, n) + suffix;
      case 'qualified_identifier':
        return nodeText(src, n).replace(/\s+/g, '') + suffix;
      case 'field_expression': {
        const base = child(n, 'argument');
        const field = child(n, 'field');
        if (!base || !field) return undefined;
        suffix = `.${nodeText(src, field)}${suffix}`;
        // `(*p).f` is `p->f`.
        const b = stripCasts(base);
        n = b.type === 'pointer_expression' && opOf(src, b) === '*' && child(b, 'argument') ? stripCasts(child(b, 'argument')!) : b;
        continue;
      }
      case 'subscript_expression': {
        const base = child(n, 'argument');
        if (!base) return undefined;
        suffix = `[]${suffix}`;
        n = stripCasts(base);
        continue;
      }
      case 'pointer_expression': {
        if (opOf(src, n) !== '*') return undefined;
        const arg = child(n, 'argument');
        if (!arg) return undefined;
        suffix = `[]${suffix}`;
        n = stripCasts(arg);
        continue;
      }
      case 'call_expression': {
        // `IoGetCurrentIrpStackLocation(Irp)->Parameters...`: the stack location is a stable root for its request.
        const fn = child(n, 'function');
        const name = fn?.type === 'identifier' ? nodeText(src, fn) : '';
        if (!STACK_LOCATION_CALLS.has(name)) return undefined;
        const args = child(n, 'arguments');
        const only = args ? namedChildren(args).filter((c) => c.type !== 'comment') : [];
        const irp = only.length === 1 ? pathOf(src, only[0]) : undefined;
        if (irp === undefined) return undefined;
        return `${name}(${irp})${suffix}`;
      }
      default:
        return undefined;
    }
  }
  return undefined;
}

const STACK_LOCATION_CALLS = new Set(['IoGetCurrentIrpStackLocation', 'IoGetNextIrpStackLocation']);

/** True when `p` is `prefix` or a path below it (`a.b`, `a[]`, `a.b.c` are below `a`). */
export function isPathBelow(p: string, prefix: string): boolean {
  if (p === prefix) return true;
  if (!p.startsWith(prefix)) return false;
  const c = p.charCodeAt(prefix.length);
  return c === 46 /* . */ || c === 91 /* [ */;
}

/** The root variable of a path (`hdr.Entries[].Len` -> `hdr`). */
export function pathRoot(p: string): string {
  let i = 0;
  while (i < p.length && p[i] !== '.' && p[i] !== '[') i++;
  return p.slice(0, i);
}

export interface Leaf {
  readonly node: AstNode;
  readonly path: string;
  /** -1 when the leaf is subtracted or divides (its growth makes the expression smaller). */
  readonly sign: 1 | -1;
}

const ARITH_SIGNS: Record<string, [1 | -1, 1 | -1]> = {
  '+': [1, 1], '-': [1, -1], '*': [1, 1], '/': [1, -1], '<<': [1, 1], '>>': [1, -1], '%': [1, 1], '&': [1, 1], '|': [1, 1], '^': [1, 1],
};

/**
 * The maximal access paths inside an expression, with the direction in which each moves the expression's value.
 * `sizeof`, call arguments and subscript indices are not entered (their paths are not the value compared).
 */
export function leavesOf(src: TextSource, expr: AstNode): Leaf[] {
  const out: Leaf[] = [];
  const stack: { n: AstNode; sign: 1 | -1 }[] = [{ n: expr, sign: 1 }];
  while (stack.length) {
    const { n, sign } = stack.pop()!;
    const p = pathOf(src, n);
    if (p !== undefined) {
      out.push({ node: stripCasts(n), path: p, sign });
      continue;
    }
    const s = stripCasts(n);
    if (s !== n) {
      stack.push({ n: s, sign });
      continue;
    }
    if (n.type === 'binary_expression') {
      const signs = ARITH_SIGNS[opOf(src, n)];
      if (!signs) continue;
      const l = child(n, 'left');
      const r = child(n, 'right');
      if (r) stack.push({ n: r, sign: (sign * signs[1]) as 1 | -1 });
      if (l) stack.push({ n: l, sign: (sign * signs[0]) as 1 | -1 });
    } else if (n.type === 'unary_expression') {
      const arg = child(n, 'argument');
      const op = opOf(src, n);
      if (arg && (op === '-' || op === '+')) stack.push({ n: arg, sign: (op === '-' ? -sign : sign) as 1 | -1 });
    } else if (n.type === 'pointer_expression' && opOf(src, n) === '&') {
      const arg = child(n, 'argument');
      const p2 = arg && pathOf(src, arg);
      if (p2) out.push({ node: n, path: `&${p2}`, sign });
    } else if (n.type === 'call_expression') {
      // Value-preserving wrappers such as byte swaps: `RtlUlongByteSwap(x) < n` compares x.
      const fn = child(n, 'function');
      if (fn && fn.type === 'identifier' && VALUE_PRESERVING_CALLS.has(nodeText(src, fn))) {
        const args = child(n, 'arguments');
        for (const a of args ? namedChildren(args) : []) if (a.type !== 'comment') stack.push({ n: a, sign });
      }
    }
  }
  return out;
}

/** Calls whose result is their argument's value in another representation (byte order, width). */
export const VALUE_PRESERVING_CALLS: ReadonlySet<string> = new Set([
  'RtlUlongByteSwap', 'RtlUshortByteSwap', 'RtlUlonglongByteSwap', '_byteswap_ulong', '_byteswap_ushort', '_byteswap_uint64',
  'ntohl', 'ntohs', 'htonl', 'htons', 'be16_to_cpu', 'be32_to_cpu', 'be64_to_cpu', 'le16_to_cpu', 'le32_to_cpu',
  'le64_to_cpu', 'cpu_to_le16', 'cpu_to_le32', 'cpu_to_be16', 'cpu_to_be32', 'get_unaligned', 'get_unaligned_le32',
  'get_unaligned_le16', 'get_unaligned_be32', 'get_unaligned_be16', 'ReadUnaligned', 'READ_ONCE', 'UInt32x32To64',
  'Int32x32To64', 'ULongToPtr', 'PtrToUlong', 'UlongToPtr', 'PtrToUint', 'UintToPtr', 'ULongToHandle', 'HandleToULong',
  'static_cast', 'reinterpret_cast',
]);

const SIZE_MACROS = new Set(['FIELD_OFFSET', 'offsetof', 'RTL_SIZEOF_THROUGH_FIELD', 'RTL_FIELD_SIZE', 'FIELD_SIZE', 'TYPE_ALIGNMENT', 'RTL_NUMBER_OF', 'ARRAYSIZE', 'ARRAY_SIZE', '_countof', 'RTL_NUMBER_OF_FIELD', 'C_ASSERT', 'static_assert', '_Static_assert']);

/** True inside `sizeof`, `FIELD_OFFSET(T, a[n])` and similar, where an expression is never evaluated at run time. */
export function insideSizeContext(src: TextSource, n: AstNode): boolean {
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === 'sizeof_expression' || p.type === 'alignof_expression' || p.type === 'offsetof_expression') return true;
    if (p.type === 'call_expression') {
      const fn = child(p, 'function');
      if (fn && fn.type === 'identifier' && SIZE_MACROS.has(nodeText(src, fn))) return true;
    }
    if (p.type === 'function_definition' || p.type === 'lambda_expression') return false;
  }
  return false;
}
