/**
 * GitLab Code Quality: a JSON array of issues (`description`, `check_name`, `fingerprint`, `severity`,
 * `location.path`, `location.lines`) for `artifacts:reports:codequality`. Only active findings: GitLab has no notion
 * of a waived issue, and an issue it shows is one to fix. Files that were not analysed, and rules that failed on a
 * file, are `info` issues of their own, so that a merge request shows what the report does not cover.
 */
import { createHash } from 'node:crypto';
import type { Severity } from '../engine/rule';
import { baselineKey, compareLocation, displayPath, findingStatus } from './common';
import type { ReportWriter } from './run';

export type CodeQualitySeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

/**
 * A kslint warning is a memory-safety or crash risk in kernel mode, not a matter of style, hence `major`; an error
 * is `critical`. `blocker` is left to the pipeline: `--fail-on` decides what blocks a merge.
 */
export const GITLAB_SEVERITY: Readonly<Record<Severity, CodeQualitySeverity>> = { note: 'info', warning: 'major', error: 'critical' };

export const NOT_ANALYSED_CHECK = 'kslint-not-analysed';
export const RULE_FAILED_CHECK = 'kslint-rule-failed';

interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: CodeQualitySeverity;
  location: { path: string; lines: { begin: number; end?: number } };
}

/**
 * GitLab matches issues across pipelines by fingerprint (new, resolved) and shows issues that share one as one. The
 * identity is the baseline's (file and line-independent finding fingerprint), and equal identities are numbered in
 * order, as the engine numbers identical candidates in a file: unique in the report and stable between runs.
 */
function fingerprints(keys: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return keys.map((key) => {
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return createHash('sha256').update(`${key}|${n}`).digest('hex').slice(0, 32);
  });
}

export const writeGitlab: ReportWriter = (run) => {
  const issues: Omit<CodeQualityIssue, 'fingerprint'>[] = [];
  const keys: string[] = [];
  const active = run.findings.filter((f) => findingStatus(run, f) === 'active').sort(compareLocation);
  for (const f of active) {
    const begin = f.range.start.line + 1;
    const end = f.range.end.line + 1;
    issues.push({
      description: f.message,
      check_name: `${f.ruleId}-${f.ruleName}`,
      severity: GITLAB_SEVERITY[f.severity],
      location: { path: displayPath(run, f.file), lines: end > begin ? { begin, end } : { begin } },
    });
    keys.push(baselineKey(run, f));
  }
  for (const s of run.skipped) {
    const path = displayPath(run, s.file);
    issues.push({ description: `Not analysed by ${run.tool.name}: ${s.reason}`, check_name: NOT_ANALYSED_CHECK, severity: 'info', location: { path, lines: { begin: 1 } } });
    keys.push(`${NOT_ANALYSED_CHECK}\n${path}`);
  }
  for (const e of run.toolErrors) {
    const path = displayPath(run, e.file);
    const what = e.ruleId ? `Rule ${e.ruleId}` : 'The analysis';
    issues.push({ description: `${what} failed on this file, whose findings may be incomplete: ${e.message}`, check_name: RULE_FAILED_CHECK, severity: 'info', location: { path, lines: { begin: 1 } } });
    keys.push(`${RULE_FAILED_CHECK}\n${path}\n${e.ruleId ?? ''}`);
  }
  const prints = fingerprints(keys);
  const out: CodeQualityIssue[] = issues.map((issue, i) => ({ description: issue.description, check_name: issue.check_name, fingerprint: prints[i], severity: issue.severity, location: issue.location }));
  return JSON.stringify(out, null, 2) + '\n';
};
