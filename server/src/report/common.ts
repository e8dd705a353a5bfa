/** Shared by the writers: paths and URIs relative to the base folder, finding status, counts, source excerpts. */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { severityRank } from '../engine/lint';
import { SEVERITIES, Finding, Severity } from '../engine/rule';
import { SourceText } from '../engine/source';
import type { BaselineState, ReportContext, RunResult } from './run';

/** Where a finding stands in a report: counted, waived in the source, or accepted by the baseline. */
export type FindingStatus = 'active' | 'suppressed' | 'baselined';

export function absolutePath(run: RunResult, file: string): string {
  return resolve(run.invocation.workingDirectory, file);
}

/** The path relative to the base folder with `/` separators, or undefined for files outside it. */
export function relativePath(run: RunResult, file: string): string | undefined {
  const rel = relative(run.baseDir, absolutePath(run, file));
  if (!rel || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/** A short path for people: relative to the base folder when inside it, else absolute. */
export function displayPath(run: RunResult, file: string): string {
  return relativePath(run, file) ?? absolutePath(run, file);
}

/** A URI reference for a file: relative (to `%SRCROOT%`) when inside the base folder, else an absolute file URI. */
export function fileUri(run: RunResult, file: string): { uri: string; relative: boolean } {
  const rel = relativePath(run, file);
  if (rel !== undefined) return { uri: rel.split('/').map(encodeURIComponent).join('/'), relative: true };
  return { uri: pathToFileURL(absolutePath(run, file)).href, relative: false };
}

/** The base folder as a file URI ending in `/` (SARIF requires the trailing slash). */
export function baseDirUri(run: RunResult): string {
  return folderUri(run.baseDir);
}

export function folderUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : href + '/';
}

/** Identifies a finding across runs: its file (relative to the base folder) and its line-independent fingerprint. */
export function baselineKey(run: RunResult, f: Pick<Finding, 'file' | 'fingerprint'>): string {
  return `${displayPath(run, f.file)}\n${f.fingerprint}`;
}

export function baselineState(run: RunResult, f: Finding): BaselineState | undefined {
  if (!run.baseline) return undefined;
  return run.baseline.unchanged.has(baselineKey(run, f)) ? 'unchanged' : 'new';
}

export function findingStatus(run: RunResult, f: Finding): FindingStatus {
  if (f.suppression?.kind === 'inSource') return 'suppressed';
  if (f.suppression?.kind === 'external' || baselineState(run, f) === 'unchanged') return 'baselined';
  return 'active';
}

/** Whether a finding makes the run fail: active (not suppressed, not baselined) and at or above `failOn`. */
export function isFailing(run: RunResult, f: Finding): boolean {
  if (run.failOn === 'none' || findingStatus(run, f) !== 'active') return false;
  return severityRank(f.severity) >= severityRank(run.failOn);
}

export interface Summary {
  /** Active findings (neither suppressed nor baselined). */
  readonly active: number;
  readonly failing: number;
  readonly suppressed: number;
  readonly baselined: number;
  /** Baseline entries no longer found. */
  readonly fixed: number;
  readonly bySeverity: Readonly<Record<Severity, number>>;
  /** Active findings per rule id, most first. */
  readonly byRule: readonly { readonly ruleId: string; readonly count: number }[];
  /** Active findings per file (display path), most first. */
  readonly byFile: readonly { readonly file: string; readonly count: number }[];
}

export function summarize(run: RunResult): Summary {
  const bySeverity: Record<Severity, number> = { error: 0, warning: 0, note: 0 };
  const byRule = new Map<string, number>();
  const byFile = new Map<string, number>();
  let active = 0;
  let failing = 0;
  let suppressed = 0;
  let baselined = 0;
  for (const f of run.findings) {
    const status = findingStatus(run, f);
    if (status === 'suppressed') suppressed++;
    else if (status === 'baselined') baselined++;
    else {
      active++;
      bySeverity[f.severity]++;
      byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
      const file = displayPath(run, f.file);
      byFile.set(file, (byFile.get(file) ?? 0) + 1);
      if (isFailing(run, f)) failing++;
    }
  }
  const ranked = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return {
    active,
    failing,
    suppressed,
    baselined,
    fixed: run.baseline?.fixed.length ?? 0,
    bySeverity,
    byRule: ranked(byRule).map(([ruleId, count]) => ({ ruleId, count })),
    byFile: ranked(byFile).map(([file, count]) => ({ file, count })),
  };
}

/** Most severe first, then by file and position: the order reviewers read in. */
export function bySeverityThenLocation(a: Finding, b: Finding): number {
  return severityRank(b.severity) - severityRank(a.severity) || compareLocation(a, b);
}

export function compareLocation(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);
}

export { SEVERITIES };

/** Reads sources from disk (relative paths against the working directory), caching the files with findings. */
export function diskSources(run: RunResult): ReportContext {
  const cache = new Map<string, string | undefined>();
  return {
    readSource(file) {
      if (!cache.has(file)) {
        let text: string | undefined;
        try {
          text = readFileSync(absolutePath(run, file), 'utf8');
        } catch {
          text = undefined;
        }
        cache.set(file, text);
      }
      return cache.get(file);
    },
  };
}

const sourceCache = new WeakMap<object, Map<string, SourceText | undefined>>();

/** The source of a file as `SourceText`, cached per context. */
export function sourceOf(ctx: ReportContext, file: string): SourceText | undefined {
  let perCtx = sourceCache.get(ctx);
  if (!perCtx) sourceCache.set(ctx, (perCtx = new Map()));
  if (!perCtx.has(file)) {
    const text = ctx.readSource(file);
    perCtx.set(file, text === undefined ? undefined : new SourceText(text));
  }
  return perCtx.get(file);
}

export interface ExcerptLine {
  /** 1-based. */
  readonly line: number;
  readonly text: string;
  /** Whether the finding's range covers this line. */
  readonly marked: boolean;
}

/** Lines of a finding with `context` lines either side; each line cut at `maxWidth` characters. */
export function excerpt(ctx: ReportContext, f: Pick<Finding, 'file' | 'range'>, context = 2, maxWidth = 240): ExcerptLine[] {
  const src = sourceOf(ctx, f.file);
  if (!src) return [];
  const first = Math.max(0, f.range.start.line - context);
  const last = Math.min(src.lineCount - 1, f.range.end.line + context);
  const out: ExcerptLine[] = [];
  for (let l = first; l <= last; l++) {
    const text = src.lineText(l);
    out.push({ line: l + 1, text: text.length > maxWidth ? text.slice(0, maxWidth) + '…' : text, marked: l >= f.range.start.line && l <= f.range.end.line });
  }
  return out;
}

/** The exact flagged text, cut to `max` characters. */
export function flaggedText(ctx: ReportContext, f: Finding, max = 400): string | undefined {
  const src = sourceOf(ctx, f.file);
  if (!src) return undefined;
  const text = src.text.slice(f.startOffset, f.endOffset);
  return text.length > max ? text.slice(0, max) + '…' : text;
}

/** Rule lookup by id. */
export function ruleIndex(run: RunResult): Map<string, number> {
  return new Map(run.rules.map((r, i) => [r.meta.id, i]));
}

export function ruleHelpUri(run: RunResult, rule: { id: string; name: string }): string | undefined {
  return run.tool.rulesHelpBase ? `${run.tool.rulesHelpBase}${rule.id}-${rule.name}.md` : undefined;
}
