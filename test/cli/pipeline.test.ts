/**
 * The worker pipeline: identical results for any number of workers and any file order, the cross-file second
 * phase, and files that exceed their time or memory budget or crash their worker. The cache's tests are in
 * pipeline-cache.test.ts and pipeline-edits.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineResult } from '../../server/src/cli/pipeline-result';
import { generateCorpus } from '../../bench/corpus/generate';
import { makeTree, PORT, removeTree, TWO_WARNINGS } from './cli-helpers';
import { comparable, lint, tree } from './pipeline-helpers';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { DEFAULT_LIMITS } from '../../server/src/project/config';
import { Pipeline } from '../../server/src/cli/pipeline';

test('one or two workers, any file order: identical results; cross-file facts come from the second phase', async () => {
  const { dir, files } = tree();
  try {
    const one = await lint(files, 1);
    const two = await lint([...files].reverse(), 2);
    assert.deepEqual(comparable(two), comparable(one));
    const message = one.results.find((r) => r.path === 'filter/message.c')!;
    assert.deepEqual(message.findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`), ['6:KS1103'], 'the port registration in port.c makes the callback an entry point');
    assert.ok(one.phase2Files >= 1);
    const alone = await lint(files.filter((f) => f.file === 'filter/message.c'), 1);
    assert.deepEqual(alone.results[0].findings, [], 'without port.c the callback is not known to be one');
    assert.equal(alone.phase2Files, 0);
  } finally {
    removeTree(dir);
  }
});


test('a file over its time budget is skipped with the reason; the others are linted', async () => {
  const { dir, files } = tree();
  try {
    const r = await lint(files.slice(0, 2), 1, { limits: { fileTimeoutMs: 1 } });
    assert.deepEqual(r.results, []);
    assert.deepEqual(
      r.skipped.map((s) => s.reason),
      files.slice(0, 2).map(() => 'took longer than 0.001 s (limits.fileTimeout); stopped'),
    );
  } finally {
    removeTree(dir);
  }
});

test('a file that exhausts its worker\'s memory is skipped; the worker is replaced and the run goes on', async () => {
  const parts: string[] = [];
  let size = 0;
  for (const f of generateCorpus({ seed: 5, bytes: 8 * 1024 * 1024 })) {
    if (!f.path.endsWith('.c')) continue;
    parts.push(f.text);
    size += f.text.length;
    if (size > 1024 * 1024) break;
  }
  const dir = makeTree({ 'huge.c': parts.join('\n'), 'small.c': TWO_WARNINGS });
  try {
    const files = ['huge.c', 'small.c'].map((file) => ({ file, abs: join(dir, file) }));
    const r = await lint(files, 1, { limits: { workerMemoryMb: 64 } });
    assert.deepEqual(r.skipped, [{ file: 'huge.c', reason: 'needed more than 64 MB of memory (limits.workerMemory); stopped' }]);
    assert.deepEqual(r.results.map((x) => `${x.path}:${x.findings.length}`), ['small.c:2']);
  } finally {
    removeTree(dir);
  }
});

test('a worker that crashes, throws or dies mid-file costs only that file; the others keep their results', async () => {
  const crashing = ['exit-a.c', 'throw-b.c', 'reject-c.c'];
  const { dir, files } = tree();
  for (const [i, name] of crashing.entries()) writeFileSync(join(dir, name), i === 1 ? PORT : TWO_WARNINGS);
  const withCrashes = [...files, ...crashing.map((file) => ({ file, abs: join(dir, file) }))];
  try {
    const normal = await lint(files, 2);
    for (const jobs of [1, 2]) {
      const p = new Pipeline({ engine: DEFAULT_ENGINE_CONFIG, limits: DEFAULT_LIMITS, jobs, workerFile: join(__dirname, 'crash-worker.js') });
      let r: PipelineResult;
      try {
        r = await p.run(withCrashes);
      } finally {
        await p.destroy();
      }
      assert.deepEqual(
        r.skipped.map((s) => s.file),
        [...crashing].sort(),
        `jobs ${jobs}`,
      );
      for (const s of r.skipped) assert.match(s.reason, /^analysis crashed: /, `${s.file}: ${s.reason}`);
      assert.deepEqual(comparable({ ...r, skipped: [] }), comparable({ ...normal, skipped: [] }), `jobs ${jobs}: the other files' results`);
    }
  } finally {
    removeTree(dir);
  }
});
