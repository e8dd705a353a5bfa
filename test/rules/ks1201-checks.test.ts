/** KS1201: the check each finding comes from, and notes for deprecated allocators in down-level fallbacks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintText } from '../helpers';

const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'KS1201');

test('each KS1201 finding names its check', async () => {
  const cases: [string, string[]][] = [
    ["ExAllocatePoolWithTag(PagedPool, n, ' kdD')", ['default-pool-tag', 'deprecated-allocator']],
    ['ExAllocatePool2(POOL_FLAG_PAGED, n, "Tag1")', ['string-pool-tag']],
    ["ExAllocatePoolZero(NonPagedPoolExecute, n, 'cexE')", ['executable-pool']],
    ["ExAllocatePoolUninitialized(PagedPool, n, 'tinU')", ['uninitialized-pool']],
  ];
  for (const [call, kinds] of cases) {
    const r = await lintText('a.c', `PVOID A(SIZE_T n) { return ${call}; }`);
    assert.deepEqual(r.findings.map((f) => f.subKind).sort(), kinds, call);
  }
  const optOut = await lintText('a.c', '#define POOL_NX_OPTOUT 1\n');
  assert.deepEqual(optOut.findings.map((f) => f.subKind), ['executable-pool']);
});

test('a deprecated allocator whose version test has ExAllocatePool2 in the other branch is a note without a fix', async () => {
  const text = readFileSync(join(fixtures, 'downlevel.c'), 'utf8');
  const r = await lintText('downlevel.c', text, { rules: { KS1201: { options: { minimumTargetOs: 'win10-2004' } } } });
  const marked = text.split('\n').flatMap((l, i) => (/expect: KS1201 \(note\)/.test(l) ? [i] : []));
  const found = r.findings.filter((f) => f.ruleId === 'KS1201');
  assert.deepEqual(found.filter((f) => f.severity === 'note').map((f) => f.range.start.line), marked);
  assert.ok(found.filter((f) => f.severity !== 'note').length >= 3);
  for (const f of found.filter((x) => x.severity === 'note')) {
    assert.match(f.message, /fallback of a version test whose other branch calls ExAllocatePool[23]/);
    assert.deepEqual(f.fixes, [], 'the ExAllocatePool2 rewrite would break the build the branch is for');
  }
});
