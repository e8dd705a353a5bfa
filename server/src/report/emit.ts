/**
 * The report end of a run, shared by the CLI and the editor's export command: parse the requested formats and
 * outputs, record and apply a baseline, focus on changed lines, write every report (atomically), and tell the
 * exit status. Order matters: the baseline is written from and compared with the whole run, and only then is
 * the run narrowed to changed lines, so that findings on untouched lines never look "fixed".
 */
import { applyBaseline, readBaselineFile, writeBaselineFile, writeFileAtomic } from './baseline';
import { changedLinesSince, filterToChangedLines } from './changed-lines';
import { summarize } from './common';
import { FORMATS, FormatName, isFormatName } from './index';
import type { ReportContext, RunResult } from './run';

export interface ReportRequest {
  readonly format: FormatName | 'text';
  /** A file path; undefined or `-` writes to standard output. */
  readonly output?: string;
}

export class ReportOptionError extends Error {}

const KNOWN = (): string => ['text', ...Object.keys(FORMATS)].join(', ');

function formatName(name: string): FormatName | 'text' {
  const n = name.trim().toLowerCase();
  const alias: Record<string, FormatName> = { md: 'markdown', xml: 'junit', codequality: 'gitlab' };
  const resolved: string = alias[n] ?? n;
  if (resolved === 'text') return 'text';
  if (isFormatName(resolved)) return resolved;
  throw new ReportOptionError(`unknown report format "${name}" (known: ${KNOWN()})`);
}

/**
 * Pairs formats with outputs. Accepts both forms, also mixed:
 * `--format sarif --output a.sarif --format html --output b.html` (the n-th output belongs to the n-th format)
 * and `--format sarif=a.sarif,html=b.html`. At most one format may go to standard output.
 */
export function parseReportRequests(formats: readonly string[], outputs: readonly string[]): ReportRequest[] {
  const requests: { format: FormatName | 'text'; output?: string; paired: boolean }[] = [];
  for (const value of formats.length ? formats : ['text']) {
    for (const part of value.split(',').filter((p) => p.trim())) {
      const eq = part.indexOf('=');
      if (eq >= 0) requests.push({ format: formatName(part.slice(0, eq)), output: part.slice(eq + 1).trim() || undefined, paired: true });
      else requests.push({ format: formatName(part), paired: false });
    }
  }
  const open = requests.filter((r) => !r.paired);
  if (outputs.length > open.length) throw new ReportOptionError(`${outputs.length} --output values for ${open.length} --format values without an output`);
  outputs.forEach((o, i) => (open[i].output = o));
  const toStdout = requests.filter((r) => !r.output || r.output === '-');
  if (toStdout.length > 1) throw new ReportOptionError(`formats ${toStdout.map((r) => r.format).join(' and ')} would both go to standard output; give each an --output file`);
  const files = requests.filter((r) => r.output && r.output !== '-').map((r) => r.output as string);
  const dup = files.find((f, i) => files.indexOf(f) !== i);
  if (dup) throw new ReportOptionError(`two reports would be written to ${dup}`);
  return requests.map((r) => ({ format: r.format, output: r.output && r.output !== '-' ? r.output : undefined }));
}

export interface FocusOptions {
  /** Compare with this baseline (kslint baseline JSON or a previous SARIF log). */
  readonly baseline?: string;
  /** Record the whole run's findings here. */
  readonly writeBaseline?: string;
  /** Report only findings on lines changed since this git ref. */
  readonly changedSince?: string;
}

/** Applies the baseline options and `--changed-since` to a finished run. Errors name the file or ref. */
export async function focusRun(run: RunResult, opts: FocusOptions): Promise<RunResult> {
  if (opts.writeBaseline) writeBaselineFile(opts.writeBaseline, run);
  let out = run;
  if (opts.baseline) out = applyBaseline(out, readBaselineFile(opts.baseline), opts.baseline);
  if (opts.changedSince) out = filterToChangedLines(out, await changedLinesSince(opts.changedSince, run.invocation.workingDirectory));
  return out;
}

/**
 * Writes each requested report. `text` is rendered by the caller (the CLI owns the compiler-style output);
 * reports for standard output go through `stdout`.
 */
export function writeReports(run: RunResult, requests: readonly ReportRequest[], ctx: ReportContext, io: { stdout(text: string): void; text(run: RunResult): string }): void {
  for (const r of requests) {
    const text = r.format === 'text' ? io.text(run) : FORMATS[r.format](run, ctx);
    if (r.output) writeFileAtomic(r.output, text);
    else io.stdout(text);
  }
}

/** 1 when any finding that is neither suppressed nor baselined is at or above the fail-on level, else 0. */
export function findingsExitCode(run: RunResult): 0 | 1 {
  return summarize(run).failing > 0 ? 1 : 0;
}
