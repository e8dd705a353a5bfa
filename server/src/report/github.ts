/**
 * GitHub Actions workflow commands: one `::error|warning|notice file=…,line=…::message` line per active finding,
 * which the runner turns into annotations on the run and on the pull request's diff. Paths are relative to the base
 * folder, and GitHub resolves them from the workspace root, so run kslint there (or keep the config file there).
 * Files that were not analysed, and rules that failed on a file, are `::warning::` lines without a location: the
 * reader must know what the annotations do not cover. Nothing else is written: the summary goes to standard error.
 */
import type { Severity } from '../engine/rule';
import { bySeverityThenLocation, displayPath, findingStatus } from './common';
import type { ReportWriter } from './run';

const COMMANDS: Readonly<Record<Severity, string>> = { error: 'error', warning: 'warning', note: 'notice' };

/**
 * Message text, escaped as `@actions/core` does (`escapeData`): the runner reads a command only at the start of a
 * line, so a line break in a message could otherwise start a command of its own.
 */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values (`escapeProperty`): `,` and `:` also end a property, so a file name could add or cut one. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(name: string, props: Record<string, string | number | undefined>, message: string): string {
  const list = Object.entries(props)
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`);
  return `::${name}${list.length ? ' ' + list.join(',') : ''}::${escapeData(message)}`;
}

export const writeGithub: ReportWriter = (run) => {
  const lines: string[] = [];
  // Most severe first: GitHub shows only a limited number of annotations per step, and the rest only in the log.
  const active = run.findings.filter((f) => findingStatus(run, f) === 'active').sort(bySeverityThenLocation);
  for (const f of active) {
    const { start, end } = f.range;
    // GitHub accepts columns only when the annotation starts and ends on the same line.
    const oneLine = start.line === end.line;
    lines.push(
      command(
        COMMANDS[f.severity],
        {
          file: displayPath(run, f.file),
          line: start.line + 1,
          col: oneLine ? start.character + 1 : undefined,
          endLine: end.line + 1,
          endColumn: oneLine ? end.character + 1 : undefined,
          title: `${f.ruleId} ${f.ruleName}`,
        },
        f.message,
      ),
    );
  }
  for (const s of run.skipped) lines.push(command('warning', {}, `${run.tool.name} did not analyse ${displayPath(run, s.file)}: ${s.reason}`));
  for (const e of run.toolErrors) lines.push(command('warning', {}, `${run.tool.name}: ${e.ruleId ? `rule ${e.ruleId}` : 'the analysis'} failed on ${displayPath(run, e.file)}, whose findings may be incomplete: ${e.message}`));
  return lines.length ? lines.join('\n') + '\n' : '';
};
