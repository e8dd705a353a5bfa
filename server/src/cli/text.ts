/**
 * The text report, in the shape compilers use so editors and CI logs make locations clickable:
 * `path:line:col: severity KSnnnn message`, with the source-to-sink steps as indented `note:` lines. On a terminal
 * findings are grouped under a per-file heading and coloured; elsewhere the output is plain, one line each.
 */
import { createColors } from 'picocolors';
import type { Finding, Severity } from '../engine/rule';
import { displayPath, findingStatus, summarize } from '../report/common';
import type { RunResult } from '../report/run';

export interface TextOptions {
  readonly color: boolean;
  readonly grouped: boolean;
  /** Omit the summary line (it is printed elsewhere). */
  readonly noSummary?: boolean;
}

const plural = (n: number, word: string): string => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

/** "3 errors, 1 warning and 2 notes in 12 files (1 suppressed; 2 files skipped)". */
export function summaryLine(run: RunResult): string {
  const s = summarize(run);
  const parts = [plural(s.bySeverity.error, 'error'), plural(s.bySeverity.warning, 'warning'), plural(s.bySeverity.note, 'note')];
  const extra: string[] = [];
  if (s.suppressed) extra.push(`${s.suppressed.toLocaleString('en-US')} suppressed`);
  if (s.baselined) extra.push(`${s.baselined.toLocaleString('en-US')} in the baseline`);
  if (run.skipped.length) extra.push(`${plural(run.skipped.length, 'file')} skipped`);
  if (run.toolErrors.length) extra.push(plural(run.toolErrors.length, 'internal error'));
  const files = run.stats?.files ?? new Set(run.findings.map((f) => f.file)).size;
  const fail = s.failing ? `; ${s.failing.toLocaleString('en-US')} at or above --fail-on ${run.failOn}` : '';
  return `${parts[0]}, ${parts[1]} and ${parts[2]} in ${plural(files, 'file')}${extra.length ? ` (${extra.join('; ')})` : ''}${fail}`;
}

export function writeText(run: RunResult, options: TextOptions): string {
  const c = createColors(options.color);
  const sev: Record<Severity, (s: string) => string> = { error: (s) => c.bold(c.red(s)), warning: (s) => c.bold(c.yellow(s)), note: (s) => c.bold(c.cyan(s)) };
  const out: string[] = [];
  const shown = run.findings.filter((f) => findingStatus(run, f) === 'active');
  const loc = (file: string, line: number, col: number): string => `${displayPath(run, file)}:${line + 1}:${col + 1}`;
  const one = (f: Finding, indent: string): void => {
    out.push(`${indent}${c.bold(loc(f.file, f.range.start.line, f.range.start.character))}: ${sev[f.severity](f.severity)} ${c.dim(f.ruleId)} ${f.message}`);
    // A one-step path only repeats the finding's own place.
    const notes = f.path.length > 1 ? [...f.path, ...f.related] : f.related;
    for (const step of notes) out.push(`${indent}  ${c.dim(`${loc(step.file, step.range.start.line, step.range.start.character)}: note: ${step.label}`)}`);
  };
  if (options.grouped) {
    let current: string | undefined;
    for (const f of shown) {
      if (f.file !== current) {
        if (current !== undefined) out.push('');
        current = f.file;
        out.push(c.underline(displayPath(run, f.file)));
      }
      one(f, '  ');
    }
  } else for (const f of shown) one(f, '');
  if (run.skipped.length) {
    if (out.length && options.grouped) out.push('');
    for (const s of run.skipped) out.push(`${displayPath(run, s.file)}: ${c.magenta('skipped')}: ${s.reason}`);
  }
  for (const e of run.toolErrors) out.push(`${displayPath(run, e.file)}: ${c.red('internal error')}${e.ruleId ? ` in ${e.ruleId}` : ''}: ${e.message}`);
  if (!options.noSummary) {
    if (out.length && options.grouped) out.push('');
    out.push(c.bold(summaryLine(run)));
  }
  return out.length ? out.join('\n') + '\n' : '';
}
