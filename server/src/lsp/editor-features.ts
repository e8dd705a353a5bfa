/** Hover and code actions over the findings of open documents. */
import { CodeAction, CodeActionKind, CodeActionParams, Diagnostic, Hover, HoverParams, MarkupKind } from 'vscode-languageserver/node';
import type { Finding } from '../engine/rule';
import { fixAllAction, FIX_ALL_KIND, isKslint, quickFixes } from './code-actions';
import { FixData, toFixData } from './diagnostics';
import type { KslintServer } from './server';

function contains(f: Finding, line: number, character: number): boolean {
  const { start, end } = f.range;
  if (line < start.line || line > end.line) return false;
  if (line === start.line && character < start.character) return false;
  if (line === end.line && character > end.character) return false;
  return true;
}

function wants(only: readonly string[] | undefined, kind: string): boolean {
  return !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
}

export function registerEditorFeatures(server: KslintServer): void {
  const { connection } = server;

  connection.onHover((p: HoverParams): Hover | null => {
    const doc = server.documents.get(p.textDocument?.uri);
    if (!doc || !p.position) return null;
    const hits = doc.findings.filter((f) => !f.suppression && contains(f, p.position.line, p.position.character));
    if (!hits.length) return null;
    const parts = hits.map((f) => server.docs.hoverMarkdown(f.ruleId, f.message)).filter((s): s is string => !!s);
    if (!parts.length) return null;
    return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n---\n\n') }, range: hits[0].range };
  });

  connection.onCodeAction((p: CodeActionParams): CodeAction[] => {
    const doc = server.documents.get(p.textDocument?.uri);
    const analyzer = server.analyzer;
    if (!doc || !analyzer || !server.settings.enable) return [];
    const only = p.context?.only;
    const actions: CodeAction[] = [];
    let fresh: readonly Finding[] | undefined;
    // Fixes are never cached: without `data` (or for fix-all) the current text is linted again.
    const current = (): readonly Finding[] => (fresh ??= analyzer.lintText(doc.path, doc.text.getText(), server.configFor(doc.path), doc.parsed?.lang ?? doc.lang).findings);
    if (wants(only, CodeActionKind.QuickFix)) {
      const recompute = (d: Diagnostic): readonly FixData[] => {
        const f = current().find((x) => x.ruleId === d.code && x.range.start.line === d.range.start.line && x.range.start.character === d.range.start.character);
        return f ? f.fixes.map(toFixData) : [];
      };
      actions.push(...quickFixes(doc.text, (p.context?.diagnostics ?? []).filter(isKslint), { snippets: server.client.snippets, recompute }));
    }
    if (only && wants(only, FIX_ALL_KIND)) {
      const all = fixAllAction(doc.text, current());
      if (all) actions.push(all);
    }
    return actions;
  });
}
