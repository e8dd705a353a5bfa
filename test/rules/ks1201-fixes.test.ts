/** KS1201 quick fixes: the ExAllocatePool2 / ExAllocatePoolZero rewrites and when each is safe. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import { applyFixes } from '../helpers-fixes';
import type { Finding } from '../../server/src/engine/rule';

const wrap = (call: string): string => `PVOID Alloc(SIZE_T n)\n{\n    return ${call};\n}\n`;

async function ks1201(text: string, minimumTargetOs?: unknown): Promise<Finding[]> {
  const options = minimumTargetOs === undefined ? {} : { minimumTargetOs };
  const r = await lintText('alloc.c', text, { rules: { KS1201: { options } } });
  return r.findings.filter((f) => f.ruleId === 'KS1201');
}

async function fixOf(call: string, target?: unknown): Promise<{ text: string; safety: string; title: string } | undefined> {
  const text = wrap(call);
  const f = (await ks1201(text, target)).find((x) => x.fixes.length > 0);
  return f && { text: applyFixes(text, [f]), safety: f.fixes[0].safety, title: f.fixes[0].title };
}

test('without a target OS the ExAllocatePool2 fix is offered as unsafe, and the result is clean', async () => {
  const fix = await fixOf("ExAllocatePoolWithTag(PagedPool, n, 'gaTx')");
  assert.ok(fix);
  assert.equal(fix.safety, 'unsafe');
  assert.match(fix.title, /Windows 10, version 2004/);
  assert.equal(fix.text, wrap("ExAllocatePool2(POOL_FLAG_PAGED, n, 'gaTx')"));
  assert.deepEqual(await ks1201(fix.text), []);
});

test('targeting Windows 10 2004 or later makes the fix safe, except for executable NonPagedPool', async () => {
  for (const target of ['win10-2004', 'win11', 22621]) {
    const nx = await fixOf("ExAllocatePoolWithTag(NonPagedPoolNx, n * 2, 'gaTx')", target);
    assert.deepEqual(nx && [nx.safety, nx.text], ['safe', wrap("ExAllocatePool2(POOL_FLAG_NON_PAGED, n * 2, 'gaTx')")]);
  }
  const exec = await fixOf("ExAllocatePoolWithTag(NonPagedPool, n, 'gaTx')", 'win10-2004');
  assert.deepEqual(exec && [exec.safety, exec.text], ['unsafe', wrap("ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'gaTx')")]);
  assert.match(exec!.title, /non-executable/);
});

test('quota allocations keep their failure behaviour', async () => {
  const quiet = await fixOf("ExAllocatePoolWithQuotaTag(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, n, 'atoQ')", 'win11');
  assert.equal(quiet?.text, wrap("ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, n, 'atoQ')"));
  const raising = await fixOf("ExAllocatePoolWithQuotaTag(NonPagedPoolNx, n, 'atoQ')", 'win11');
  assert.equal(raising?.text, wrap("ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_USE_QUOTA | POOL_FLAG_RAISE_ON_FAILURE, n, 'atoQ')"));
});

test('downlevel targets get the ExAllocatePoolZero wrappers, NX pool from Windows 8 on, as unsafe fixes', async () => {
  const win7 = await fixOf("ExAllocatePoolWithTag(NonPagedPool, n, 'gaTx')", 'win7');
  assert.deepEqual(win7 && [win7.safety, win7.text], ['unsafe', wrap("ExAllocatePoolZero(NonPagedPool, n, 'gaTx')")]);
  const win81 = await fixOf("ExAllocatePoolWithTag(NonPagedPool, n, 'gaTx')", 'win8.1');
  assert.equal(win81?.text, wrap("ExAllocatePoolZero(NonPagedPoolNx, n, 'gaTx')"));
  assert.match(win81!.title, /POOL_ZERO_DOWN_LEVEL_SUPPORT/);
  const quota = await fixOf("ExAllocatePoolWithQuotaTag(PagedPool, n, 'atoQ')", 'win10');
  assert.equal(quota?.text, wrap("ExAllocatePoolQuotaZero(PagedPool, n, 'atoQ')"));
  const f = await ks1201(wrap("ExAllocatePoolWithTag(PagedPool, n, 'gaTx')"), 'win10');
  assert.match(f[0].message, /ExAllocatePoolZero/);
});

test('no rewrite when the pool type or tag is not plain', async () => {
  for (const call of [
    "ExAllocatePoolWithTag(type, n, 'gaTx')",
    "ExAllocatePoolWithTag(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE, n, 'gaTx')",
    'ExAllocatePoolWithTag(PagedPool, n, "gaTx")',
    'ExAllocatePool(PagedPool, n)',
    "ExAllocatePoolWithTagPriority(PagedPool, n, 'gaTx', HighPoolPriority)",
  ]) {
    const f = await ks1201(wrap(call), 'win11');
    assert.ok(f.length > 0, call);
    assert.deepEqual(f.flatMap((x) => x.fixes), [], call);
  }
});

test('executable NonPagedPool in a current allocator can be switched to NonPagedPoolNx', async () => {
  const fix = await fixOf("ExAllocatePoolZero(NonPagedPool, n, 'oreZ')");
  assert.deepEqual(fix && [fix.safety, fix.text], ['unsafe', wrap("ExAllocatePoolZero(NonPagedPoolNx, n, 'oreZ')")]);
});

test('a redefined ExAllocatePool is still deprecated but does not use the default tag', async () => {
  const text = "#define ExAllocatePool(a, b) ExAllocatePoolWithTag(a, b, 'rvrD')\n" + wrap('ExAllocatePool(PagedPool, n)');
  const f = await ks1201(text);
  assert.equal(f.length, 2);
  assert.ok(f.every((x) => !/default tag/.test(x.message)));
});

test('NonPagedPool in a current allocator is a note, silenced by an opt-in in the file or the nxPoolOptIn option', async () => {
  const call = "ExAllocatePoolZero(NonPagedPool, n, 'oreZ')";
  const [f] = await ks1201(wrap(call));
  assert.equal(f.severity, 'note');
  assert.match(f.message, /may be executable/);
  const optedIn = 'VOID Init(VOID)\n{\n    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);\n}\n' + wrap(call);
  assert.deepEqual(await ks1201(optedIn), []);
  const r = await lintText('alloc.c', wrap(call), { rules: { KS1201: { options: { nxPoolOptIn: true } } } });
  assert.deepEqual(r.findings.filter((x) => x.ruleId === 'KS1201'), []);
});
