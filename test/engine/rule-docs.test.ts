/** Rule docs are tests: every Incorrect example must fire its rule, every Correct example must stay silent. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectations, lintText } from '../helpers';
import { RULES } from '../../rules/index.generated';

interface RuleDocModule {
  sections(body: string): Map<string, string>;
  codeBlocks(section: string | undefined): { lang: 'c' | 'cpp'; code: string }[];
  parseRuleDoc(text: string, folder: string): { meta: { subKinds: unknown }; errors: string[] };
}
// The doc parser is shared with the index generator (plain ESM); Node 20.19+ can require() it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { sections, codeBlocks, parseRuleDoc } = require('../../../scripts/rule-doc.mjs') as RuleDocModule;

const repo = join(__dirname, '..', '..', '..');
const folders = readdirSync(join(repo, 'rules')).filter((d) => /^KS\d{4}-/.test(d));

test('the generated index lists every rule folder', () => {
  assert.deepEqual(RULES.map((r) => `${r.meta.id}-${r.meta.name}`).sort(), folders.sort());
});

test('rule ids are unique and every rule has fixtures', () => {
  const ids = RULES.map((r) => r.meta.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.ok(existsSync(join(repo, 'test', 'fixtures', id)), `test/fixtures/${id} missing`);
});

for (const folder of folders) {
  const id = folder.slice(0, 6);
  const body = readFileSync(join(repo, 'rules', folder, 'rule.md'), 'utf8');
  const secs = sections(body);
  codeBlocks(secs.get('Incorrect')).forEach((block, i) => {
    test(`${folder} doc: Incorrect example ${i + 1} fires`, async () => {
      const result = await lintText(`doc-example.${block.lang}`, block.code);
      const fired = result.findings.filter((f) => f.ruleId === id).map((f) => `${f.range.start.line + 1}:${id}`).sort();
      const expected = expectations(block.code).filter((e) => e.endsWith(`:${id}`));
      assert.ok(fired.length > 0, `no ${id} finding`);
      if (expected.length) assert.deepEqual(fired, expected);
    });
  });
  codeBlocks(secs.get('Correct')).forEach((block, i) => {
    test(`${folder} doc: Correct example ${i + 1} is silent`, async () => {
      const result = await lintText(`doc-example.${block.lang}`, block.code);
      assert.deepEqual(result.findings.filter((f) => f.ruleId === id).map((f) => f.message), []);
    });
  });
}

test('front matter sub-kinds: each check with its aliases; an alias names the whole rule or checks, not both', () => {
  const doc = (front: string) => parseRuleDoc(readFileSync(join(repo, 'rules', 'KS1201-pool-api-hygiene', 'rule.md'), 'utf8').replace(/^aliases:[\s\S]*?(?=security-severity:)/m, front), 'KS1201-pool-api-hygiene');
  const ok = doc('aliases: [C1]\nsub-kinds:\n  one: [C2, 3]\n  two-b: []\n');
  assert.deepEqual([ok.errors, ok.meta.subKinds], [[], [{ id: 'one', aliases: ['C2', '3'] }, { id: 'two-b', aliases: [] }]]);
  assert.deepEqual(doc('aliases: [C1]\n').meta.subKinds, []);
  assert.deepEqual(doc('aliases: [C1]\nsub-kinds:\n  One: [c1]\n').errors, ['sub-kind "One" is not kebab-case', 'alias "c1" names both the whole rule and sub-kind "One"']);
  assert.deepEqual(doc('aliases: []\nsub-kinds: [a, b]\n').errors, ['"sub-kinds" must map each check to its list of aliases']);
});
