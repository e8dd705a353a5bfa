/** Baseline round trip: write, shift lines, add and remove bugs; SARIF logs as baselines; bad baselines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyBaseline, BaselineError, parseBaseline, readBaselineFile, writeBaselineFile } from '../../server/src/report/baseline';
import { diskSources, FORMATS, summarize } from '../../server/src/report/index';
import { lintTree } from './run-helpers';

const DRIVER = [
  '#include <ntddk.h>',
  'VOID SaveName(CHAR *dst, const CHAR *src)',
  '{',
  '    strcpy(dst, src);',
  '}',
  'VOID Format(WCHAR *out, ULONG id)',
  '{',
  '    swprintf(out, L"dev%u", id);',
  '}',
  '',
].join('\n');

const SHIFT = ['/* Inserted header comment', '   spanning lines. */', 'static ULONG g_Count;', 'VOID Touch(VOID) { g_Count++; }', ''].join('\n');

test('baselined findings survive line shifts; new bugs are new; removed bugs are fixed', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-baseline-'));
  try {
    const file = join(dir, 'driver.c');
    writeFileSync(file, DRIVER);
    const first = await lintTree(dir, { failOn: 'warning' });
    assert.equal(first.findings.length, 2);
    const baselinePath = join(dir, 'kslint-baseline.json');
    writeBaselineFile(baselinePath, first);
    assert.deepEqual(readdirSync(dir).sort(), ['driver.c', 'kslint-baseline.json'], 'no temporary file is left behind');
    const entries = readBaselineFile(baselinePath);
    assert.deepEqual(entries.map((e) => [e.file, e.line, e.ruleId]), [['driver.c', 4, 'KS1301'], ['driver.c', 8, 'KS1301']]);

    writeFileSync(file, SHIFT + DRIVER);
    const shifted = applyBaseline(await lintTree(dir, { failOn: 'warning' }), entries, baselinePath);
    assert.deepEqual(shifted.findings.map((f) => f.range.start.line + 1), [8, 12], 'the findings moved down');
    assert.deepEqual(summarize(shifted), { ...summarize(shifted), active: 0, failing: 0, baselined: 2, fixed: 0 });

    writeFileSync(file, SHIFT + DRIVER + 'VOID Append(CHAR *b)\n{\n    strcat(b, "-x");\n}\n');
    const added = applyBaseline(await lintTree(dir, { failOn: 'warning' }), entries, baselinePath);
    const s = summarize(added);
    assert.deepEqual([s.active, s.failing, s.baselined, s.fixed], [1, 1, 2, 0]);
    const sarif = JSON.parse(FORMATS.sarif(added, diskSources(added)));
    const states = sarif.runs[0].results.map((r: { baselineState: string; message: { text: string } }) => `${r.baselineState} ${r.message.text.slice(0, 9)}`);
    assert.deepEqual(states, ["unchanged 'strcpy' ", "unchanged 'swprintf", "new 'strcat' "]);

    writeFileSync(file, SHIFT + DRIVER.replace('    strcpy(dst, src);\n', '    RtlStringCbCopyA(dst, 16, src);\n'));
    const removed = applyBaseline(await lintTree(dir, { failOn: 'warning' }), entries, baselinePath);
    assert.deepEqual([summarize(removed).active, summarize(removed).baselined, summarize(removed).fixed], [0, 1, 1]);
    assert.equal(removed.baseline?.fixed[0].line, 4);
    assert.match(FORMATS.markdown(removed, diskSources(removed)), /\| Fixed since baseline \| 1 \|/);

    // The previous run's SARIF log serves as a baseline just as well.
    const fromSarif = parseBaseline(FORMATS.sarif(first, diskSources(first)), 'previous.sarif');
    assert.deepEqual(fromSarif.map((e) => e.fingerprint).sort(), entries.map((e) => e.fingerprint).sort());
    const again = applyBaseline(await lintTree(dir, { failOn: 'warning' }), fromSarif, 'previous.sarif');
    assert.equal(summarize(again).fixed, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two identical bugs in one function are told apart; each baseline entry accepts one finding', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-baseline-'));
  try {
    const twice = 'VOID Twice(CHAR *a, CHAR *b, const CHAR *s)\n{\n    strcpy(a, s);\n    strcpy(a, s);\n}\n';
    writeFileSync(join(dir, 'twice.c'), twice);
    const entries = parseBaseline(JSON.stringify({ kind: 'kslint-baseline', version: 1, tool: { name: 'kslint', version: 'x' }, created: '', entries: [] }), 'empty.json');
    assert.deepEqual(entries, []);
    const run = await lintTree(dir, { failOn: 'warning' });
    assert.equal(new Set(run.findings.map((f) => f.fingerprint)).size, 2);
    const one = [{ fingerprint: run.findings[0].fingerprint, ruleId: 'KS1301', file: 'twice.c', line: 3, message: '' }];
    assert.deepEqual([summarize(applyBaseline(run, one, 'b.json')).active, summarize(applyBaseline(run, one, 'b.json')).baselined], [1, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unreadable or malformed baselines are reported with the file name, never crash', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-baseline-'));
  try {
    const bad = (text: string, pattern: RegExp) => {
      const p = join(dir, 'b.json');
      writeFileSync(p, text);
      assert.throws(() => readBaselineFile(p), (e: unknown) => e instanceof BaselineError && pattern.test(e.message) && e.message.includes(p));
    };
    bad('{ not json', /not valid JSON/);
    bad('{"kind":"kslint-baseline","version":7,"entries":[]}', /version 7 is not supported/);
    bad('{"kind":"kslint-baseline","version":1,"entries":[{"ruleId":"KS1301"}]}', /entry 0 lacks/);
    bad('[1,2,3]', /neither a kslint baseline nor a SARIF/);
    bad('{"__proto__":{"polluted":1},"kind":"x"}', /neither/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.throws(() => readBaselineFile(join(dir, 'missing.json')), /cannot read the baseline \(ENOENT\)/);
    writeFileSync(join(dir, 'file'), '');
    const emptyRun = { findings: [], tool: { name: 'kslint', version: 'x' }, invocation: { endTime: '' } } as unknown as Parameters<typeof writeBaselineFile>[1];
    assert.throws(() => writeBaselineFile(join(dir, 'file', 'b.json'), emptyRun), (e: unknown) => e instanceof BaselineError && /file\/b\.json: cannot write the baseline \(E/.test(e.message));
    writeBaselineFile(join(dir, 'new', 'deeper', 'b.json'), emptyRun);
    assert.equal(readBaselineFile(join(dir, 'new', 'deeper', 'b.json')).length, 0, 'missing folders are created');
    assert.equal(readFileSync(join(dir, 'b.json'), 'utf8').length > 0, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
