/**
 * The data every report writer renders: one lint run, independent of how it was started (CLI, editor command).
 * Writers are pure functions of a `RunResult` plus a way to read source text for excerpts.
 */
import type { Finding, Rule, Severity } from '../engine/rule';

export type FailOn = Severity | 'none';

/** Rule metadata and docs as the generated rule index provides them (the check itself is not needed). */
export type RuleInfo = Pick<Rule, 'meta' | 'docs'>;

export interface SkippedFile {
  /** Path as given to the linter. */
  readonly file: string;
  /** Why it was not analysed, e.g. "larger than 8 MB" or "not UTF-8 or UTF-16 text". */
  readonly reason: string;
}

/** A rule that threw on a file; the run goes on, the report says so. */
export interface ToolError {
  readonly file: string;
  readonly ruleId?: string;
  readonly message: string;
}

export interface Invocation {
  /** The command line as typed (for display), e.g. `kslint --format sarif src`. */
  readonly commandLine: string;
  readonly arguments: readonly string[];
  /** ISO 8601 UTC times. */
  readonly startTime: string;
  readonly endTime: string;
  /** False when the run hit a usage, configuration or tool error (not when it merely found problems). */
  readonly success: boolean;
  readonly exitCode?: number;
  /** Absolute folder relative paths in findings are resolved against. */
  readonly workingDirectory: string;
}

/** Where a finding stands against a baseline, in SARIF's words. */
export type BaselineState = 'new' | 'unchanged';

/** A finding recorded in a baseline. Lines are 1-based and informative only: matching uses fingerprints. */
export interface BaselineEntry {
  readonly fingerprint: string;
  readonly ruleId: string;
  /** Path relative to the report's base folder, `/`-separated. */
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface BaselineComparison {
  /** The baseline file as given on the command line. */
  readonly source: string;
  /** `baselineKey`s of current findings that the baseline already had. */
  readonly unchanged: ReadonlySet<string>;
  /** Baseline entries no current finding matches: fixed (or moved beyond recognition). */
  readonly fixed: readonly BaselineEntry[];
}

export interface ChangedSinceInfo {
  readonly ref: string;
  /** Findings left out because they are not on a line changed since `ref`. */
  readonly omitted: number;
}

export interface RunStats {
  readonly files: number;
  readonly lines: number;
  readonly functions: number;
  readonly functionsAnalysed: number;
  readonly functionsSkipped: number;
}

export interface RunResult {
  readonly tool: {
    readonly name: string;
    readonly version: string;
    /** The project's home page, when the package names one. */
    readonly informationUri?: string;
    /** Base for rule doc links: `<base><id>-<name>.md`, when there is a published copy of the docs. */
    readonly rulesHelpBase?: string;
  };
  /** Every rule of the run (enabled or not), in index order. */
  readonly rules: readonly RuleInfo[];
  /** All findings, suppressed and baselined ones included (see `Finding.suppression`). */
  readonly findings: readonly Finding[];
  readonly skipped: readonly SkippedFile[];
  readonly toolErrors: readonly ToolError[];
  readonly invocation: Invocation;
  /** Absolute folder that report URIs are relative to (SARIF `%SRCROOT%`). */
  readonly baseDir: string;
  readonly failOn: FailOn;
  readonly baseline?: BaselineComparison;
  readonly changedSince?: ChangedSinceInfo;
  readonly stats?: RunStats;
}

/** What writers may ask of their environment. */
export interface ReportContext {
  /** The text of a finding's file (`Finding.file`), or undefined when it cannot be read. */
  readSource(file: string): string | undefined;
}

export type ReportWriter = (run: RunResult, ctx: ReportContext) => string;
