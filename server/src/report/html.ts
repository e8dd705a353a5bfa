/**
 * The HTML report: one self-contained file (inline style, script and SVG; no network) for reviewers.
 * Everything from the linted tree is escaped on the server side and set with `textContent` on the client side;
 * a Content-Security-Policy admits only this file's own script (by hash), as a second line of defence.
 */
import { createHash } from 'node:crypto';
import type { PathStep, Severity } from '../engine/rule';
import { baselineState, bySeverityThenLocation, displayPath, excerpt, findingStatus, isFailing, ruleHelpUri, summarize, Summary } from './common';
import { HTML_SCRIPT, HTML_STYLE } from './html-assets';
import type { ReportContext, ReportWriter, RunResult } from './run';

const COLORS: Record<Severity, string> = { error: '#b71c1c', warning: '#e65100', note: '#0d47a1' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON that is safe inside `<script>`: no `<`, `>`, `&` or line separators survive literally. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Joins the hard-wrapped lines of Markdown paragraphs so that the text reflows; keeps paragraphs and lists. */
function reflow(md: string): string {
  return md.replace(/([^\n])\n(?!\n|\s*[-*+] |\s*\d+\. |```)/g, '$1 ');
}

function reportData(run: RunResult, ctx: ReportContext) {
  const used = new Set(run.findings.map((f) => f.ruleId));
  const rules: Record<string, unknown> = {};
  for (const r of run.rules) {
    if (!used.has(r.meta.id)) continue;
    rules[r.meta.id] = { name: r.meta.name, summary: r.meta.summary, why: reflow(r.docs.why), saferFix: reflow(r.docs.saferFix), userModeAlternative: reflow(r.docs.userModeAlternative ?? ''), helpUri: ruleHelpUri(run, r.meta) ?? '' };
  }
  const step = (s: PathStep) => ({ file: displayPath(run, s.file), line: s.range.start.line + 1, column: s.range.start.character + 1, label: s.label });
  const findings = [...run.findings].sort(bySeverityThenLocation).map((f, index) => {
    const status = findingStatus(run, f);
    const state = baselineState(run, f);
    return {
      index,
      ruleId: f.ruleId,
      severity: f.severity,
      status,
      failing: isFailing(run, f),
      file: displayPath(run, f.file),
      line: f.range.start.line + 1,
      column: f.range.start.character + 1,
      message: f.message,
      functionName: f.functionName ?? '',
      baselineState: state ?? '',
      justification: f.suppression?.justification ?? (status === 'baselined' ? `Accepted in baseline ${run.baseline?.source ?? ''}`.trim() : ''),
      excerpt: excerpt(ctx, f, 2),
      path: f.path.map(step),
      // Only where there are some, so that other findings' data stays as it was.
      ...(f.related.length ? { related: f.related.map(step) } : {}),
    };
  });
  return { findings, rules };
}

function card(id: string, n: number, label: string, cls = ''): string {
  return `<div class="card ${cls}"><span class="n" id="count-${id}">${n}</span><span class="l">${escapeHtml(label)}</span></div>`;
}

/** Horizontal bars: active findings per severity, then per rule (top 10). */
function chart(summary: Summary): string {
  const rows: { label: string; n: number; color: string }[] = [
    ...(['error', 'warning', 'note'] as const).map((s) => ({ label: s, n: summary.bySeverity[s], color: COLORS[s] })),
    ...summary.byRule.slice(0, 10).map((r) => ({ label: r.ruleId, n: r.count, color: '#5f6368' })),
  ];
  const max = Math.max(1, ...rows.map((r) => r.n));
  const h = 22;
  const width = 420;
  const bars = rows
    .map((r, i) => {
      const y = i * h + (i >= 3 ? 10 : 0);
      const w = Math.round((r.n / max) * (width - 150));
      return `<text x="0" y="${y + 15}" font-size="12">${escapeHtml(r.label)}</text><rect x="90" y="${y + 4}" width="${w}" height="14" fill="${r.color}"></rect><text x="${96 + w}" y="${y + 15}" font-size="12">${r.n}</text>`;
    })
    .join('');
  const total = rows.length * h + 10;
  return `<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" role="img" aria-label="Active findings by severity and by rule">${bars}</svg>`;
}

function smallTable(id: string, head: string, rows: readonly { key: string; count: number }[]): string {
  const body = rows.length ? rows.map((r) => `<tr><td class="file">${escapeHtml(r.key)}</td><td class="num">${r.count}</td></tr>`).join('') : `<tr><td colspan="2" class="empty">none</td></tr>`;
  return `<table class="small" id="${id}"><thead><tr><th>${escapeHtml(head)}</th><th>Active</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** Every waiver an auditor must review: in-source suppressions and baselined findings, listed separately. */
function waivers(run: RunResult): string {
  const rows = (status: 'suppressed' | 'baselined') =>
    run.findings
      .filter((f) => findingStatus(run, f) === status)
      .map((f) => {
        const why = f.suppression?.justification ?? `Accepted in baseline ${run.baseline?.source ?? ''}`.trim();
        return `<tr><td>${escapeHtml(f.ruleId)}</td><td class="file">${escapeHtml(displayPath(run, f.file))}:${f.range.start.line + 1}</td><td>${escapeHtml(why)}</td><td>${escapeHtml(f.message)}</td></tr>`;
      });
  const table = (id: string, list: string[], emptyText: string) =>
    `<table id="${id}"><thead><tr><th>Rule</th><th>Location</th><th>Justification</th><th>Finding</th></tr></thead><tbody>${list.length ? list.join('') : `<tr><td colspan="4" class="empty">${emptyText}</td></tr>`}</tbody></table>`;
  const fixed = run.baseline?.fixed ?? [];
  const fixedRows = fixed.map((e) => `<tr><td>${escapeHtml(e.ruleId)}</td><td class="file">${escapeHtml(e.file)}:${e.line}</td><td>${escapeHtml(e.message)}</td></tr>`);
  return [
    `<h2 id="suppressions">Suppressed in the source (${rows('suppressed').length})</h2>`,
    table('suppressed-table', rows('suppressed'), 'No in-source suppressions.'),
    `<h2 id="baselined">Accepted by the baseline (${rows('baselined').length})</h2>`,
    run.baseline ? table('baselined-table', rows('baselined'), 'No baselined findings.') : '<p class="empty">No baseline was given.</p>',
    ...(run.baseline
      ? [`<h2 id="fixed">Fixed since the baseline (${fixed.length})</h2>`, `<table id="fixed-table"><thead><tr><th>Rule</th><th>Was at</th><th>Finding</th></tr></thead><tbody>${fixedRows.length ? fixedRows.join('') : '<tr><td colspan="3" class="empty">None.</td></tr>'}</tbody></table>`]
      : []),
  ].join('\n');
}

function skippedSection(run: RunResult): string {
  if (!run.skipped.length && !run.toolErrors.length) return '';
  const items = [
    ...run.skipped.map((s) => `<li><span class="file">${escapeHtml(displayPath(run, s.file))}</span>: not analysed (${escapeHtml(s.reason)})</li>`),
    ...run.toolErrors.map((e) => `<li><span class="file">${escapeHtml(displayPath(run, e.file))}</span>: ${escapeHtml(e.ruleId ? `rule ${e.ruleId} failed` : 'analysis failed')} (${escapeHtml(e.message)})</li>`),
  ];
  return `<h2 id="skipped">Not analysed or partly analysed (${items.length})</h2><ul id="skipped-list">${items.join('')}</ul>`;
}

export const writeHtml: ReportWriter = (run, ctx) => {
  const s = summarize(run);
  const inv = run.invocation;
  const script = HTML_SCRIPT;
  const hash = createHash('sha256').update(script).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${hash}'; img-src data:`;
  const failLabel = run.failOn === 'none' ? 'failing (fail-on none)' : `at or above ${run.failOn}: fail the run`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kernel Safety Lint report</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<header>
<h1>Kernel Safety Lint report</h1>
<div class="meta">${escapeHtml(run.tool.name)} ${escapeHtml(run.tool.version)} · ${escapeHtml(inv.startTime)} to ${escapeHtml(inv.endTime)} · <span id="command-line">${escapeHtml(inv.commandLine)}</span></div>
<div class="meta">Base folder: <span class="file">${escapeHtml(run.baseDir)}</span>${run.changedSince ? ` · only lines changed since ${escapeHtml(run.changedSince.ref)} (${run.changedSince.omitted} other findings omitted)` : ''}${inv.success ? '' : ' · <strong>the run did not complete successfully</strong>'}</div>
</header>
<main>
<h2>Summary</h2>
<div class="cards">
${card('active', s.active, 'active findings')}
${card('failing', s.failing, failLabel)}
${card('error', s.bySeverity.error, 'errors', 'error')}
${card('warning', s.bySeverity.warning, 'warnings', 'warning')}
${card('note', s.bySeverity.note, 'notes', 'note')}
${card('suppressed', s.suppressed, 'suppressed in source')}
${card('baselined', s.baselined, 'baselined')}
${run.baseline ? card('fixed', s.fixed, 'fixed since baseline') : ''}
${card('skipped', run.skipped.length, 'files not analysed')}
</div>
<div class="split">
<div><h2>By severity and rule</h2>${chart(s)}</div>
<div><h2>By rule</h2>${smallTable('by-rule', 'Rule', s.byRule.map((r) => ({ key: r.ruleId, count: r.count })))}</div>
<div><h2>By file</h2>${smallTable('by-file', 'File', s.byFile.slice(0, 25).map((r) => ({ key: r.file, count: r.count })))}</div>
</div>
<h2 id="findings">Findings</h2>
<div class="filters">
<label>Severity <select id="filter-severity"><option value="">all</option><option value="error">error</option><option value="warning">warning</option><option value="note">note</option></select></label>
<label>Rule <select id="filter-rule"><option value="">all</option></select></label>
<label>Status <select id="filter-status"><option value="active">active</option><option value="">all</option><option value="suppressed">suppressed</option><option value="baselined">baselined</option></select></label>
<label>Search <input id="filter-text" type="search" placeholder="file, message, function"></label>
<span id="shown-count" class="status"></span>
</div>
<table id="findings-table"><thead><tr><th class="sortable" data-key="severity">Severity</th><th class="sortable" data-key="ruleId">Rule</th><th class="sortable" data-key="file">Location</th><th>Message</th><th></th></tr></thead><tbody id="findings-body"></tbody></table>
<p id="findings-empty" class="empty" hidden>No findings match the filters.</p>
<noscript><p>The findings table needs JavaScript; the summary and the waivers below are complete without it.</p></noscript>
${waivers(run)}
${skippedSection(run)}
</main>
<footer>Click a finding for its code, its source-to-sink path and the rule's explanation. Positions are 1-based.</footer>
<script type="application/json" id="kslint-data">${scriptJson(reportData(run, ctx))}</script>
<script>${script}</script>
</body>
</html>
`;
};
