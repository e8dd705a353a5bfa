/** The pipeline's cache after edits: moves followed without rebuilding the index, summary changes served from the pack. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, hashOf, ResultCache } from '../../server/src/cli/cache';
import { packKey } from '../../server/src/cli/run-cache';
import { PipelineResult } from '../../server/src/cli/pipeline-result';
import { generateCorpus } from '../../bench/corpus/generate';
import { MESSAGE, MOVES, PORT, removeTree } from './cli-helpers';
import { cachedRun, comparable, lint, treeOf } from './pipeline-helpers';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';

test('with the cache, an edit that only moves call sites is followed without rebuilding the project index', async () => {
  const content: Record<string, string> = { ...MOVES, 'filter/port.c': PORT, 'filter/message.c': MESSAGE };
  for (const f of generateCorpus({ seed: 5, files: 6 })) content[`gen/${f.path}`] = f.text;
  const { dir, files } = treeOf(content);
  const cacheDir = join(dir, '.cache');
  const edit = (file: string, change: (text: string) => string): void => writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
  const insertLine = (file: string): void => edit(file, (t) => `// ${file}\n${t}`);
  const findingsOf = (r: PipelineResult, file: string) => r.results.find((x) => x.path === file)!.findings;
  /** A cached run after an edit: its results must equal a run without the cache. */
  const rerun = () => cachedRun(files, new ResultCache(cacheDir));
  try {
    await lint(files, 2, { cache: new ResultCache(cacheDir) });
    const before = await lint(files, 2);
    assert.deepEqual([findingsOf(before, 'local.c')[0]?.range.start.line, findingsOf(before, 'forward.c')[0]?.range.start.line], [4, 4]);
    assert.ok(before.phase2Files >= 2, 'forward.c and message.c are linted again with seeds from other files');

    // local.c's call to LocalParse moves: its summary changes, its shape does not, and no other file cites it.
    insertLine('local.c');
    const alone = await rerun();
    assert.equal(findingsOf(alone.result, 'local.c')[0].range.start.line, 5);
    assert.deepEqual([alone.cache.hits, alone.cache.misses], [1, 0], 'only the snapshot was read, and local.c linted');
    const again = new ResultCache(cacheDir);
    assert.deepEqual(comparable(await lint(files, 1, { cache: again })), comparable(alone.result));
    assert.deepEqual([again.hits, again.misses], [1, 0], 'the snapshot was brought up to date');

    // dispatch.c's call moves too, and forward.c's finding cites it: forward.c's slice and its last result follow
    // the move, and only dispatch.c is linted. Read: the snapshot, dispatch.c's last entry, forward.c's entry.
    insertLine('dispatch.c');
    const cited = await rerun();
    const path = findingsOf(cited.result, 'forward.c')[0].path;
    assert.ok(path.some((p) => p.file === 'dispatch.c' && p.range.start.line === 4 && p.label.startsWith('passed to ForwardItem')), 'the cited call site moved with the edit');
    assert.deepEqual([cited.cache.hits, cited.cache.misses, cited.result.followed], [3, 0, 1]);

    // A registration cited by another file's finding (the port's message callback) moves the same way.
    insertLine('filter/port.c');
    const registration = await rerun();
    assert.deepEqual([registration.cache.hits, registration.cache.misses, registration.result.followed], [3, 0, 1]);

    // A line break inside the call splits one line of positions into two: the index is built again.
    edit('dispatch.c', (t) => t.replace('ForwardItem((PUCHAR)', 'ForwardItem(\n        (PUCHAR)'));
    const split = await rerun();
    assert.ok(split.cache.hits >= files.length, `${split.cache.hits} hits: every file's entry was loaded`);

    // forward.c itself edited: it is linted against last run's facts from dispatch.c in the same task as its
    // phase 1, and those facts still hold, so it needs no second pass.
    edit('forward.c', (t) => `${t}// edited\n`);
    const own = await rerun();
    assert.deepEqual(own.result.tasks, { phase1: 1, phase2: 0 });
    // Edited together with dispatch.c, which now passes it other facts (the length is no longer the request's):
    // the facts it was linted against in phase 1 are stale, and it is linted again with the new ones.
    edit('forward.c', (t) => `${t}// edited again\n`);
    edit('dispatch.c', (t) => t.replace('stack->Parameters.DeviceIoControl.InputBufferLength', 'sizeof(ITEM)'));
    const stale = await rerun();
    assert.deepEqual(stale.result.tasks, { phase1: 2, phase2: 1 });

    // And a run with nothing changed finds every result in the snapshot the previous runs left.
    const settled = await rerun();
    assert.deepEqual([settled.cache.hits, settled.cache.misses], [1, 0]);
  } finally {
    removeTree(dir);
  }
});

/** Counts entry reads (`get` reads through `getWithAttachment`). */
class CountingCache extends ResultCache {
  reads = 0;
  override getWithAttachment<T>(key: string): { value: T; attachment: Uint8Array } | undefined {
    this.reads++;
    return super.getWithAttachment<T>(key);
  }
}

test('with the cache, an edit that changes what a file passes on takes the other files\' entries from one pack', async () => {
  const content: Record<string, string> = { ...MOVES };
  for (const f of generateCorpus({ seed: 7, files: 24 })) content[`gen/${f.path}`] = f.text;
  const { dir, files } = treeOf(content);
  const cacheDir = join(dir, '.cache');
  const edit = (file: string, from: string, to: string): void => {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.ok(text.includes(from), `${file} holds ${from}`);
    writeFileSync(join(dir, file), text.replace(from, to));
  };
  const forwardFindings = (r: PipelineResult) => r.results.find((x) => x.path === 'forward.c')!.findings.length;
  const rerun = () => cachedRun(files, new CountingCache(cacheDir));
  try {
    assert.ok(files.length > 25);
    const cold = await rerun();
    assert.equal(forwardFindings(cold.result), 1, 'ForwardItem is seeded by DispatchIoctl in dispatch.c');

    // dispatch.c now calls another function: its summary changes, the index is built again, and forward.c loses its
    // finding. Every other file's entry comes from the pack: reads are the snapshot, the pack and second-phase answers.
    edit('dispatch.c', 'ForwardItem((PUCHAR)', 'ForwardOther((PUCHAR)');
    const changed = await rerun();
    assert.equal(forwardFindings(changed.result), 0);
    assert.ok(changed.cache.reads <= 4, `${changed.cache.reads} entries read for ${files.length} files`);
    assert.ok(changed.cache.hits >= files.length - 1, `${changed.cache.hits} hits`);

    // The pack was not written again for one edited file: its record of dispatch.c is out of date. Another edit that
    // changes a summary must take dispatch.c from its own entry (the pack's record would bring the finding back).
    edit('local.c', 'LocalParse((PUCHAR)', 'LocalOther((PUCHAR)');
    const stale = await rerun();
    assert.equal(forwardFindings(stale.result), 0);
    assert.ok(stale.cache.reads <= 5, `${stale.cache.reads} entries read`);

    // A damaged pack costs only reading every entry.
    const key = packKey(hashOf('test', canonicalJson(DEFAULT_ENGINE_CONFIG)));
    const packFile = join(cacheDir, 'v3', key.slice(0, 2), `${key}.json`);
    const bytes = readFileSync(packFile);
    writeFileSync(packFile, bytes.subarray(0, bytes.length >> 1));
    edit('dispatch.c', 'ForwardOther((PUCHAR)', 'ForwardItem((PUCHAR)');
    const damaged = await rerun();
    assert.equal(forwardFindings(damaged.result), 1);
    assert.ok(damaged.cache.reads >= files.length - 1, `${damaged.cache.reads} entries read`);
  } finally {
    removeTree(dir);
  }
});
