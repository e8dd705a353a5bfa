/**
 * JUnit XML for CI dashboards: one test suite per rule, one test case per finding. Findings at or above
 * `failOn` are failures; suppressed and baselined ones are skipped (with the justification); files that could
 * not be analysed and rule crashes are errors of a `kslint` suite. A run without findings has one passing case.
 */
import { displayPath, findingStatus, isFailing } from './common';
import type { ReportWriter, RunResult } from './run';

/** Escapes for XML text and attributes, dropping characters XML 1.0 cannot carry at all. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string);
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

function seconds(run: RunResult): string {
  const ms = Date.parse(run.invocation.endTime) - Date.parse(run.invocation.startTime);
  return Number.isFinite(ms) && ms >= 0 ? (ms / 1000).toFixed(3) : '0';
}

export const writeJunit: ReportWriter = (run) => {
  const byRule = new Map<string, RunResult['findings'][number][]>();
  for (const f of run.findings) {
    const list = byRule.get(f.ruleId);
    if (list) list.push(f);
    else byRule.set(f.ruleId, [f]);
  }
  const names = new Map(run.rules.map((r) => [r.meta.id, r.meta.name]));
  const suites: string[] = [];
  let total = 0;
  let failures = 0;
  let errors = 0;
  let skippedTotal = 0;
  for (const [ruleId, findings] of [...byRule].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const cases: string[] = [];
    let fails = 0;
    let skipped = 0;
    for (const f of findings) {
      const where = `${displayPath(run, f.file)}:${f.range.start.line + 1}:${f.range.start.character + 1}`;
      const head = `<testcase${attrs({ classname: `${run.tool.name}.${ruleId}`, name: `${where} ${f.functionName ? `(${f.functionName}) ` : ''}${ruleId}`, file: displayPath(run, f.file), line: f.range.start.line + 1, time: 0 })}>`;
      const status = findingStatus(run, f);
      const path = f.path.map((s, i) => `  ${i + 1}. ${displayPath(run, s.file)}:${s.range.start.line + 1}: ${s.label}`).join('\n');
      const body = `${where}: ${f.severity} ${ruleId}: ${f.message}${path ? `\nPath from source to sink:\n${path}` : ''}`;
      if (status !== 'active') {
        skipped++;
        const why = f.suppression?.justification ?? `accepted in baseline ${run.baseline?.source ?? ''}`.trim();
        cases.push(`${head}<skipped${attrs({ message: `${status}: ${why}` })}/></testcase>`);
      } else if (isFailing(run, f)) {
        fails++;
        cases.push(`${head}<failure${attrs({ message: f.message, type: f.severity })}>${xmlEscape(body)}</failure></testcase>`);
      } else {
        // Below the fail-on level: a passing case whose output still tells the reader what was found.
        cases.push(`${head}<system-out>${xmlEscape(body)}</system-out></testcase>`);
      }
    }
    total += findings.length;
    failures += fails;
    skippedTotal += skipped;
    suites.push(`  <testsuite${attrs({ name: `${ruleId} ${names.get(ruleId) ?? ''}`.trim(), tests: findings.length, failures: fails, errors: 0, skipped, time: 0 })}>\n    ${cases.join('\n    ')}\n  </testsuite>`);
  }
  const toolCases = [
    ...run.skipped.map((s) => `<testcase${attrs({ classname: `${run.tool.name}.files`, name: `analyse ${displayPath(run, s.file)}`, file: displayPath(run, s.file), time: 0 })}><error${attrs({ message: `not analysed: ${s.reason}`, type: 'skipped-file' })}/></testcase>`),
    ...run.toolErrors.map((e) => `<testcase${attrs({ classname: `${run.tool.name}.files`, name: `${e.ruleId ?? 'analysis'} on ${displayPath(run, e.file)}`, file: displayPath(run, e.file), time: 0 })}><error${attrs({ message: e.message, type: 'rule-error' })}/></testcase>`),
  ];
  if (!run.findings.length) toolCases.push(`<testcase${attrs({ classname: run.tool.name, name: 'no kernel-safety findings', time: 0 })}/>`);
  if (toolCases.length) {
    const errs = run.skipped.length + run.toolErrors.length;
    suites.push(`  <testsuite${attrs({ name: run.tool.name, tests: toolCases.length, failures: 0, errors: errs, skipped: 0, time: 0 })}>\n    ${toolCases.join('\n    ')}\n  </testsuite>`);
    total += toolCases.length;
    errors += errs;
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!-- ${xmlEscape(`${run.tool.name} ${run.tool.version}; fail-on ${run.failOn}`).replace(/--/g, '- -')} -->\n<testsuites${attrs({ name: run.tool.name, tests: total, failures, errors, skipped: skippedTotal, time: seconds(run), timestamp: run.invocation.startTime })}>\n${suites.join('\n')}\n</testsuites>\n`;
};
