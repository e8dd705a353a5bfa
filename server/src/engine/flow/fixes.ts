/** Fix helpers shared by the bounds rules: insert a check skeleton before the statement that uses a value. */
import { AstNode, child, nodeText } from '../ast';
import type { FunctionInfo } from '../index/functions';
import type { ParsedFile } from '../parse/parse';
import { pathOf, stripCasts } from './paths';

const BLOCK_PARENTS = new Set(['compound_statement', 'case_statement', 'labeled_statement', 'translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif']);

/** The statement containing `node` that sits directly in a block (where a check can be inserted before it). */
export function enclosingStatement(node: AstNode): AstNode | undefined {
  for (let n: AstNode | undefined = node; n && n.parent; n = n.parent) {
    if (BLOCK_PARENTS.has(n.parent.type) && (n.type.endsWith('statement') || n.type === 'declaration')) return n;
    if (n.type === 'function_definition' || n.type === 'lambda_expression') return undefined;
  }
  return undefined;
}

/** What the function returns on bad input, if its return type makes that obvious. */
export function failureReturn(file: ParsedFile, fn: FunctionInfo): string | undefined {
  const type = child(fn.node, 'type');
  const t = type ? nodeText(file.source, type).trim() : '';
  const pointer = child(fn.node, 'declarator')?.type === 'pointer_declarator';
  if (pointer) return 'return NULL;';
  if (t === 'NTSTATUS') return 'return STATUS_INVALID_PARAMETER;';
  if (t === 'VOID' || t === 'void') return 'return;';
  if (t === 'BOOLEAN') return 'return FALSE;';
  if (t === 'bool') return 'return false;';
  return undefined;
}

/**
 * An unsafe fix inserting `if (<value> >= <bound>) { <failure> }` before the statement using `value`, when the
 * value is a plain access path (no side effects to repeat) and the function's failure return is obvious.
 */
export function insertCheckFix(file: ParsedFile, fn: FunctionInfo, use: AstNode, value: AstNode, bound: string, title: string): { title: string; safety: 'unsafe'; edits: { start: number; end: number; newText: string }[] }[] {
  const stmt = enclosingStatement(use);
  const ret = failureReturn(file, fn);
  if (!stmt || !ret || pathOf(file.source, value) === undefined) return [];
  const text = file.source.text;
  let lineStart = stmt.start;
  while (lineStart > 0 && text[lineStart - 1] !== '\n' && text[lineStart - 1] !== '\r') lineStart--;
  const indent = text.slice(lineStart, stmt.start);
  if (indent.trim() !== '') return [];
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const v = nodeText(file.source, stripCasts(value));
  return [{ title, safety: 'unsafe', edits: [{ start: lineStart, end: lineStart, newText: `${indent}if (${v} >= ${bound}) {${eol}${indent}    ${ret}${eol}${indent}}${eol}` }] }];
}
