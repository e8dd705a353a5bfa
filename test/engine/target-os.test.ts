/** The `minimumTargetOs` rule option: names and build numbers; anything else means "not set". */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetBuild, WINDOWS_BUILDS } from '../../server/src/engine/target-os';

test('targetBuild reads names and build numbers and ignores anything else', () => {
  assert.equal(targetBuild('win10-2004'), 19041);
  assert.equal(targetBuild('win8'), WINDOWS_BUILDS.win8);
  assert.equal(targetBuild(22621), 22621);
  for (const bad of [undefined, null, '', 'windows', 'toString', '__proto__', -1, Number.NaN, {}, ['win10']]) assert.equal(targetBuild(bad), undefined, String(bad));
  assert.ok(WINDOWS_BUILDS.win7 < WINDOWS_BUILDS.win8 && WINDOWS_BUILDS.win10 < WINDOWS_BUILDS['win10-2004']);
});
