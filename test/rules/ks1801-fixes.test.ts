/** KS1801 quick fixes: NX mapping flag (safe), Safe / SpecifyCache rewrites (unsafe), and the target OS. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import { applyFixes } from '../helpers-fixes';
import type { Finding } from '../../server/src/engine/rule';

const wrap = (body: string): string => `PVOID Map(PMDL mdl)\n{\n    return ${body};\n}\n`;

async function ks1801(text: string, minimumTargetOs?: unknown): Promise<Finding[]> {
  const options = minimumTargetOs === undefined ? {} : { minimumTargetOs };
  return (await lintText('map.c', text, { rules: { KS1801: { options } } })).findings.filter((f) => f.ruleId === 'KS1801');
}

test('adding MdlMappingNoExecute is a safe fix, and the result is clean', async () => {
  const text = wrap('MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoWrite)');
  const [f] = await ks1801(text);
  assert.equal(f.severity, 'note');
  assert.equal(f.fixes[0].safety, 'safe');
  const fixed = applyFixes(text, [f]);
  assert.equal(fixed, wrap('MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoWrite | MdlMappingNoExecute)'));
  assert.deepEqual(await ks1801(fixed), []);
});

test('MmGetSystemAddressForMdl and MmMapLockedPages get unsafe rewrites that need a NULL check', async () => {
  const old = wrap('MmGetSystemAddressForMdl(mdl)');
  const [f] = await ks1801(old);
  assert.equal(f.fixes[0].safety, 'unsafe');
  const fixed = applyFixes(old, [f]);
  assert.equal(fixed, wrap('MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute)'));
  assert.deepEqual(await ks1801(fixed), []);
  const map = wrap('MmMapLockedPages(mdl, KernelMode)');
  const [g] = await ks1801(map);
  assert.equal(applyFixes(map, [g]), wrap('MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority | MdlMappingNoExecute)'));
  const [u] = await ks1801(wrap('MmMapLockedPages(mdl, UserMode)'));
  assert.deepEqual(u.fixes, [], 'user-mode mappings need a __try, which a rewrite cannot add');
});

test('a target before Windows 8 gets no NX flag: no note, and rewrites without it', async () => {
  assert.deepEqual(await ks1801(wrap('MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)'), 'win7'), []);
  const old = wrap('MmGetSystemAddressForMdl(mdl)');
  const [f] = await ks1801(old, 'win7');
  assert.equal(applyFixes(old, [f]), wrap('MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)'));
  assert.equal((await ks1801(wrap('MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)'), 'win8')).length, 1);
});
