/** Markdown (escaping, size limit) and JUnit XML (well-formed, escaped, counts agree with the findings). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Finding } from '../../server/src/engine/rule';
import { diskSources, FORMATS, RunResult, summarize } from '../../server/src/report/index';
import { GROUP_LOCATIONS, MARKDOWN_LIMIT } from '../../server/src/report/markdown';
import { goldenScenario } from './run-helpers';
import { emptyRun, hostileScenario, HOSTILE_NAME } from './scenarios';

/** `n` distinct findings cloned from the run's first one, with long messages. */
function many(run: RunResult, n: number): RunResult {
  const base = run.findings[0];
  const findings: Finding[] = [];
  for (let i = 0; i < n; i++) {
    findings.push({ ...base, suppression: undefined, fingerprint: `${i}`.padStart(32, '0'), message: `Finding ${i}: ${'x'.repeat(120)}`, range: { start: { line: i, character: 0 }, end: { line: i, character: 4 } } });
  }
  return { ...run, findings, baseline: undefined };
}

test('Markdown escapes names, code and mentions, and stays under the comment limit saying how much it left out', async () => {
  const { run, root } = await hostileScenario();
  try {
    const evil = { ...run, findings: run.findings.map((f) => ({ ...f, message: `${f.message} @admins | <script>x</script> [link](https://x.invalid) **bold**` })) };
    const md = FORMATS.markdown(evil, diskSources(evil));
    assert.ok(!/<(img|script)/i.test(md), 'no raw HTML tag from the linted text');
    assert.ok(md.includes('&lt;img src=x onerror=globalThis.\\_\\_kslintPwned=1>.c'), md);
    assert.ok(!md.includes('@admins') && md.includes('&#64;admins'));
    assert.ok(md.includes('\\[link\\](https://x.invalid) \\*\\*bold\\*\\*'));
    for (const line of md.split('\n').filter((l) => l.startsWith('| warning'))) assert.equal(line.split(/(?<!\\)\|/).length, 6, `table row keeps 4 cells: ${line}`);

    const big = many(run, 3000);
    const out = FORMATS.markdown(big, diskSources(big));
    assert.ok(out.length <= MARKDOWN_LIMIT, `${out.length} characters`);
    const rows = out.split('\n').filter((l) => l.startsWith('| warning')).length;
    const omitted = Number(/… and (\d+) more findings not shown/.exec(out)?.[1]);
    assert.ok(rows > 100, `${rows} rows shown`);
    assert.equal(rows + omitted, 3000);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('Markdown gives findings that share severity, rule and message one row, with their first locations and a count', async () => {
  const run = await goldenScenario();
  const base: Finding = { ...run.findings[0], suppression: undefined, severity: 'warning', ruleId: 'KS1301' };
  const at = (i: number, extra: Partial<Finding>): Finding => ({ ...base, fingerprint: `${i}`.padStart(32, '0'), range: { start: { line: i, character: 2 }, end: { line: i, character: 6 } }, ...extra });
  const findings: Finding[] = [];
  // 500 of one deprecated call, a distinct warning between them, one with the same message under another rule, and
  // one with the same rule and message at another severity: four rows, in report order.
  for (let i = 0; i < 500; i++) findings.push(at(i, { message: 'Same call, same advice.' }));
  findings.push(at(250, { message: 'Another problem.' }));
  findings.push(at(600, { ruleId: 'KS1201', message: 'Same call, same advice.' }));
  findings.push(at(700, { severity: 'error', message: 'Same call, same advice.' }));
  const grouped: RunResult = { ...run, findings, baseline: undefined };
  const md = FORMATS.markdown(grouped, diskSources(grouped));
  const rows = md.split('\n').filter((l) => /^\| (error|warning)/.test(l));
  assert.equal(rows.length, 4, rows.join('\n'));
  assert.ok(rows[0].startsWith('| error ❌ |') && rows[0].includes(':701:3') && !rows[0].includes('more'), rows[0]);
  const big = rows.find((r) => r.includes(`… and ${500 - GROUP_LOCATIONS} more (500 in all)`));
  assert.ok(big, md);
  assert.equal(big.split('<br>').length, GROUP_LOCATIONS + 1, 'the first locations, then the count');
  assert.ok(big.includes(':1:3') && big.includes(`:${GROUP_LOCATIONS}:3`) && !big.includes(`:${GROUP_LOCATIONS + 1}:3`), 'the first locations in order');
  assert.ok(rows.indexOf(big) < rows.findIndex((r) => r.includes('Another problem')), 'a group stands at its first finding\'s place');
  assert.ok(rows.some((r) => r.includes('| KS1201 |') && r.includes(':601:3')));
  assert.ok(md.includes('share a row') && !md.includes('not shown'), 'every finding is accounted for');
  assert.equal(summarize(grouped).active, 503);
});

test('JUnit XML is well-formed for every scenario, escapes hostile text and counts failures at the fail-on level', async () => {
  const golden = await goldenScenario();
  const { run: hostile, root } = await hostileScenario();
  try {
    const controlChars = { ...hostile, findings: hostile.findings.map((f) => ({ ...f, message: `${f.message} \u0001\u001b[31m ]]> --` })) };
    const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' });
    for (const run of [golden, { ...golden, failOn: 'warning' as const }, controlChars, emptyRun(golden), many(golden, 500)]) {
      const xml = FORMATS.junit(run, diskSources(run));
      assert.equal(XMLValidator.validate(xml), true, xml.slice(0, 2000));
      const doc = parser.parse(xml);
      const cases = doc.testsuites.testsuite.flatMap((s: { testcase: unknown[] }) => s.testcase) as Record<string, unknown>[];
      assert.equal(Number(doc.testsuites['@_tests']), cases.length);
      assert.equal(Number(doc.testsuites['@_failures']), cases.filter((c) => c.failure !== undefined).length);
      assert.equal(Number(doc.testsuites['@_failures']), summarize(run).failing);
      assert.equal(Number(doc.testsuites['@_skipped']), summarize(run).suppressed + summarize(run).baselined);
      if (run === controlChars) {
        assert.ok(xml.includes(HOSTILE_NAME.replace(/</g, '&lt;').replace(/>/g, '&gt;')));
        assert.ok(!xml.includes('\u0001') && !xml.includes('\u001b'));
      }
    }
    const strict = FORMATS.junit({ ...golden, failOn: 'warning' }, diskSources(golden));
    assert.equal((strict.match(/<failure /g) ?? []).length, 2);
    assert.equal((FORMATS.junit(emptyRun(golden), diskSources(golden)).match(/<testcase /g) ?? []).length, 1, 'one passing case when nothing was found');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('every format lists the files that were not analysed, with the reason', async () => {
  const run = await goldenScenario();
  const withSkipped: RunResult = { ...run, skipped: [...run.skipped, { file: `${run.baseDir}/drv/firmware-blob.c`, reason: 'contains NUL bytes' }] };
  for (const [name, write] of Object.entries(FORMATS)) {
    const text = write(withSkipped, diskSources(withSkipped));
    assert.ok(text.includes('firmware-blob.c'), `${name} names the skipped file`);
    assert.ok(text.includes('contains NUL bytes'), `${name} gives the reason`);
  }
});
