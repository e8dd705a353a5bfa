/**
 * Things that happen while a run is under way: files that vanish or become unreadable between discovery and
 * reading or between the two phases, and several runs sharing one cache folder at the same time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { DEFAULT_LIMITS } from '../../server/src/project/config';
import { Pipeline, PipelineFile } from '../../server/src/cli/pipeline';
import { generateCorpus } from '../../bench/corpus/generate';
import { makeTree, MESSAGE, PORT, removeTree, runCli, TWO_WARNINGS } from './cli-helpers';

// port.c registers a callback that message.c defines: message.c needs the second phase.
test('files that vanish before they are read, or between the phases, are skipped with a reason; the rest is linted', async () => {
  const dir = makeTree({ 'port.c': PORT, 'message.c': MESSAGE, 'copy.c': TWO_WARNINGS, 'gone.c': TWO_WARNINGS, 'dir.c': TWO_WARNINGS });
  try {
    const files: PipelineFile[] = ['copy.c', 'dir.c', 'gone.c', 'message.c', 'port.c'].map((file) => ({ file, abs: join(dir, file) }));
    // Discovered, then gone before the run reads them: one deleted, one replaced by a folder.
    unlinkSync(join(dir, 'gone.c'));
    rmSync(join(dir, 'dir.c'));
    mkdirSync(join(dir, 'dir.c'));
    // message.c is read in phase 1 and again in phase 2: delete it in between.
    let removed = false;
    const p = new Pipeline({
      engine: DEFAULT_ENGINE_CONFIG,
      limits: DEFAULT_LIMITS,
      jobs: 2,
      onProgress: (phase, done, total) => {
        if (phase === 1 && done === total && !removed) {
          removed = true;
          unlinkSync(join(dir, 'message.c'));
        }
      },
    });
    const r = await p.run(files).finally(() => p.destroy());
    assert.ok(removed);
    const skipped = Object.fromEntries(r.skipped.map((s) => [s.file, s.reason]));
    assert.deepEqual(Object.keys(skipped).sort(), ['dir.c', 'gone.c', 'message.c']);
    for (const [file, reason] of Object.entries(skipped)) assert.match(reason, /no longer exists|not found|not a (regular )?file|folder|directory|changed/i, `${file}: ${reason}`);
    assert.deepEqual(r.results.map((x) => x.path), ['copy.c', 'port.c']);
    assert.deepEqual(r.results[0].findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`), ['3:KS1301', '4:KS1301']);
  } finally {
    removeTree(dir);
  }
});

test('concurrent runs sharing one cache folder give the uncached result, and leave a cache that serves a third run', async () => {
  const content: Record<string, string> = { 'copy.c': TWO_WARNINGS, 'filter/port.c': PORT, 'filter/message.c': MESSAGE };
  for (const f of generateCorpus({ seed: 5, files: 12 })) content[`gen/${f.path}`] = f.text;
  const dir = makeTree(content);
  try {
    const findings = (stdout: string): unknown => (JSON.parse(stdout) as { findings: unknown[] }).findings;
    const plain = await runCli(['.', '-f', 'json', '-q', '--fail-on', 'none'], { cwd: dir });
    assert.equal(plain.code, 0, plain.stderr);
    const cache = join(dir, 'shared-cache');
    const runs = await Promise.all([0, 1, 2].map((i) => runCli(['.', '-f', 'json', '-q', '--fail-on', 'none', `--cache=${cache}`, '--jobs', String(1 + (i % 2))], { cwd: dir })));
    for (const run of runs) {
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(findings(run.stdout), findings(plain.stdout));
    }
    // Entries are renamed into place: no temporary files are left behind.
    const leftovers: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else if (e.name.endsWith('.tmp')) leftovers.push(e.name);
      }
    };
    walk(cache);
    assert.deepEqual(leftovers, []);
    const third = await runCli(['.', '-f', 'json', '-q', '--fail-on', 'none', `--cache=${cache}`, '--stats'], { cwd: dir });
    assert.deepEqual(findings(third.stdout), findings(plain.stdout));
    assert.match(third.stderr, /worker time\s+decode 0\.00 s, parse 0\.00 s/, 'everything came from the cache');
  } finally {
    removeTree(dir);
  }
});
