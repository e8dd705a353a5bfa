/**
 * lint(files, config) -> findings. Pure: no file system, no console, no LSP. The CLI and the language server
 * both call into this module.
 */
import { createHash } from 'node:crypto';
import { FileAnalysis, ProjectIndex, EMPTY_PROJECT } from './analysis';
import type { AstNode } from './ast';
import type { EngineConfig } from './config';
import { buildProjectIndex } from './index/project';
import { summarizeFile } from './index/summary';
import { ParsedFile, Parsers, parseFile } from './parse/parse';
import type { Finding, ReportSpec, Rule, Severity, SeverityOrOff, PathStep, Fix, StepSpec } from './rule';
import { applySuppressions } from './suppress';

export { summarizeFile } from './index/summary';
export type { FileSummary } from './index/summary';
export { buildProjectIndex, consumedNames, dependencyKey } from './index/project';

export interface FileStats {
  readonly functions: number;
  /** Functions the data-flow rules analysed. */
  readonly analysed: number;
  /** Functions skipped by data-flow rules because their syntax tree is damaged. */
  readonly skipped: number;
  readonly parseErrors: number;
  readonly maskedMacros: number;
  readonly lines: number;
  readonly bytes: number;
}

export interface FileResult {
  readonly path: string;
  readonly findings: Finding[];
  readonly stats: FileStats;
  /** Rules that threw; reported, never fatal. */
  readonly ruleErrors: { readonly ruleId: string; readonly message: string }[];
}

export function effectiveSeverity(rule: Rule, config: EngineConfig): SeverityOrOff {
  const setting = config.rules[rule.meta.id]?.severity;
  if (setting) return setting;
  return rule.meta.enabledByDefault ? rule.meta.severity : 'off';
}

const RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 };

export function severityRank(s: Severity): number {
  return RANK[s];
}

/** Runs every enabled rule over one parsed file. */
export function lintParsed(file: ParsedFile, rules: readonly Rule[], config: EngineConfig, project: ProjectIndex = EMPTY_PROJECT, prepared?: FileAnalysis): FileResult {
  const analysis = prepared ?? new FileAnalysis(file, project, config);
  const findings: Finding[] = [];
  const ruleErrors: { ruleId: string; message: string }[] = [];
  for (const rule of rules) {
    const severity = effectiveSeverity(rule, config);
    if (severity === 'off') continue;
    const options = config.rules[rule.meta.id]?.options ?? {};
    try {
      rule.check({
        file,
        options,
        analysis,
        text: (node: AstNode) => file.source.text.slice(node.start, node.end),
        report: (spec) => findings.push(toFinding(file, analysis, rule, severity, spec)),
      });
    } catch (err) {
      ruleErrors.push({ ruleId: rule.meta.id, message: err instanceof Error ? err.message : String(err) });
    }
  }
  // In-source suppressions mark the findings they cover and add findings about the directives themselves.
  try {
    for (const extra of applySuppressions(file, findings, rules, (rule) => effectiveSeverity(rule, config))) {
      findings.push(toFinding(file, analysis, extra.rule, extra.severity, extra.spec));
    }
  } catch (err) {
    ruleErrors.push({ ruleId: 'suppressions', message: err instanceof Error ? err.message : String(err) });
  }
  findings.sort(compareFindings);
  assignFingerprints(file, findings);
  const fns = analysis.functions;
  const skipped = analysis.skippedFunctions;
  return {
    path: file.path,
    findings,
    ruleErrors,
    stats: {
      functions: fns.length,
      analysed: fns.length - skipped,
      skipped,
      parseErrors: file.errorCount,
      maskedMacros: file.maskedMacros,
      lines: file.source.lineCount,
      bytes: file.source.text.length,
    },
  };
}

/**
 * Parses and lints in-memory texts in one thread (tests, editor, small runs), with all three phases of the
 * project analysis: summarize every file, build the project index from all summaries (unless `project` is
 * given), then run the rules per file. Results do not depend on the order of `inputs`.
 */
export function lintTexts(parsers: Parsers, inputs: readonly { path: string; text: string }[], rules: readonly Rule[], config: EngineConfig, project?: ProjectIndex): FileResult[] {
  const parsed: ParsedFile[] = [];
  try {
    for (const input of inputs) parsed.push(parseFile(parsers, input.path, input.text, { macros: config.macros, headerLanguage: config.headerLanguage }));
    if (project) return parsed.map((p) => lintParsed(p, rules, config, project));
    // Phase 1 analyses are kept: phase 3 reuses their solved flows under the project index.
    const analyses = parsed.map((p) => new FileAnalysis(p, EMPTY_PROJECT, config));
    const index = buildProjectIndex(parsed.map((p, i) => summarizeFile(p, config, analyses[i])));
    return parsed.map((p, i) => lintParsed(p, rules, config, index, analyses[i].withProject(index)));
  } finally {
    for (const p of parsed) p.tree.delete?.();
  }
}

export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.startOffset - b.startOffset || a.endOffset - b.endOffset || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

function toFinding(file: ParsedFile, analysis: FileAnalysis, rule: Rule, configured: Severity, spec: ReportSpec): Finding {
  const start = spec.node?.start ?? spec.start ?? 0;
  const end = spec.node?.end ?? spec.end ?? start;
  const severity = spec.severity && RANK[spec.severity] < RANK[configured] ? spec.severity : configured;
  const toStep = (step: StepSpec): PathStep => {
    if (step.range) return { file: step.file ?? file.path, range: step.range, label: step.label };
    const s = step.node?.start ?? step.start ?? start;
    const e = step.node?.end ?? step.end ?? s;
    return { file: file.path, range: file.source.rangeOf(s, e), label: step.label };
  };
  const path = (spec.path ?? []).map(toStep);
  const related = (spec.related ?? []).map(toStep);
  const fixes: Fix[] = (spec.fixes ?? []).map((f) => ({
    title: f.title,
    safety: f.safety,
    edits: f.edits.map((e) => ({ start: e.start, end: e.end, newText: e.newText, range: file.source.rangeOf(e.start, e.end) })),
  }));
  const fn = analysis.functionAt(start);
  return {
    ruleId: rule.meta.id,
    ruleName: rule.meta.name,
    severity,
    message: spec.message,
    file: file.path,
    range: file.source.rangeOf(start, end),
    startOffset: start,
    endOffset: end,
    path,
    related,
    fixes,
    functionName: fn?.qualifiedName || undefined,
    subKind: spec.subKind,
    fingerprint: '',
  };
}

/**
 * Fingerprints survive edits elsewhere in the file: they hash the rule, the enclosing function and the flagged
 * code with white space folded, plus an occurrence number among identical candidates (never a line number).
 */
function assignFingerprints(file: ParsedFile, findings: Finding[]): void {
  const seen = new Map<string, number>();
  for (const f of findings) {
    const code = file.source.text.slice(f.startOffset, f.endOffset).replace(/\s+/g, ' ').trim();
    const line = file.source.lineText(f.range.start.line).replace(/\s+/g, ' ').trim();
    const key = `${f.ruleId}|${f.functionName ?? ''}|${code}|${line}`;
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    (f as { fingerprint: string }).fingerprint = createHash('sha256').update(`${key}|${n}`).digest('hex').slice(0, 32);
  }
}
