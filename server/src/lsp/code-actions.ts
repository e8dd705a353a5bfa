/**
 * Code actions: a finding's fixes (read back from the diagnostic's `data`), suppressing a finding on its line
 * with a justification, and `source.fixAll.kslint`, which applies only the fixes marked safe.
 */
import { CodeAction, CodeActionKind, Diagnostic, TextEdit, WorkspaceEdit } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { selectSafeFixes } from '../engine/fix-all';
import type { Finding } from '../engine/rule';
import { DiagnosticData, FixData, isDiagnosticData, SOURCE, toFixData } from './diagnostics';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.kslint`;

export interface ActionOptions {
  /** The client applies snippet text edits in workspace edits (LSP 3.18 `snippetEditSupport`). */
  readonly snippets: boolean;
  /** Fixes for a diagnostic whose `data` the client did not keep (recomputed by linting the current text). */
  readonly recompute: (d: Diagnostic) => readonly FixData[];
}

export function isKslint(d: Diagnostic): boolean {
  return d.source === SOURCE && typeof d.code === 'string';
}

/** Quick fixes and the suppression action for the kslint diagnostics in a code-action request. */
export function quickFixes(doc: TextDocument, diagnostics: readonly Diagnostic[], opts: ActionOptions): CodeAction[] {
  const actions: CodeAction[] = [];
  const suppressed = new Set<string>();
  for (const d of diagnostics) {
    if (!isKslint(d)) continue;
    const fixes = fixesOf(doc, d, opts);
    for (const fix of fixes) {
      actions.push({
        title: fix.safety === 'safe' ? fix.title : `${fix.title} (unsafe: review the change)`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: fix.safety === 'safe',
        edit: documentEdit(doc, fix.edits),
      });
    }
    // A rule with separately numbered checks is suppressed by check (`KS1201/executable-pool`), so the comment does
    // not also hide the rule's other checks on that line.
    const check = isDiagnosticData(d.data) ? d.data.check : undefined;
    const id = check ? `${String(d.code)}/${check}` : String(d.code);
    const key = `${d.range.start.line}:${id}`;
    if (suppressed.has(key)) continue;
    suppressed.add(key);
    actions.push(suppressAction(doc, d, id, opts.snippets));
  }
  return actions;
}

function fixesOf(doc: TextDocument, d: Diagnostic, opts: ActionOptions): readonly FixData[] {
  if (d.data === undefined) return opts.recompute(d);
  if (!isDiagnosticData(d.data)) return [];
  const data: DiagnosticData = d.data;
  // A fix computed for another version of the text could corrupt it; the next analysis brings fresh ones.
  return data.version === doc.version ? data.fixes : [];
}

function documentEdit(doc: TextDocument, edits: readonly TextEdit[]): WorkspaceEdit {
  return { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits: [...edits] }] };
}

/** `// kslint-disable-next-line KSnnnn[/check] -- <reason>` above the finding's first line, indented like it. */
function suppressAction(doc: TextDocument, d: Diagnostic, id: string, snippets: boolean): CodeAction {
  const line = d.range.start.line;
  const lineText = doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
  const indent = /^[ \t]*/.exec(lineText)?.[0] ?? '';
  const eol = doc.getText().includes('\r\n') ? '\r\n' : '\n';
  const prefix = `${indent}// kslint-disable-next-line ${id} -- `;
  const at = { line, character: 0 };
  const edit: WorkspaceEdit = snippets
    ? { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits: [{ range: { start: at, end: at }, snippet: { kind: 'snippet', value: `${escapeSnippet(prefix)}$0${eol}` } }] }] }
    : documentEdit(doc, [{ range: { start: at, end: at }, newText: `${prefix}TODO: justification${eol}` }]);
  return { title: `Suppress ${id} on this line (with a justification)`, kind: CodeActionKind.QuickFix, diagnostics: [d], edit };
}

function escapeSnippet(text: string): string {
  return text.replace(/[\\$}]/g, (c) => `\\${c}`);
}

/** The safe fixes of `findings` that can be applied together (see `selectSafeFixes`) as one edit, if any. */
export function fixAllAction(doc: TextDocument, findings: readonly Finding[]): CodeAction | undefined {
  const edits = selectSafeFixes(findings).flatMap((fix) => toFixData(fix).edits);
  if (!edits.length) return undefined;
  return { title: 'Apply all safe kslint fixes', kind: FIX_ALL_KIND, edit: documentEdit(doc, edits) };
}
