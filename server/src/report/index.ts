/**
 * The report format registry. The CLI and the editor's export command look writers up here by name:
 * `FORMATS[name](run, ctx)` returns the whole report as a string.
 */
import { writeJson } from './json';
import { writeSarif } from './sarif';
import type { ReportWriter } from './run';

export type { RunResult, ReportContext, ReportWriter, RuleInfo, SkippedFile, ToolError, Invocation, FailOn, BaselineComparison, BaselineEntry, BaselineState, RunStats, ChangedSinceInfo } from './run';
export { diskSources, summarize, isFailing, findingStatus, baselineState } from './common';
export type { Summary, FindingStatus } from './common';

export type FormatName = 'json' | 'sarif';

export const FORMATS: Readonly<Record<FormatName, ReportWriter>> = {
  json: writeJson,
  sarif: writeSarif,
};

/** File extensions conventionally used for each format (for default output names and the editor's save dialog). */
export const FORMAT_EXTENSIONS: Readonly<Record<FormatName, string>> = {
  json: 'json',
  sarif: 'sarif',
};

export function isFormatName(name: string): name is FormatName {
  return Object.prototype.hasOwnProperty.call(FORMATS, name);
}
