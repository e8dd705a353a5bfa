/** Findings of a rule's separate checks in reports: SARIF names the check, fingerprints and baselines ignore it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyBaseline } from '../../server/src/report/baseline';
import { diskSources, FORMATS, summarize } from '../../server/src/report/index';
import { RULES } from '../../rules/index.generated';
import { lintTree } from './run-helpers';

const POOL = [
  '#pragma warning(disable: 30030) // NX pool does not exist on Windows 7',
  "PVOID A(SIZE_T n) { return ExAllocatePoolWithTag(NonPagedPool, n, ' mdW'); }",
  'PVOID B(SIZE_T n) { return ExAllocatePoolZero(NonPagedPool, n, "Tag1"); }',
  'void C(char *d, const char *s) { strcpy(d, s); }',
].join('\n');

async function withTree<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kslint-subkinds-'));
  try {
    writeFileSync(join(dir, 'pool.c'), POOL);
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rules = RULES.filter((r) => r.meta.id === 'KS1201' || r.meta.id === 'KS1301');

test('SARIF keeps the rule id and carries the check in the result properties and the rule descriptor', async () => {
  await withTree(async (dir) => {
    const run = await lintTree(dir, { rules });
    const log = JSON.parse(FORMATS.sarif(run, diskSources(run)));
    const results = log.runs[0].results as { ruleId: string; properties?: { subKind: string }; suppressions?: unknown[] }[];
    assert.deepEqual(results.map((r) => `${r.ruleId} ${r.properties?.subKind ?? '-'}${r.suppressions ? ' suppressed' : ''}`), [
      'KS1201 deprecated-allocator',
      'KS1201 default-pool-tag',
      'KS1201 executable-pool suppressed',
      'KS1201 string-pool-tag',
      'KS1301 -',
    ]);
    const descriptor = log.runs[0].tool.driver.rules.find((r: { id: string }) => r.id === 'KS1201');
    assert.deepEqual(descriptor.properties.subKinds.find((k: { id: string }) => k.id === 'executable-pool').aliases, ['C30030', '30030', 'C30029', '30029']);
  });
});

test('fingerprints are those of the build before checks were told apart, so older baselines still match', async () => {
  await withTree(async (dir) => {
    const run = await lintTree(dir, { rules, failOn: 'note' });
    // As the build before sub-kinds computed them (it hid all four behind the 30030 pragma).
    const before = ['ae64ebbc923f001a077d434a81263620', '0b2b51d5410073f98081cadaab9e2654', 'ac21fc7cf9ec2f5e6dcd6c8e666dd12f', 'eb786c93683846e44fee2da187116936'];
    assert.deepEqual(run.findings.filter((f) => f.ruleId === 'KS1201').map((f) => f.fingerprint), before);
    // A baseline holding the three that are in view now (one made without the pragma) accepts exactly them.
    const entries = before.filter((_, i) => i !== 2).map((fingerprint) => ({ fingerprint, ruleId: 'KS1201', file: 'pool.c', line: 2, message: '' }));
    const s = summarize(applyBaseline(run, entries, 'old.json'));
    assert.deepEqual([s.active, s.baselined, s.fixed], [1, 3, 0], 'KS1301 is new; the KS1201 findings in view are baselined');
  });
});
