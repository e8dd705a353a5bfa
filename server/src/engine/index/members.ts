/**
 * The structure members a file declares (phase 1, per file): for each struct, union or class with a body, its
 * members as written (the type each names, the pointer levels and array of its declarator), and for each typedef
 * the name it stands for. Most structures a driver reads are declared in headers, so the project index merges
 * these by name (flow/member-types.ts) and the analysis asks it what `req->Data` is.
 */
import { AstNode, child, nodeText, SubtreeMemo, TextSource, walk } from '../ast';

/** One member as declared: its name, the type name it uses ('' when unknown), its declarator's pointer levels, whether it is an array. */
export type MemberDecl = readonly [name: string, type: string, pointers: number, array: boolean];

/** A structure's members, or a typedef: the name it stands for, with the pointer levels its declarator adds. */
export type TypeDecl = { readonly members: readonly MemberDecl[] } | { readonly of: string; readonly pointers: number };

/** A file's type declarations by name, sorted; a name declared several ways in the file has several entries. */
export type TypeEntries = readonly (readonly [string, TypeDecl])[];

const RECORDS: ReadonlySet<string> = new Set(['struct_specifier', 'union_specifier', 'class_specifier']);

/** Type text without qualifiers and tag keywords: `const struct _FOO` -> `_FOO`, `unsigned  char` -> `unsigned char`. */
export function typeNameOf(src: TextSource, type: AstNode | undefined): string {
  if (!type) return '';
  if (RECORDS.has(type.type) || type.type === 'enum_specifier') {
    const name = child(type, 'name');
    return name && name.type === 'type_identifier' ? nodeText(src, name) : '';
  }
  if (type.type !== 'type_identifier' && type.type !== 'primitive_type' && type.type !== 'sized_type_specifier') return '';
  return nodeText(src, type).replace(/\b(const|volatile|CONST)\b/g, ' ').replace(/\s+/g, ' ').trim();
}

/** The pointer levels of a declarator and whether it declares an array; undefined for functions and unnamed ones. */
export function declaratorShape(src: TextSource, d: AstNode | undefined): { name: string; pointers: number; array: boolean } | undefined {
  let pointers = 0;
  let array = false;
  for (let n = d, guard = 0; n && guard < 32; guard++) {
    if (n.type === 'pointer_declarator' || n.type === 'abstract_pointer_declarator') pointers++;
    else if (n.type === 'array_declarator') array = true;
    else if (n.type === 'function_declarator') return undefined;
    else if (n.type === 'identifier' || n.type === 'field_identifier' || n.type === 'type_identifier') return { name: nodeText(src, n), pointers, array };
    else if (n.type !== 'parenthesized_declarator' && n.type !== 'attributed_declarator') return undefined;
    n = child(n, 'declarator') ?? n.children.find((c) => c.named && (c.type.endsWith('declarator') || c.type.endsWith('identifier')));
  }
  return undefined;
}

/**
 * Members of a record body; an unnamed struct or union member (`union { USHORT Len; PVOID P; };`) lends its
 * members to the enclosing record, as C does. A bit-field's width is not its type's, so its type is left unknown.
 */
function membersOf(src: TextSource, body: AstNode, out: MemberDecl[], depth = 0): void {
  if (depth > 8) return;
  for (const f of body.children) {
    if (f.type !== 'field_declaration') continue;
    const type = child(f, 'type');
    const declarators = f.children.filter((c) => c.field === 'declarator');
    if (!declarators.length && type && RECORDS.has(type.type)) {
      const inner = child(type, 'body');
      if (inner) membersOf(src, inner, out, depth + 1);
      continue;
    }
    const bitfield = f.children.some((c) => c.type === 'bitfield_clause');
    const name = bitfield ? '' : typeNameOf(src, type);
    for (const d of declarators) {
      const shape = declaratorShape(src, d);
      if (shape) out.push([shape.name, name, shape.pointers, shape.array]);
    }
  }
}

/** Declarations per tree: the summary and an analysis without the project both read them. */
const declared = new WeakMap<AstNode, TypeEntries>();

/** Every record with a body and every typedef of the file. */
export function typeDeclarations(src: TextSource, root: AstNode): TypeEntries {
  let known = declared.get(root);
  if (!known) declared.set(root, (known = collectDeclarations(src, root)));
  return known;
}

function collectDeclarations(src: TextSource, root: AstNode): TypeEntries {
  const out: [string, TypeDecl][] = [];
  const seen = new Set<string>();
  for (const unit of root.children) {
    for (const [name, decl, key] of unitDeclarations.get(unit, '', () => declarationsIn(src, unit))) {
      if (seen.has(key)) continue;
      seen.add(key);
      out.push([name, decl]);
    }
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Each top-level declaration's records and typedefs, with the key that tells repeats apart (see SubtreeMemo). */
const unitDeclarations = new SubtreeMemo<readonly (readonly [string, TypeDecl, string])[]>();

function declarationsIn(src: TextSource, unit: AstNode): (readonly [string, TypeDecl, string])[] {
  const out: (readonly [string, TypeDecl, string])[] = [];
  const add = (name: string, decl: TypeDecl): void => {
    out.push([name, decl, `${name}\u0000${JSON.stringify(decl)}`]);
  };
  walk(unit, (n) => {
    if (RECORDS.has(n.type)) {
      const body = child(n, 'body');
      const name = child(n, 'name');
      if (body && name?.type === 'type_identifier') {
        const members: MemberDecl[] = [];
        membersOf(src, body, members);
        add(nodeText(src, name), { members });
      }
    } else if (n.type === 'type_definition') {
      const type = child(n, 'type');
      const body = type && RECORDS.has(type.type) ? child(type, 'body') : undefined;
      // `typedef struct { ... } FOO, *PFOO;`: the first plain name stands for the unnamed record.
      let of = typeNameOf(src, type);
      for (const d of n.children) {
        if (d.field !== 'declarator') continue;
        const shape = declaratorShape(src, d);
        if (!shape || shape.array) continue;
        if (!of && body && shape.pointers === 0) {
          const members: MemberDecl[] = [];
          membersOf(src, body, members);
          add(shape.name, { members });
          of = shape.name;
        } else if (of && of !== shape.name) add(shape.name, { of, pointers: shape.pointers });
      }
    }
    return true;
  });
  return out;
}
