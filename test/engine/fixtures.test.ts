/**
 * Fixture harness: every file under test/fixtures/<RULE>/ is linted with all rules; the findings must equal its
 * `// expect: KSnnnn` annotations exactly (a file without annotations must produce nothing), and the places they
 * name as other places of the same mistake (`Finding.related`) its `// also: KSnnnn` annotations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { actual, actualRelated, expectations, lintText } from '../helpers';
import { RULES } from '../../rules/index.generated';

const root = join(__dirname, '..', '..', '..', 'test', 'fixtures');
// Each finding of a rule with declared checks names one of them (suppressions by a check's alias rely on it).
const declaredKinds = new Map(RULES.map((r) => [r.meta.id, r.meta.subKinds.map((k) => k.id)]));
const firedKinds = new Set<string>();
const ruleDirs = readdirSync(root).filter((d) => /^KS\d{4}$/.test(d) && statSync(join(root, d)).isDirectory()).sort();

for (const dir of ruleDirs) {
  for (const name of readdirSync(join(root, dir)).sort()) {
    if (!/\.(c|cpp|cc|h|hpp)$/.test(name)) continue;
    test(`fixture ${dir}/${name}`, async () => {
      const path = join(root, dir, name);
      const text = readFileSync(path, 'utf8');
      const result = await lintText(`test/fixtures/${dir}/${name}`, text);
      assert.deepEqual(result.ruleErrors, []);
      assert.deepEqual(actual(result), expectations(text), result.findings.map((f) => `${f.range.start.line + 1}:${f.ruleId} ${f.message}`).join('\n'));
      assert.deepEqual(actualRelated(result), expectations(text, 'also'), 'related locations (// also:)');
      for (const f of result.findings) {
        const kinds = declaredKinds.get(f.ruleId) ?? [];
        assert.ok(kinds.length ? kinds.includes(f.subKind ?? '') : f.subKind === undefined, `${f.range.start.line + 1}:${f.ruleId} has sub-kind ${f.subKind}, declared: ${kinds.join(', ')}`);
        if (!f.suppression) firedKinds.add(`${f.ruleId}/${f.subKind}`);
      }
    });
  }
}

test('every rule has at least 4 firing and 4 silent fixture cases', () => {
  for (const rule of RULES) {
    const dir = join(root, rule.meta.id);
    let fire = 0;
    let silentFiles = 0;
    let nearMiss = 0;
    for (const name of readdirSync(dir)) {
      const text = readFileSync(join(dir, name), 'utf8');
      const exp = expectations(text).filter((e) => e.endsWith(`:${rule.meta.id}`));
      fire += exp.length;
      if (exp.length === 0) silentFiles++;
      nearMiss += (text.match(/\bnear-miss\b/gi) ?? []).length;
    }
    assert.ok(fire >= 4, `${rule.meta.id}: ${fire} must-fire cases (need 4)`);
    assert.ok(nearMiss >= 4 || silentFiles >= 4, `${rule.meta.id}: ${nearMiss} near-miss cases (need 4; mark each with a "near-miss" comment)`);
  }
});

// Runs after the fixture tests above (a file's top-level tests run in order).
test('every declared check of a rule fires in some fixture', () => {
  for (const [id, kinds] of declaredKinds) for (const k of kinds) assert.ok(firedKinds.has(`${id}/${k}`), `${id}/${k} fires in no fixture`);
});
