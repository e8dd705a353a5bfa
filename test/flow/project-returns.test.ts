/**
 * Functions of the project that return a request buffer or registry data (flow/returned-sources.ts): the summary
 * fact where they are defined, and the caller's value as that source, bound to the caller's argument.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProjectIndex, dependencyKey, lintTexts, summarizeFile } from '../../server/src/engine/lint';
import { parseFile } from '../../server/src/engine/parse/parse';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { ResultCache } from '../../server/src/cli/cache';
import { IndexSlice, sliceIndex, sliceToIndex } from '../../server/src/cli/slice';
import { BUF, USER } from '../../server/src/engine/flow/sources';
import { RULES } from '../../rules/index.generated';
import { actual, expectations, getParsers } from '../helpers';
import { removeTree } from '../cli/cli-helpers';
import { comparable, lint, treeOf } from '../cli/pipeline-helpers';

const dir = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'cross-file-returns');
const names = ['returns-helpers.c', 'returns-io.h', 'returns-other.c', 'returns-users.c'];
const inputs = names.map((name) => ({ path: `cross-file-returns/${name}`, text: readFileSync(join(dir, name), 'utf8') }));
const users = inputs[3];
const at = (r: { findings: readonly { ruleId: string; range: { start: { line: number } } }[] }): string[] => r.findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`);

async function summaries(list = inputs) {
  const parsers = await getParsers();
  return list.map((i) => summarizeFile(parseFile(parsers, i.path, i.text), DEFAULT_ENGINE_CONFIG));
}

test('a helper of another file that returns the request buffer or registry data makes the caller\'s value that source', async () => {
  const parsers = await getParsers();
  const results = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG);
  for (const [i, r] of results.entries()) assert.deepEqual(actual(r), expectations(inputs[i].text), `${r.path}: ${r.findings.map((f) => f.message).join('\n')}`);
  const fetch = results[3].findings.find((f) => f.ruleId === 'KS1104')!;
  assert.match(fetch.path[0].label, /^CallerBuffer\(\): the system mapping of Irp->MdlAddress, or Irp->UserBuffer, the caller's raw user-mode address$/);
  const short = results[3].findings.find((f) => f.ruleId === 'KS1105')!;
  assert.equal(short.path[0].label, 'request buffer (SystemBuffer), returned by QueryBuffer()');
  const rev = lintTexts(parsers, [...inputs].reverse(), RULES, DEFAULT_ENGINE_CONFIG).reverse();
  assert.equal(JSON.stringify(rev.map((r) => r.findings)), JSON.stringify(results.map((r) => r.findings)));
  // Alone, the callers know nothing of the helpers: the results before return facts were read.
  assert.deepEqual(at(lintTexts(parsers, [users], RULES, DEFAULT_ENGINE_CONFIG)[0]), []);
});

test('the summary holds each returned source, bound to the parameter whose request it is', async () => {
  const [helpers, io, other] = await summaries();
  const returns = (s: typeof io, name: string) => s.macros.find(([n]) => n === name)?.[1]?.returns;
  assert.deepEqual(returns(io, 'CallerBuffer'), [
    { kinds: BUF, tags: ['mdl-buffer'], label: 'system address of the request MDL', param: 0, suffix: '.MdlAddress', map: true, sizeChecked: false },
    { kinds: USER, tags: ['user-buffer'], label: "caller's user-mode buffer (UserBuffer)", param: 0, suffix: '.UserBuffer', map: false, sizeChecked: false },
  ]);
  // The mapping of an MDL the caller passes is a source only where the caller's MDL is one.
  assert.equal(returns(io, 'MapMdl'), undefined);
  assert.deepEqual(returns(helpers, 'QueryBuffer')?.map((r) => [r.tags, r.param, r.suffix]), [[['system-buffer'], 0, '.AssociatedIrp.SystemBuffer']]);
  assert.deepEqual(returns(helpers, 'QueryOption')?.map((r) => [r.tags, r.param, r.sizeChecked]), [[['registry-data'], null, false]]);
  assert.deepEqual(returns(helpers, 'QueryDword')?.map((r) => [r.tags, r.sizeChecked]), [[['registry-data'], true]]);
  assert.equal(returns(other, 'OtherBuffer'), undefined);
  // A value read through the buffer is not summarized: what the body checked of it would not go with it.
  const [value] = await summaries([{ path: 'value.c', text: 'ULONG ReadIndex(PIRP Irp) {\n    PULONG p = Irp->AssociatedIrp.SystemBuffer;\n    ULONG i = *p;\n    if (i >= 16) return 0;\n    return i;\n}\n' }]);
  assert.deepEqual(value.macros, []);
  const index = buildProjectIndex([helpers, io, other]);
  assert.equal(index.macro('OtherBuffer'), null, 'defined two ways');
  assert.equal(index.macro('QueryBuffer')?.returns.length, 1);
});

test('an edit of a helper reaches its callers through dependency keys and index slices', async () => {
  const parsers = await getParsers();
  const before = await summaries();
  const pool = inputs[0].text.replace('PVOID buffer = Irp->AssociatedIrp.SystemBuffer;\n    return buffer;', 'PVOID buffer = ExAllocatePool2(POOL_FLAG_PAGED, 64, \'fuBQ\');\n    return buffer;');
  assert.notEqual(pool, inputs[0].text);
  const [edited] = await summaries([{ path: inputs[0].path, text: pool }]);
  const old = buildProjectIndex(before);
  const now = buildProjectIndex([edited, ...before.slice(1)]);
  assert.notEqual(dependencyKey(now, before[3]), dependencyKey(old, before[3]), 'users.c calls QueryBuffer');
  assert.equal(dependencyKey(now, before[2]), dependencyKey(old, before[2]), 'other.c calls nothing');
  const relinted = lintTexts(parsers, [{ path: inputs[0].path, text: pool }, ...inputs.slice(1)], RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(at(relinted[3]).filter((e) => e.endsWith('KS1105')), [], 'the pool buffer is not the request');
  for (const [i, s] of before.entries()) {
    const slice = sliceToIndex(JSON.parse(JSON.stringify(sliceIndex(old, s))) as IndexSlice);
    assert.equal(dependencyKey(slice, s), dependencyKey(old, s));
    assert.equal(JSON.stringify(lintTexts(parsers, [inputs[i]], RULES, DEFAULT_ENGINE_CONFIG, slice)[0].findings), JSON.stringify(lintTexts(parsers, [inputs[i]], RULES, DEFAULT_ENGINE_CONFIG, old)[0].findings));
  }
});

test('the pipeline, any jobs and file order, and a cached run after an edit of the helper', async () => {
  const { dir: tmp, files } = treeOf(Object.fromEntries(inputs.map((i) => [i.path, i.text])));
  try {
    const one = await lint(files, 1);
    assert.deepEqual(comparable(await lint([...files].reverse(), 2)), comparable(one));
    const usersResult = (r: typeof one) => at(r.results.find((x) => x.path === users.path)!);
    assert.deepEqual(usersResult(one), ['15:KS1104', '38:KS1105', '53:KS1005']);
    await lint(files, 2, { cache: new ResultCache(join(tmp, '.cache')) });
    writeFileSync(join(tmp, 'cross-file-returns', 'returns-helpers.c'), inputs[0].text.replace('    return info;', '    if (info == NULL || info->DataLength != sizeof(ULONG)) return NULL;\n    return info;'));
    const cached = await lint(files, 2, { cache: new ResultCache(join(tmp, '.cache')) });
    assert.deepEqual(comparable(cached), comparable(await lint(files, 2)));
    assert.deepEqual(usersResult(cached), ['15:KS1104', '38:KS1105'], 'QueryOption now tests the size');
  } finally {
    removeTree(tmp);
  }
});
