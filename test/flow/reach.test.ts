/** Reachability without redefinition (flow/reach.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { valueReaches } from '../../server/src/engine/flow/reach';
import { analyse, find, flowOf } from './flow-helpers';

test('a value reaches later uses until every path redefines it', async () => {
  const { file, analysis } = await analyse(`
void f(PCTX c, int k) {
  PVOID p = Get();
  use(p);
  if (k) { p = Other(); }
  use2(p);
  c->q = Get();
  c = Next(c);
  use3(c->q);
  p = Get();
  p = Again();
  use4(p);
  ExFreePool(p), p = NULL;
  use5(p);
  while (k--) { use6(p); Step(&p); }
}`);
  const flow = flowOf(analysis, 'f');
  const get = (i: number) => find(file, 'Get()', i);
  assert.equal(valueReaches(flow, 'p', get(0), find(file, 'use(p)')), true);
  assert.equal(valueReaches(flow, 'p', get(0), find(file, 'use2(p)')), true, 'the else path keeps the value');
  assert.equal(valueReaches(flow, 'c.q', get(1), find(file, 'use3(c->q)')), false, 'redefining the base kills the field');
  assert.equal(valueReaches(flow, 'p', get(2), find(file, 'use4(p)')), false, 'overwritten on every path');
  assert.equal(valueReaches(flow, 'p', find(file, 'ExFreePool(p)'), find(file, 'use5(p)')), false, 'reset in the same statement');
  assert.equal(valueReaches(flow, 'p', find(file, 'Again()'), find(file, 'use6(p)')), false, 'reset before the loop');
  assert.equal(valueReaches(flow, 'p', find(file, 'use6(p)'), find(file, 'use6(p)')), false, 'an out-argument redefines p on the way round');
  assert.equal(valueReaches(flow, 'p', get(0), find(file, 'Get()', 0)), false, 'a point does not reach itself without a loop');
});
