/** The summary pack: what `storePack` writes, `loadPack` gives back field for field, in less space. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { buildProjectIndex, lintParsed, summarizeFile } from '../../server/src/engine/lint';
import { disposeParsed, parseFile } from '../../server/src/engine/parse/parse';
import { ResultCache } from '../../server/src/cli/cache';
import { loadPack, packKey, storePack } from '../../server/src/cli/run-cache';
import { getParsers } from '../helpers';
import { RULES } from '../../rules/index.generated';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

test('the pack gives back every summary as it was made, without the fields that hold their default value', async () => {
  const parsers = await getParsers();
  const files = ['cross-file', 'KS1001', 'KS1003', 'KS1401'].flatMap((d) => filesUnder(join(FIXTURES, d))).filter((f) => f.endsWith('.c'));
  const entries = files.map((file, i) => {
    const parsed = parseFile(parsers, file, readFileSync(file, 'utf8'), { macros: DEFAULT_ENGINE_CONFIG.macros });
    try {
      const summary = summarizeFile(parsed, DEFAULT_ENGINE_CONFIG);
      const result = lintParsed(parsed, RULES, DEFAULT_ENGINE_CONFIG, buildProjectIndex([summary]));
      return { file, contentHash: `h${i}`, entry: { result, summary, summaryHash: `s${i}`, shapeHash: `p${i}`, key: `k${i}`, encoding: 'utf-8' as const, replaced: false } };
    } finally {
      disposeParsed(parsed);
    }
  });
  const args = entries.flatMap((e) => e.entry.summary.functions.flatMap((f) => f.calls.flatMap((c) => c.args)));
  assert.ok(args.filter((a) => a !== null).length >= 10, `${args.length} summarized arguments`);
  const dir = mkdtempSync(join(tmpdir(), 'kslint-pack-'));
  try {
    const cache = new ResultCache(dir);
    const key = packKey('test');
    storePack(cache, key, entries);
    const pack = loadPack(cache, key, await cache.read(key));
    assert.ok(pack, 'the pack loads');
    assert.equal(pack.size, entries.length);
    for (const { file, contentHash, entry } of entries) {
      const got = pack.get(file);
      assert.equal(got?.contentHash, contentHash);
      // JSON equality also holds the order of each argument's fields (one object shape for the index).
      assert.equal(JSON.stringify(got!.entry.summary), JSON.stringify(entry.summary), file);
      // The rest is stored as JSON, which leaves out fields whose value is undefined (a finding's `subKind`).
      assert.deepEqual({ ...got!.entry, summary: undefined }, { ...JSON.parse(JSON.stringify(entry)), summary: undefined });
    }
    // Default-valued fields are left out: the fixtures' arguments have them, the stored text does not.
    const whole = entries.map((e) => JSON.stringify(e.entry.summary)).join('');
    const stored = filesUnder(dir).map((f) => readFileSync(f, 'utf8')).join('');
    for (const field of ['"kinds":[]', '"sizeChecked":false', '"sameAs":[]']) {
      assert.ok(whole.includes(field), `the summaries hold ${field}`);
      assert.ok(!stored.includes(field), `the pack leaves out ${field}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
