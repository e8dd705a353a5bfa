/**
 * What the editor's "Export Report" command runs: the `kslint` CLI in a child Node process with a fixed argument
 * vector (so the same configuration, discovery and results as CI), and how its exit status reads. Free of
 * editor APIs so that it is tested like the rest of the report code, and importing nothing else from the
 * project, so that the client bundle stays free of the analysis core.
 */
import { basename } from 'node:path';

export type ExportFormat = 'sarif' | 'html' | 'markdown';
export type ExportScope = 'workspace' | 'file';

export const EXPORT_FORMATS: readonly { readonly format: ExportFormat; readonly label: string; readonly detail: string }[] = [
  { format: 'html', label: 'HTML', detail: 'A self-contained page for reviewers: summary, chart, filterable findings, waivers' },
  { format: 'sarif', label: 'SARIF 2.1.0', detail: 'For code-scanning services and SARIF viewers' },
  { format: 'markdown', label: 'Markdown', detail: 'Summary and top findings for a pull-request comment' },
];

export interface ExportRequest {
  /** Absolute path of the CLI module, which exports `run(argv): Promise<exitCode>` (`dist/cli.js` when bundled). */
  readonly cliModule: string;
  readonly format: ExportFormat;
  readonly output: string;
  /** Files or folders to lint. */
  readonly targets: readonly string[];
  readonly configPath?: string;
}

/**
 * Runs the CLI module's `run` with the arguments that follow it, and exits with its code. Fixed text: the
 * module path and every argument arrive through `process.argv`, never inside the script.
 */
export const CLI_LAUNCHER =
  "const [m, ...a] = process.argv.slice(1); require(m).run(a).then((c) => { process.exitCode = c; }, (e) => { process.stderr.write(String((e && e.stack) || e) + '\\n'); process.exitCode = 2; });";

/** Arguments for `node`: the launcher, the CLI module, its options, then `--` so that no target is read as an option. */
export function exportArgs(req: ExportRequest): string[] {
  return ['-e', CLI_LAUNCHER, '--', req.cliModule, '--format', req.format, '--output', req.output, ...(req.configPath ? ['--config', req.configPath] : []), '--', ...req.targets];
}

const EXTENSIONS: Record<ExportFormat, string> = { sarif: 'sarif', html: 'html', markdown: 'md' };

export function defaultReportName(format: ExportFormat, scope: ExportScope, file?: string): string {
  const stem = scope === 'file' && file ? `${basename(file)}.kslint` : 'kslint-report';
  return `${stem}.${EXTENSIONS[format]}`;
}

export interface ExportOutcome {
  readonly ok: boolean;
  /** For the notification: what happened, or why it failed. */
  readonly message: string;
}

/** 0: no failing findings; 1: failing findings (the report is still written); anything else: an error. */
export function interpretExit(code: number | null, stderr: string, output: string): ExportOutcome {
  if (code === 0 || code === 1) return { ok: true, message: `Kernel Safety Lint report written to ${output}${code === 1 ? ' (it contains findings that fail the run)' : ''}.` };
  const reason = stderr.split(/\r?\n/).map((l) => l.trim()).find(Boolean) ?? (code === null ? 'the linter was stopped' : `exit code ${code}`);
  return { ok: false, message: `Kernel Safety Lint could not write the report: ${reason}` };
}
