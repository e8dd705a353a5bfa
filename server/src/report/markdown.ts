/**
 * Markdown for pull-request comments: a summary table and the top findings (those sharing a rule and a message in
 * one row), kept under the usual comment size limit (65,536 characters on common hosts) with a note of how many
 * findings were left out. Text from the
 * linted tree is escaped so that it cannot add emphasis, code, link syntax, HTML, table cells or mentions.
 */
import { bySeverityThenLocation, displayPath, findingStatus, isFailing, summarize } from './common';
import type { ReportWriter, RunResult } from './run';

export const MARKDOWN_LIMIT = 65_000;

/** Text for a table cell: inline Markdown, `|`, HTML and mentions are escaped; line breaks become spaces. */
export function mdText(s: string): string {
  return s
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_[\]|~]/g, (c) => '\\' + c)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/@/g, '&#64;');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

type ReportFinding = RunResult['findings'][number];

/** Locations listed in one row for findings that share a rule and a message; the rest are counted. */
export const GROUP_LOCATIONS = 3;

function location(run: RunResult, f: ReportFinding): string {
  const where = `${displayPath(run, f.file)}:${f.range.start.line + 1}:${f.range.start.character + 1}`;
  return `${mdText(where)}${f.functionName ? ` in ${mdText(f.functionName)}` : ''}`;
}

/**
 * One table row for findings with the same severity, rule and message (a deprecated call made all over a tree
 * reads the same each time): the first few locations, then how many more. A reviewer sees every distinct problem
 * in the comment instead of the first screens of one.
 */
function groupLine(run: RunResult, group: readonly ReportFinding[]): string {
  const f = group[0];
  const listed = group.slice(0, GROUP_LOCATIONS).map((g) => location(run, g));
  const more = group.length - listed.length;
  const where = more > 0 ? `${listed.join('<br>')}<br>… and ${more} more (${group.length} in all)` : listed.join('<br>');
  return `| ${f.severity}${isFailing(run, f) ? ' ❌' : ''} | ${f.ruleId} | ${where} | ${mdText(f.message)} |`;
}

/** Active findings in report order, those sharing severity, rule and message gathered at the first one's place. */
function groupsOf(run: RunResult, sorted: readonly ReportFinding[]): ReportFinding[][] {
  const groups = new Map<string, ReportFinding[]>();
  for (const f of sorted) {
    const key = `${f.severity}\u0000${isFailing(run, f)}\u0000${f.ruleId}\u0000${f.message}`;
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.values()];
}

export const writeMarkdown: ReportWriter = (run) => {
  const s = summarize(run);
  const head: string[] = [];
  const verdict = s.failing ? `❌ ${plural(s.failing, 'finding')} at or above \`${run.failOn}\` fail the run` : '✅ nothing fails the run';
  head.push(`## Kernel Safety Lint: ${plural(s.active, 'active finding')}`, '', verdict + (run.changedSince ? ` (only lines changed since ${mdText(run.changedSince.ref)}; ${plural(run.changedSince.omitted, 'finding')} on other lines not shown)` : ''), '');
  head.push('| | Count |', '|---|---:|');
  head.push(`| Errors | ${s.bySeverity.error} |`, `| Warnings | ${s.bySeverity.warning} |`, `| Notes | ${s.bySeverity.note} |`);
  head.push(`| Suppressed in source | ${s.suppressed} |`, `| Baselined | ${s.baselined} |`);
  if (run.baseline) head.push(`| Fixed since baseline | ${s.fixed} |`);
  if (run.skipped.length) head.push(`| Files not analysed | ${run.skipped.length} |`);
  if (s.byRule.length) {
    const names = new Map(run.rules.map((r) => [r.meta.id, r.meta.name]));
    head.push('', '| Rule | Active |', '|---|---:|', ...s.byRule.map((r) => `| ${r.ruleId} ${mdText(names.get(r.ruleId) ?? '')} | ${r.count} |`));
  }

  const active = run.findings.filter((f) => findingStatus(run, f) === 'active').sort(bySeverityThenLocation);
  const waived = run.findings.filter((f) => findingStatus(run, f) !== 'active');
  const tail = [`<sub>${mdText(`${run.tool.name} ${run.tool.version}`)}</sub>`];
  const parts: string[] = [...head];
  let size = parts.join('\n').length + tail.join('\n').length + 400;
  const take = (lines: readonly string[]) => {
    const add = lines.join('\n').length + 1;
    if (size + add > MARKDOWN_LIMIT) return false;
    parts.push(...lines);
    size += add;
    return true;
  };

  let shown = 0;
  if (active.length) {
    const groups = groupsOf(run, active);
    const intro = groups.length < active.length ? ['', 'Findings with the same rule and message share a row.'] : [];
    take(['', '### Top findings', ...intro, '', '| Severity | Rule | Location | Message |', '|---|---|---|---|']);
    for (const g of groups) {
      if (!take([groupLine(run, g)])) break;
      shown += g.length;
    }
  }
  const omitted = active.length - shown;
  if (omitted > 0) parts.push('', `… and ${plural(omitted, 'more finding')} not shown here (comment size limit); see the full report.`);
  // In-source suppressions and baselined findings are listed apart: each kind of waiver is audited on its own.
  for (const [status, title] of [['suppressed', 'suppressed in the source'], ['baselined', 'accepted by the baseline']] as const) {
    const list = waived.filter((f) => findingStatus(run, f) === status);
    if (!list.length) continue;
    if (!take(['', `<details><summary>${plural(list.length, 'finding')} ${title}</summary>`, '', '| Rule | Location | Justification |', '|---|---|---|'])) break;
    let listed = 0;
    for (const f of list) {
      const why = f.suppression?.justification ?? `accepted in baseline ${run.baseline?.source ?? ''}`;
      if (!take([`| ${f.ruleId} | ${mdText(`${displayPath(run, f.file)}:${f.range.start.line + 1}`)} | ${mdText(why)} |`])) break;
      listed++;
    }
    if (listed < list.length) parts.push('', `… and ${list.length - listed} more not shown.`);
    parts.push('', '</details>');
  }
  // Files that were not analysed, with the reason: a reviewer must know what the report does not cover.
  if (run.skipped.length && take(['', `<details><summary>${plural(run.skipped.length, 'file')} not analysed</summary>`, '', '| File | Reason |', '|---|---|'])) {
    let listed = 0;
    for (const k of run.skipped) {
      if (!take([`| ${mdText(displayPath(run, k.file))} | ${mdText(k.reason)} |`])) break;
      listed++;
    }
    if (listed < run.skipped.length) parts.push('', `… and ${run.skipped.length - listed} more not shown.`);
    parts.push('', '</details>');
  }
  parts.push('', ...tail);
  return parts.join('\n') + '\n';
};
