/** SARIF output: accepted by the independent validator, with the structure code-scanning services rely on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskSources, FORMATS } from '../../server/src/report/index';
import { FINGERPRINT_KEY } from '../../server/src/report/sarif';
import { goldenScenario } from './run-helpers';
import { emptyRun, hostileScenario, HOSTILE_NAME } from './scenarios';
import { validateSarif } from './sarif-validator';

test('the SARIF validator accepts every scenario without errors or warnings, and rejects a broken log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-sarif-'));
  const golden = await goldenScenario();
  const { run: hostile, root } = await hostileScenario();
  try {
    const files: string[] = [];
    for (const [name, run] of [['golden', golden], ['hostile', hostile], ['empty', emptyRun(golden)]] as const) {
      files.push(join(dir, `${name}.sarif`));
      writeFileSync(files[files.length - 1], FORMATS.sarif(run, diskSources(run)));
    }
    // A negative control: the same log with an out-of-range rule index and a zero line must be rejected.
    const broken = JSON.parse(readFileSync(files[0], 'utf8'));
    broken.runs[0].results[0].ruleIndex = 99;
    broken.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    files.push(join(dir, 'broken.sarif'));
    writeFileSync(files[3], JSON.stringify(broken));
    const found = validateSarif(files);
    const about = (name: string) => found.filter((f) => f.file.endsWith(`/${name}.sarif`)).map((f) => `${f.level} ${f.ruleId}: ${f.text}`);
    for (const name of ['golden', 'hostile', 'empty']) assert.deepEqual(about(name), [], `validator on ${name}.sarif`);
    assert.ok(about('broken').filter((s) => s.startsWith('error')).length >= 2, 'the validator reports the broken log');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  }
});

test('results carry rule index, 1-based regions, fingerprints, suppressions and baseline state', async () => {
  const run = await goldenScenario();
  const log = JSON.parse(FORMATS.sarif(run, diskSources(run)));
  const sarifRun = log.runs[0];
  const rules = sarifRun.tool.driver.rules;
  assert.deepEqual(rules.map((r: { id: string }) => r.id), run.rules.map((r) => r.meta.id));
  const ks1301 = rules.find((r: { id: string }) => r.id === 'KS1301');
  assert.ok(ks1301.properties.tags.includes('external/cwe/cwe-120'));
  assert.equal(ks1301.properties['security-severity'], '7.5');
  assert.equal(ks1301.defaultConfiguration.level, 'warning');
  assert.match(ks1301.help.markdown, /## Safer in-kernel fix/);
  assert.match(ks1301.help.text, /User-mode alternative:/);
  const results = sarifRun.results;
  for (const r of results) assert.equal(rules[r.ruleIndex].id, r.ruleId);
  const strcpy = results.find((r: { message: { text: string } }) => r.message.text.startsWith("'strcpy'"));
  assert.deepEqual(strcpy.locations[0].physicalLocation.region, { startLine: 8, startColumn: 5, endLine: 8, endColumn: 11, snippet: { text: 'strcpy' } });
  assert.equal(strcpy.locations[0].physicalLocation.artifactLocation.uri, 'src/names.c');
  assert.equal(strcpy.locations[0].physicalLocation.artifactLocation.uriBaseId, '%SRCROOT%');
  assert.equal(strcpy.baselineState, 'new');
  assert.equal(strcpy.suppressions, undefined);
  assert.match(strcpy.partialFingerprints[FINGERPRINT_KEY], /^[0-9a-f]{32}$/);
  const waived = results.find((r: { message: { text: string } }) => r.message.text.startsWith("'strcat'"));
  assert.deepEqual(waived.suppressions.map((s: { kind: string }) => s.kind), ['inSource']);
  assert.match(waived.suppressions[0].justification, /fixed 64-byte/);
  const baselined = results.filter((r: { baselineState: string }) => r.baselineState === 'unchanged');
  assert.deepEqual(baselined.map((r: { ruleId: string }) => r.ruleId), ['KS1101', 'KS1101']);
  for (const r of baselined) assert.equal(r.suppressions[0].kind, 'external');
  const absent = results.filter((r: { baselineState: string }) => r.baselineState === 'absent');
  assert.equal(absent.length, 1);
  assert.equal(absent[0].kind, 'pass');
  const inv = sarifRun.invocations[0];
  assert.equal(inv.executionSuccessful, true);
  assert.equal(inv.toolExecutionNotifications[0].locations[0].physicalLocation.artifactLocation.uri, 'src/huge-table.c');
  assert.ok(sarifRun.originalUriBaseIds['%SRCROOT%'].uri.startsWith('file:///'));
  assert.ok(sarifRun.originalUriBaseIds['%SRCROOT%'].uri.endsWith('/'));
});

test('paths become code flows, fixes become replacements, odd file names become encoded relative URIs', async () => {
  const { run, root } = await hostileScenario();
  try {
    const log = JSON.parse(FORMATS.sarif(run, diskSources(run)));
    const results = log.runs[0].results;
    const uris = results.map((r: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }) => r.locations[0].physicalLocation.artifactLocation.uri);
    assert.ok(uris.includes('src/' + encodeURIComponent(HOSTILE_NAME)), uris.join(', '));
    assert.ok(uris.includes('src/contenu%20%C3%A9t%C3%A9.c'), uris.join(', '));
    const flow = results.find((r: { codeFlows?: unknown }) => r.codeFlows);
    const steps = flow.codeFlows[0].threadFlows[0].locations;
    assert.deepEqual(steps.map((s: { location: { message: { text: string } } }) => s.location.message.text), ['count read from the content buffer', 'count formatted into a 16-byte buffer']);
    assert.equal(steps[0].location.physicalLocation.region.startLine, 5);
    const replacement = flow.fixes[0].artifactChanges[0].replacements[0];
    assert.deepEqual(replacement.deletedRegion, { startLine: 6, startColumn: 5, endLine: 6, endColumn: 12 });
    assert.equal(replacement.insertedContent.text, 'RtlStringCbPrintfA');
    const notes = log.runs[0].invocations[0].toolExecutionNotifications;
    assert.deepEqual(notes.map((n: { level: string }) => n.level), ['warning', 'error']);
    assert.equal(notes[1].associatedRule.id, 'KS1301');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
