/**
 * Function-like macros of the file whose body is one expression that writes nothing: no assignment, no `++`/`--`,
 * and no call other than to such macros or to calls known to write nothing. Passing `&x` to one
 * (`ACTUAL_VALUE_SIZE(&map->def)`) leaves `x` as it was, which an unknown call may not.
 */
import { AstNode, child, nodeText, walk } from '../ast';
import type { ParsedFile } from '../parse/parse';
import { calleeName } from './taint';

const WRITES = new Set(['assignment_expression', 'update_expression', 'ERROR', 'compound_statement', 'declaration', 'gnu_asm_expression']);

interface MacroTable {
  readonly bodies: Map<string, AstNode[]>;
  readonly verdicts: Map<string, boolean>;
  key: string | undefined;
}

const tables = new WeakMap<ParsedFile, MacroTable>();

function table(file: ParsedFile): MacroTable {
  let t = tables.get(file);
  if (!t) {
    const bodies = new Map<string, AstNode[]>();
    // Only top-level definitions and those in `#if` blocks: a macro is defined where the file's text says so.
    walk(file.root, (n) => {
      if (n.type === 'function_definition') return false;
      if (n.type !== 'preproc_function_def') return true;
      const name = child(n, 'name');
      if (name) bodies.set(nodeText(file.source, name), [...(bodies.get(nodeText(file.source, name)) ?? []), n]);
      return false;
    });
    tables.set(file, (t = { bodies, verdicts: new Map(), key: undefined }));
  }
  return t;
}

/** The one expression a `#define` body holds, or undefined for statements, several parts or nothing. */
export function bodyExpression(file: ParsedFile, def: AstNode): AstNode | undefined {
  const value = child(def, 'value');
  const frag = value && file.parseFragment?.(value.start, value.end);
  const parts = frag?.children.filter((c) => c.named && c.type !== 'comment') ?? [];
  if (parts.length !== 1 || parts[0].type !== 'expression_statement') return undefined;
  return parts[0].children.find((c) => c.named);
}

/** The file's function-like `#define`s by name, in the order the file has them. */
export function macroDefinitions(file: ParsedFile): ReadonlyMap<string, readonly AstNode[]> {
  return table(file).bodies;
}

/**
 * True when every `#define` of `name` in this file is an expression that writes nothing. `known` says which
 * other calls write nothing (sizeof-like routines); macros it calls are judged the same way.
 */
export function macroWritesNothing(file: ParsedFile, name: string, known: (callee: string) => boolean): boolean {
  const t = table(file);
  const done = t.verdicts.get(name);
  if (done !== undefined) return done;
  const defs = t.bodies.get(name);
  if (!defs) return false;
  // Recursive definitions (directly or through another macro) are not expanded by the preprocessor either.
  t.verdicts.set(name, false);
  const ok = defs.every((def) => {
    const e = bodyExpression(file, def);
    if (!e) return false;
    let clean = true;
    walk(e, (n) => {
      if (!clean) return false;
      if (WRITES.has(n.type) || n.missing) clean = false;
      else if (n.type === 'call_expression') {
        const callee = calleeName(file.source, n);
        clean = !!callee && (known(callee) || macroWritesNothing(file, callee, known));
      }
      return clean;
    });
    return clean;
  });
  t.verdicts.set(name, ok);
  return ok;
}

/** Text of the file's function-like macro definitions: flows solved under other definitions are not reused. */
export function macroDefinitionsKey(file: ParsedFile): string {
  const t = table(file);
  return (t.key ??= [...t.bodies.values()].flat().map((d) => nodeText(file.source, d)).join('\n'));
}
