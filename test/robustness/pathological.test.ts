/**
 * Pathological sizes and shapes: nesting 10,000 levels deep, a 200,000-character line, a 20 MB file and a file
 * with thousands of annotated functions. Each lints without a rule throwing and with findings inside the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCorpus } from '../../bench/corpus/generate';
import { collectFunctions } from '../../server/src/engine/index/functions';
import { parseFile } from '../../server/src/engine/parse/parse';
import { getParsers } from '../helpers';
import { assertSane, lintWith } from './sanity';

const N = 10_000;
const CALL = 'strcpy(d, s);';

const DEEP: Record<string, string> = {
  blocks: `void f(char *d, char *s) {${'{'.repeat(N)}${CALL}${'}'.repeat(N)}}`,
  parentheses: `void f(char *d, char *s) { x = ${'('.repeat(N)}y${')'.repeat(N)}; ${CALL} }`,
  'field chain': `void f(char *d, char *s) { strcpy(a${'->b'.repeat(N)}, s); }`,
  subscripts: `void f(char *d, char *s) { strcpy(&a${'[i]'.repeat(N)}, s); }`,
  'if chain': `void f(char *d, char *s) { ${'if (a) '.repeat(N)}${CALL} }`,
  'else-if chain': `void f(char *d, char *s) { if (a) x(); ${'else if (a) x(); '.repeat(N)} ${CALL} }`,
  'unary operators': `void f(char *d, char *s) { x = ${'-!~'.repeat(N / 3)}y; ${CALL} }`,
  casts: `void f(char *d, char *s) { x = ${'(int)'.repeat(N)}y; ${CALL} }`,
  'binary operators': `void f(char *d, char *s) { x = y${' + y'.repeat(N)}; ${CALL} }`,
  'nested calls': `void f(char *d, char *s) { x = ${'g('.repeat(N)}1${')'.repeat(N)}; ${CALL} }`,
  'preprocessor #if': `${'#if A\n'.repeat(N)}void f(char *d, char *s) { ${CALL} }\n${'#endif\n'.repeat(N)}`,
  'lambdas (C++)': `void f(char *d, char *s) { auto l = ${'[&]() { return '.repeat(N / 2)}0${'; }'.repeat(N / 2)}; ${CALL} }`,
};

for (const [shape, body] of Object.entries(DEEP)) {
  test(`nesting ${N} levels deep: ${shape}`, async () => {
    const path = shape.includes('C++') ? 'deep.cpp' : 'deep.c';
    for (const kind of ['native', 'wasm'] as const) {
      const r = await lintWith(kind, path, body);
      assertSane(r, body, `${kind} ${shape}`);
      assert.ok(r.findings.some((f) => f.ruleId === 'KS1301'), `${kind} ${shape}: strcpy not found`);
    }
  });
}

test('a 200,000-character line', async () => {
  const long = [
    `static const char blob[] = "${'A'.repeat(200_000)}";`,
    `int table[] = { ${Array.from({ length: 40_000 }, (_, i) => i).join(',')} };`,
    `void f(char *d, char *s) { x = ${'a+'.repeat(100_000)}b; strcpy(d, s); }`,
  ];
  for (const text of long) {
    assert.ok(text.length >= 200_000);
    const r = await lintWith('auto', 'long.c', text);
    assertSane(r, text);
    if (text.includes('strcpy')) assert.equal(r.findings.filter((f) => f.ruleId === 'KS1301').length, 1);
  }
});

test('a 20 MB file of generated driver code', async () => {
  const parts: string[] = [];
  let size = 0;
  for (const f of generateCorpus({ seed: 99, bytes: 64 * 1024 * 1024 })) {
    if (!f.path.endsWith('.c')) continue;
    parts.push(f.text);
    size += f.text.length;
    if (size >= 20 * 1024 * 1024) break;
  }
  const text = parts.join('\n');
  assert.ok(text.length >= 20 * 1024 * 1024);
  const r = await lintWith('auto', 'huge.c', text);
  assertSane(r, text, 'huge.c');
  assert.ok(r.stats.functions > 10_000, `${r.stats.functions} functions`);
  // The generator writes strcpy only in unguarded FormatName helpers; each must be found.
  const expected = (text.match(/\bstrcpy\(/g) ?? []).length;
  assert.equal(r.findings.filter((f) => f.ruleId === 'KS1301' && f.message.startsWith("'strcpy'")).length, expected);
});

test('thousands of annotated functions keep each parameter\'s SAL', async () => {
  const parsers = await getParsers();
  const fns = Array.from({ length: 3000 }, (_, i) => `NTSTATUS F${i}(_In_reads_bytes_(L${i}) PVOID B${i}, _In_ ULONG L${i}, ULONG Plain${i}, _Out_opt_ PULONG O${i}) { return 0; }`);
  const file = parseFile(parsers, 'many.c', fns.join('\n'));
  const model = collectFunctions(file);
  assert.equal(model.length, 3000);
  model.forEach((fn, i) => {
    assert.deepEqual(
      fn.params.map((p) => p.annotations.map((a) => `${a.name}(${a.args ?? ''})`)),
      [[`_In_reads_bytes_(L${i})`], ['_In_()'], [], ['_Out_opt_()']],
      fn.name,
    );
  });
  file.tree.delete?.();
});

test('a function with one enormous statement is skipped by data flow and counted; its neighbours are analysed', async () => {
  const text = [
    // Reads a request buffer, so the taint rules need its data flow, which is too large to build.
    'void Huge(PIRP Irp, char *d)',
    `{ char *s = Irp->AssociatedIrp.SystemBuffer; x = ${'g('.repeat(N)}1${')'.repeat(N)}; strcpy(d, s); }`,
    'void Normal(char *d, char *s)',
    '{ strcpy(d, s); }',
    '',
  ].join('\n');
  const r = await lintWith('auto', 'huge-statement.c', text);
  assertSane(r, text);
  assert.equal(r.stats.functions, 2);
  assert.equal(r.stats.skipped, 1);
  assert.equal(r.findings.filter((f) => f.ruleId === 'KS1301').length, 2, 'syntactic rules still run in the skipped function');
});
