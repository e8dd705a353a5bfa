/**
 * Findings as LSP diagnostics. Each diagnostic carries the finding's fixes in `data`, with the document version
 * they were computed for, so code actions need no server-side cache and never apply a fix to other text.
 */
import { Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Range, TextEdit } from 'vscode-languageserver/node';
import type { Finding, FixSafety, Severity } from '../engine/rule';
import type { RuleDocs } from './rule-docs';
import { pathToUri } from './uri';

export const SOURCE = 'kslint';

export interface FixData {
  readonly title: string;
  readonly safety: FixSafety;
  readonly edits: TextEdit[];
}

/** What a kslint diagnostic carries in `data`. */
export interface DiagnosticData {
  /** Document version the fixes were computed against. */
  readonly version: number;
  readonly fixes: FixData[];
  /** The rule's check that found it (`Finding.subKind`), for a suppression of that check alone. */
  readonly check?: string;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

export interface DiagnosticOptions {
  readonly docs: RuleDocs;
  readonly version: number;
  readonly relatedInformation: boolean;
}

export function toDiagnostic(f: Finding, opts: DiagnosticOptions): Diagnostic {
  const d: Diagnostic = {
    range: f.range as Range,
    severity: SEVERITY[f.severity],
    code: f.ruleId,
    source: SOURCE,
    message: f.message,
  };
  const href = opts.docs.docUri(f.ruleId);
  if (href) d.codeDescription = { href };
  if (opts.relatedInformation && (f.path.length || f.related.length)) {
    d.relatedInformation = [...f.path, ...f.related].map((s): DiagnosticRelatedInformation => ({ location: { uri: pathToUri(s.file), range: s.range as Range }, message: s.label }));
  }
  if (f.fixes.length || f.subKind) {
    const data: DiagnosticData = { version: opts.version, fixes: f.fixes.map(toFixData), ...(f.subKind ? { check: f.subKind } : {}) };
    d.data = data;
  }
  return d;
}

export function toFixData(fix: Finding['fixes'][number]): FixData {
  return { title: fix.title, safety: fix.safety, edits: fix.edits.map((e) => ({ range: e.range as Range, newText: e.newText })) };
}

/** Active findings only: suppressed ones stay out of the editor (the engine reports unjustified suppressions itself). */
export function toDiagnostics(findings: readonly Finding[], opts: DiagnosticOptions): Diagnostic[] {
  return findings.filter((f) => !f.suppression).map((f) => toDiagnostic(f, opts));
}

export function isDiagnosticData(v: unknown): v is DiagnosticData {
  if (!v || typeof v !== 'object') return false;
  const d = v as Partial<DiagnosticData>;
  return typeof d.version === 'number' && (d.check === undefined || typeof d.check === 'string') && Array.isArray(d.fixes) && d.fixes.every((f) => f && typeof f.title === 'string' && (f.safety === 'safe' || f.safety === 'unsafe') && Array.isArray(f.edits));
}
