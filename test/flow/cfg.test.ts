/** CFG construction and dominators over real control structures. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, find, flowOf } from './flow-helpers';

const CONTROL = `
int f(int a, int b) {
  int r = 0;
  if (a > 0 && b > 0) { r = 1; } else { r = 2; }
  for (int i = 0; i < a; i++) { if (i == 3) continue; if (i == 5) break; r += i; }
  while (b--) { r++; }
  do { r--; } while (r > 10);
  switch (a) { case 1: r = 5; break; case 2: r = 6; default: r = 7; }
  if (r == 99) goto out;
  __try { r = 8; __leave; r = 9; } __except (EXCEPTION_EXECUTE_HANDLER) { r = 10; }
  __try { r = 11; } __finally { r = 12; }
  return r;
out:
  return -1;
}`;

test('every statement is reachable and joins are dominated by their branch point', async () => {
  const { file, analysis } = await analyse(CONTROL);
  const flow = flowOf(analysis, 'f');
  for (const text of ['r = 1', 'r = 2', 'r += i', 'r++', 'r--', 'r = 5', 'r = 7', 'r = 8', 'r = 10', 'r = 12', 'return -1;', 'return r;']) {
    assert.ok(flow.reachable(find(file, text)), `${text} reachable`);
  }
  assert.ok(!flow.reachable(find(file, 'r = 9')), 'code after __leave is unreachable');
  assert.ok(flow.dominates(find(file, 'int r = 0;'), find(file, 'return r;')));
  assert.ok(!flow.dominates(find(file, 'r = 1'), find(file, 'return r;')));
  assert.ok(flow.dominates(find(file, 'r = 11'), find(file, 'r = 12')));
  assert.ok(!flow.dominates(find(file, 'r = 5'), find(file, 'r = 7')), 'case 2 falls into default, but default is also a direct target');
  assert.ok(!flow.dominates(find(file, 'r = 8'), find(file, 'r = 10')), 'the __except handler can be entered before the body finishes');
});

test('#if branches are alternatives: neither dominates code after the #endif', async () => {
  const { file, analysis } = await analyse(`
void g(int a) {
  int x;
#ifdef A
  x = 1;
#elif defined(B)
  x = 2;
#else
  x = 3;
#endif
  use(x);
}`);
  const flow = flowOf(analysis, 'g');
  for (const t of ['x = 1', 'x = 2', 'x = 3']) {
    assert.ok(flow.reachable(find(file, t)));
    assert.ok(!flow.dominates(find(file, t), find(file, 'use(x)')));
  }
});

test('noreturn calls end a path', async () => {
  const { file, analysis } = await analyse(`void h(int a) { if (a) { KeBugCheckEx(1, 2, 3, 4, 5); dead(); } live(); }`);
  const flow = flowOf(analysis, 'h');
  assert.ok(!flow.reachable(find(file, 'dead()')));
  assert.ok(flow.reachable(find(file, 'live()')));
});

test('deep nesting does not overflow the stack; absurd depth makes the function unanalysable, not a crash', async () => {
  const depth = 3000;
  const text = `void deep(int a) {\n${'if (a) {\n'.repeat(depth)}a++;\n${'}\n'.repeat(depth)}}\n`;
  const { analysis } = await analyse(text);
  const fn = analysis.functions[0];
  assert.equal(analysis.flow(fn), undefined);
  assert.equal(analysis.skippedFunctions, 1);
  const terms = Array.from({ length: 5000 }, (_, i) => `p[${i}]`).join(' + ');
  const r = await analyse(`int sum(_In_reads_bytes_(n) PUCHAR p, ULONG n) { return ${terms}; }`);
  const flow = r.analysis.flow(r.analysis.functions[0]);
  assert.ok(flow);
  const t = flow.taint(find(r.file, terms));
  assert.deepEqual(t?.kinds, ['value']);
});
