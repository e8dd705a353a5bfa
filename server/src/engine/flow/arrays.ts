/**
 * Declared shapes of the arrays and pointers a function indexes: `ULONG Inputs[20]` (local, parameter, global or
 * struct/class field declared in the same file), flexible trailing arrays (`ENTRY Entries[1]` / `[]` / `[ANYSIZE_ARRAY]`
 * at the end of a struct), and pointer declarations. Looked up by name, so only the file's own declarations count.
 */
import { AstNode, child, descendants, nodeText, TextSource, walk } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { ParsedFile } from '../parse/parse';
import { leavesOf, pathOf, stripCasts } from './paths';
import { declaratorName } from './solve';

export interface ArrayDecl {
  readonly name: string;
  /** The size expression between the brackets; undefined for `[]`. */
  readonly size: AstNode | undefined;
  readonly where: 'local' | 'param' | 'global' | 'field';
  /** Last member of its struct with a size of `[]`, `[0]`, `[1]` or `[ANYSIZE_ARRAY]`: sized by data, not by type. */
  readonly trailing: boolean;
  /** The element count when it is a literal (`[16]`) or follows from the initializer (`[] = {...}`, `"..."`). */
  readonly elements: number | undefined;
  readonly node: AstNode;
}

interface FileDecls {
  readonly globals: Map<string, ArrayDecl>;
  readonly fields: Map<string, ArrayDecl>;
  readonly pointers: Set<string>;
}

const cache = new WeakMap<ParsedFile, FileDecls>();

function arrayDeclarator(d: AstNode | undefined): AstNode | undefined {
  for (let n = d; n; n = child(n, 'declarator')) {
    if (n.type === 'array_declarator') return n;
    if (n.type === 'pointer_declarator' || n.type === 'function_declarator') return undefined;
    if (n.type === 'init_declarator') continue;
  }
  return undefined;
}

function isPointerDecl(d: AstNode | undefined): boolean {
  for (let n = d; n; n = child(n, 'declarator')) {
    if (n.type === 'pointer_declarator') return true;
    if (n.type === 'array_declarator') return true;
    if (n.type === 'identifier' || n.type === 'field_identifier' || n.type === 'function_declarator') return false;
  }
  return false;
}

function elementCount(file: ParsedFile, size: AstNode | undefined, init: AstNode | undefined): number | undefined {
  if (size) {
    const t = nodeText(file.source, size).trim().replace(/[uUlL]+$/, '');
    return /^[0-9]+$/.test(t) ? parseInt(t, 10) : /^0[xX][0-9a-fA-F]+$/.test(t) ? parseInt(t, 16) : undefined;
  }
  if (init?.type === 'initializer_list') return init.children.filter((c) => c.named && c.type !== 'comment').length;
  if (init?.type === 'string_literal') return nodeText(file.source, init).length - 1;
  return undefined;
}

function declOf(file: ParsedFile, d: AstNode, where: ArrayDecl['where'], trailing = false): ArrayDecl | undefined {
  const arr = arrayDeclarator(d);
  const name = declaratorName(file.source, d);
  if (!arr || !name) return undefined;
  const size = child(arr, 'size');
  const init = d.type === 'init_declarator' ? child(d, 'value') : undefined;
  return { name, size, where, trailing, node: arr, elements: elementCount(file, size, init) };
}

function isFlexibleSize(file: ParsedFile, size: AstNode | undefined): boolean {
  if (!size) return true;
  const t = nodeText(file.source, size).trim();
  return t === '0' || t === '1' || t === 'ANYSIZE_ARRAY';
}

function fileDecls(file: ParsedFile): FileDecls {
  let d = cache.get(file);
  if (d) return d;
  const globals = new Map<string, ArrayDecl>();
  const fields = new Map<string, ArrayDecl>();
  const pointers = new Set<string>();
  for (const top of file.root.children) {
    if (top.type !== 'declaration') continue;
    for (const c of top.children) {
      if (c.field !== 'declarator') continue;
      const a = declOf(file, c, 'global');
      if (a) globals.set(a.name, a);
      else if (isPointerDecl(c)) {
        const n = declaratorName(file.source, c);
        if (n) pointers.add(n);
      }
    }
  }
  walk(file.root, (n) => {
    if (n.type === 'function_definition') return false;
    if (n.type !== 'field_declaration_list') return true;
    const members = n.children.filter((c) => c.type === 'field_declaration');
    members.forEach((m, i) => {
      for (const c of m.children) {
        if (c.field !== 'declarator') continue;
        const probe = declOf(file, c, 'field');
        const a = probe && declOf(file, c, 'field', i === members.length - 1 && isFlexibleSize(file, probe.size));
        if (a && !fields.has(a.name)) fields.set(a.name, a);
        else if (!a && isPointerDecl(c)) {
          const nm = declaratorName(file.source, c);
          if (nm) pointers.add(nm);
        }
      }
    });
    return true;
  });
  d = { globals, fields, pointers };
  cache.set(file, d);
  return d;
}

function localDecls(file: ParsedFile, fn: FunctionInfo, name: string): { array?: ArrayDecl; pointer: boolean } | undefined {
  for (const p of fn.params) {
    if (p.name !== name) continue;
    const d = child(p.node, 'declarator');
    const a = d && declOf(file, d, 'param');
    return { array: a, pointer: isPointerDecl(d) || /\bP[A-Z0-9_]+\b|\*/.test(p.typeText) };
  }
  let found: { array?: ArrayDecl; pointer: boolean } | undefined;
  walk(fn.body, (n) => {
    if (found) return false;
    if (n.type !== 'declaration') return true;
    for (const c of n.children) {
      if (c.field !== 'declarator' || declaratorName(file.source, c) !== name) continue;
      const type = child(n, 'type');
      found = { array: declOf(file, c, 'local'), pointer: isPointerDecl(c) || (!!type && /^P[A-Z0-9_]+$/.test(nodeText(file.source, type))) };
    }
    return !found;
  });
  return found;
}

/** The declaration of the array an expression names (`Inputs`, `ctx->Inputs`, `this->Inputs`), if the file has it. */
export function arrayDeclOf(file: ParsedFile, fn: FunctionInfo, expr: AstNode): ArrayDecl | undefined {
  const e = stripCasts(expr);
  if (e.type === 'identifier') {
    const name = nodeText(file.source, e);
    const local = localDecls(file, fn, name);
    if (local) return local.array;
    const d = fileDecls(file);
    return d.globals.get(name) ?? d.fields.get(name);
  }
  if (e.type === 'field_expression') {
    const f = child(e, 'field');
    return f ? fileDecls(file).fields.get(nodeText(file.source, f)) : undefined;
  }
  return undefined;
}

/** True when `expr` names a local variable of the function declared as an object: neither a pointer nor an array. */
export function isLocalObject(file: ParsedFile, fn: FunctionInfo, expr: AstNode): boolean {
  const e = stripCasts(expr);
  if (e.type !== 'identifier') return false;
  const name = nodeText(file.source, e);
  if (fn.params.some((p) => p.name === name)) return false;
  const local = localDecls(file, fn, name);
  return !!local && !local.array && !local.pointer;
}

/** True when an expression is declared as a pointer or array (so `e + i` is pointer arithmetic). */
export function isPointerLike(file: ParsedFile, fn: FunctionInfo, expr: AstNode): boolean {
  const e = stripCasts(expr);
  if (e !== expr && expr.type === 'cast_expression') {
    const t = child(expr, 'type');
    if (t && /\*|^\s*P[A-Z0-9_]+\s*$/.test(nodeText(file.source, t))) return true;
  }
  if (e.type === 'identifier') {
    const name = nodeText(file.source, e);
    const local = localDecls(file, fn, name);
    if (local) return !!local.array || local.pointer;
    const d = fileDecls(file);
    return d.globals.has(name) || d.pointers.has(name);
  }
  if (e.type === 'field_expression') {
    const f = child(e, 'field');
    const name = f ? nodeText(file.source, f) : '';
    const d = fileDecls(file);
    return d.fields.has(name) || d.pointers.has(name);
  }
  return false;
}

const ALLOCATORS = /^(ExAllocatePool\w*|ExAllocateFromNPagedLookasideList|ExAllocateFromPagedLookasideList|MmAllocate\w*|malloc|calloc|kmalloc|kzalloc|kcalloc|vmalloc|vzalloc|kvmalloc|WdfMemoryCreate)$/;

/**
 * True when `base` was allocated in this function with a size that mentions one of `paths` (`p = ExAllocatePool2(
 * ..., n + 4, ...)`): the array is then sized by the same value that indexes it.
 */
export function allocatedWith(file: ParsedFile, fn: FunctionInfo, base: AstNode, paths: readonly string[]): boolean {
  const target = pathOf(file.source, base);
  if (!target || !paths.length) return false;
  const src = file.source;
  const mentions = (n: AstNode): boolean => leavesOf(src, n).some((l) => paths.includes(l.path));
  return valuesStoredTo(src, fn.body, target).some((value) => {
    const v = stripCasts(value);
    // `new (NonPagedPoolNx, tag) T[n]`: the element count is in the new-declarator.
    if (v.type === 'new_expression') {
      return descendants(v, 'new_declarator').some((d) => {
        const len = child(d, 'length');
        return !!len && mentions(len);
      });
    }
    if (v.type !== 'call_expression') return false;
    const f = child(v, 'function');
    if (!f || !ALLOCATORS.test(nodeText(src, f))) return false;
    const args = child(v, 'arguments');
    return (args ? args.children : []).some((a) => a.named && mentions(a));
  });
}

/** The values `body` stores to `target`: right sides of `target = v` (and `target op= v`) and initialisers of `T target = v`. */
export function valuesStoredTo(src: TextSource, body: AstNode, target: string): AstNode[] {
  const out: AstNode[] = [];
  walk(body, (n) => {
    let value: AstNode | undefined;
    if (n.type === 'assignment_expression') {
      const l = child(n, 'left');
      if (l && pathOf(src, l) === target) value = child(n, 'right');
    } else if (n.type === 'init_declarator' && declaratorName(src, child(n, 'declarator')) === target) {
      value = child(n, 'value');
    }
    if (value) out.push(value);
    return true;
  });
  return out;
}

/** `paths` plus the locals computed from them (`length = sizeof(T) * count;`), one level deep. */
export function derivedPaths(body: AstNode, src: TextSource, paths: readonly string[]): string[] {
  const out = new Set(paths);
  for (const n of descendants(body, new Set(['assignment_expression', 'init_declarator']))) {
    const target = n.type === 'assignment_expression' ? child(n, 'left') : child(n, 'declarator');
    const value = child(n, n.type === 'assignment_expression' ? 'right' : 'value');
    const p = target && (n.type === 'assignment_expression' ? pathOf(src, target) : declaratorName(src, target));
    if (p && value && leavesOf(src, value).some((l) => paths.includes(l.path))) out.add(p);
  }
  return [...out];
}
