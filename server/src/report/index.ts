/**
 * The report format registry. The CLI and the editor's export command look writers up here by name:
 * `FORMATS[name](run, ctx)` returns the whole report as a string.
 */
import { writeGithub } from './github';
import { writeGitlab } from './gitlab';
import { writeHtml } from './html';
import { writeJson } from './json';
import { writeJunit } from './junit';
import { writeMarkdown } from './markdown';
import { writeSarif } from './sarif';
import type { ReportWriter } from './run';

export type { RunResult, ReportContext, ReportWriter, RuleInfo, SkippedFile, ToolError, Invocation, FailOn, BaselineComparison, BaselineEntry, BaselineState, RunStats, ChangedSinceInfo } from './run';
export { diskSources, summarize, isFailing, findingStatus, baselineState } from './common';
export type { Summary, FindingStatus } from './common';

export type FormatName = 'json' | 'sarif' | 'html' | 'markdown' | 'junit' | 'github' | 'gitlab';

export const FORMATS: Readonly<Record<FormatName, ReportWriter>> = {
  json: writeJson,
  sarif: writeSarif,
  html: writeHtml,
  markdown: writeMarkdown,
  junit: writeJunit,
  github: writeGithub,
  gitlab: writeGitlab,
};

/** File extensions conventionally used for each format (for default output names and the editor's save dialog). */
export const FORMAT_EXTENSIONS: Readonly<Record<FormatName, string>> = {
  json: 'json',
  sarif: 'sarif',
  html: 'html',
  markdown: 'md',
  junit: 'xml',
  // Workflow commands belong on standard output; a file of them is plain text for a later step to print.
  github: 'txt',
  gitlab: 'json',
};

export function isFormatName(name: string): name is FormatName {
  return Object.prototype.hasOwnProperty.call(FORMATS, name);
}

export { assembleRun } from './assemble';
export type { AssembleInput } from './assemble';
export { applyBaseline, readBaselineFile, writeBaselineFile, BaselineError } from './baseline';
export { changedLinesSince, filterToChangedLines, ChangedLinesError } from './changed-lines';
