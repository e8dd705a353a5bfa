/** The JSON report validates against its published schema, and the schema really constrains it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { diskSources, FORMATS } from '../../server/src/report/index';
import { JSON_SCHEMA_VERSION } from '../../server/src/report/json';
import { REPO, goldenScenario } from './run-helpers';
import { emptyRun, hostileScenario } from './scenarios';

const schema = JSON.parse(readFileSync(join(REPO, 'schemas', 'kslint-report.schema.json'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function errors(report: unknown): string {
  return validate(report) ? '' : JSON.stringify(validate.errors, null, 1);
}

test('JSON reports of every scenario validate against schemas/kslint-report.schema.json', async () => {
  const golden = await goldenScenario();
  const { run: hostile, root } = await hostileScenario();
  try {
    for (const run of [golden, hostile, emptyRun(golden)]) {
      const report = JSON.parse(FORMATS.json(run, diskSources(run)));
      assert.equal(errors(report), '');
      assert.equal(report.schemaVersion, JSON_SCHEMA_VERSION);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the schema rejects reports with wrong or missing fields', async () => {
  const run = await goldenScenario();
  const good = JSON.parse(FORMATS.json(run, diskSources(run)));
  // Each case sets one value (undefined deletes it) at a path in a copy of a valid report.
  const broken: [(string | number)[], unknown][] = [
    [['findings'], undefined],
    [['findings', 0, 'location', 'startLine'], 0],
    [['findings', 0, 'status'], 'ignored'],
    [['findings', 0, 'extra'], true],
    [['schemaVersion'], '2.0.0'],
    [['invocation', 'startTime'], 'yesterday'],
  ];
  for (const [path, value] of broken) {
    const copy = structuredClone(good);
    let target = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
    const last = path[path.length - 1];
    if (value === undefined) delete target[last];
    else target[last] = value;
    assert.notEqual(errors(copy), '', `schema accepted ${path.join('.')} = ${String(value)}`);
  }
});

test('summary counts agree with the findings', async () => {
  const run = await goldenScenario();
  const report = JSON.parse(FORMATS.json(run, diskSources(run)));
  const by = (status: string) => report.findings.filter((f: { status: string }) => f.status === status).length;
  assert.equal(report.summary.active, by('active'));
  assert.equal(report.summary.suppressed, by('suppressed'));
  assert.equal(report.summary.baselined, by('baselined'));
  assert.deepEqual([report.summary.active, report.summary.suppressed, report.summary.baselined, report.summary.fixed], [2, 1, 2, 1]);
  assert.equal(report.summary.failing, report.findings.filter((f: { failing: boolean }) => f.failing).length);
});
