/**
 * The worker pipeline: identical results for any number of workers and any file order, the cross-file second
 * phase, the cache (same results, only changed work redone), and files that exceed their time or memory budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { DEFAULT_LIMITS, Limits } from '../../server/src/project/config';
import { ResultCache } from '../../server/src/cli/cache';
import { Pipeline, PipelineFile, PipelineResult } from '../../server/src/cli/pipeline';
import { generateCorpus } from '../../bench/corpus/generate';
import { makeTree, MESSAGE, PORT, removeTree, TWO_WARNINGS } from './cli-helpers';

function tree(): { dir: string; files: PipelineFile[] } {
  const content: Record<string, string> = { 'filter/port.c': PORT, 'filter/message.c': MESSAGE, 'copy.c': TWO_WARNINGS };
  for (const f of generateCorpus({ seed: 11, files: 5 })) content[`gen/${f.path}`] = f.text;
  const dir = makeTree(content);
  const files = Object.keys(content)
    .sort()
    .map((file) => ({ file, abs: join(dir, file) }));
  return { dir, files };
}

async function lint(files: readonly PipelineFile[], jobs: number, extra: { limits?: Partial<Limits>; cache?: ResultCache; stampMarginMs?: number } = {}): Promise<PipelineResult> {
  const p = new Pipeline({ engine: DEFAULT_ENGINE_CONFIG, limits: { ...DEFAULT_LIMITS, ...extra.limits }, jobs, cache: extra.cache && { store: extra.cache, toolKey: 'test' }, stampMarginMs: extra.stampMarginMs });
  try {
    return await p.run(files);
  } finally {
    await p.destroy();
  }
}

/** As reports see them (JSON): a cached result has no keys whose value is undefined. */
const comparable = (r: PipelineResult) => JSON.parse(JSON.stringify({ results: r.results, skipped: r.skipped, phase2Files: r.phase2Files }));

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

test('the cache gives identical results and redoes only what a change affects', async () => {
  const { dir, files } = tree();
  try {
    const plain = await lint(files, 2);
    const cacheDir = join(dir, '.cache');
    const cold = new ResultCache(cacheDir);
    assert.deepEqual(comparable(await lint(files, 2, { cache: cold })), comparable(plain));
    assert.equal(cold.hits, 0);
    const warm = new ResultCache(cacheDir);
    const again = await lint(files, 1, { cache: warm });
    assert.deepEqual(comparable(again), comparable(plain));
    assert.equal(warm.misses, 0, 'nothing changed: every result comes from the cache');
    assert.equal(warm.hits, 1, 'one read: the snapshot of the last run over these files');
    assert.equal(again.timings.worker.parse, 0, 'nothing was parsed');
    assert.equal(again.phase2Files, plain.phase2Files);

    // An edit that leaves the file's summary as it was (a comment at the end): only that file is linted; the rest
    // comes from the snapshot, and the results equal a run without any cache.
    writeFileSync(join(dir, 'copy.c'), `${TWO_WARNINGS}\n// reviewed\n`);
    const edited = new ResultCache(cacheDir);
    const afterComment = await lint(files, 2, { cache: edited });
    assert.deepEqual(comparable(afterComment), comparable(await lint(files, 2)));
    assert.ok(afterComment.timings.worker.parse > 0, 'the edited file was linted');
    assert.equal(edited.hits, 1, 'one read: the snapshot (the edited file had no entry)');
    const again2 = new ResultCache(cacheDir);
    assert.deepEqual(comparable(await lint([...files].reverse(), 1, { cache: again2 })), comparable(afterComment));
    assert.equal(again2.hits, 1, 'the snapshot was brought up to date');

    // Drop the port registration: message.c's project facts change, its own text does not.
    writeFileSync(join(dir, 'filter', 'port.c'), PORT.replace('ScanMessageNotify', 'OtherNotify'));
    const changed = new ResultCache(cacheDir);
    const after = await lint(files, 2, { cache: changed });
    assert.deepEqual(comparable(after), comparable(await lint(files, 2)));
    assert.deepEqual(after.results.find((r) => r.path === 'filter/message.c')!.findings, []);
    assert.ok(changed.misses <= 1 + plain.phase2Files, `${changed.misses} misses`);
    assert.ok(changed.hits >= files.length - 1, `${changed.hits} hits`);
    assert.equal(after.phase2Files, plain.phase2Files - 1, 'message.c is no longer linted again');
    assert.ok(readdirSync(cacheDir).includes('.gitignore'));
    // A damaged entry (the run snapshot included) is a miss, never an error.
    const layout = join(cacheDir, readdirSync(cacheDir).find((d) => /^v\d+$/.test(d))!);
    for (const sub of readdirSync(layout)) for (const e of readdirSync(join(layout, sub))) writeFileSync(join(layout, sub, e), '{"key": "x", "value": ');
    assert.deepEqual(comparable(await lint(files, 2, { cache: new ResultCache(cacheDir) })), comparable(after));
  } finally {
    removeTree(dir);
  }
});

test('with the cache, a file whose size and times are as when it was hashed is not read; any write is noticed', async () => {
  const { dir, files } = tree();
  const cacheDir = join(dir, '.cache');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  try {
    // Files written just before a run are read and hashed every time: their stamps could hide a write made in
    // the same timestamp tick (the default margin is 2 s).
    await lint(files, 1, { cache: new ResultCache(cacheDir) });
    assert.equal((await lint(files, 1, { cache: new ResultCache(cacheDir) })).unread, 0);

    // Whole seconds, so that the modification time can be put back exactly below.
    const copy = join(dir, 'copy.c');
    const past = Math.floor(Date.now() / 1000) - 60;
    utimesSync(copy, past, past);
    await sleep(20);
    const first = await lint(files, 2, { cache: new ResultCache(cacheDir), stampMarginMs: 5 });
    assert.equal(first.unread, 0, 'no stamps were recorded yet');
    const second = await lint(files, 2, { cache: new ResultCache(cacheDir), stampMarginMs: 5 });
    assert.equal(second.unread, files.length, 'every stamp matched');
    assert.deepEqual(comparable(second), comparable(first));

    // Same size, modification time put back: the change time still tells.
    const before = statSync(copy);
    writeFileSync(copy, TWO_WARNINGS.replace('strcat(dst, ".sys");', 'strcat(dst, ".SYS");'));
    utimesSync(copy, past, past);
    assert.equal(statSync(copy).mtimeMs, before.mtimeMs);
    assert.equal(statSync(copy).size, before.size);
    const third = await lint(files, 2, { cache: new ResultCache(cacheDir), stampMarginMs: 5 });
    assert.equal(third.unread, files.length - 1);
    assert.deepEqual(comparable(third), comparable(await lint(files, 2)));
    assert.notDeepEqual(comparable(third), comparable(second), 'the edit changed a finding\'s text');

    // A file replaced by another of the same size (a new inode) is read too.
    const port = join(dir, 'filter', 'port.c');
    const text = readFileSync(port, 'utf8');
    rmSync(port);
    writeFileSync(port, text);
    await sleep(20);
    const fourth = await lint(files, 1, { cache: new ResultCache(cacheDir), stampMarginMs: 5 });
    assert.ok(fourth.unread <= files.length - 1, `${fourth.unread} unread`);
    assert.deepEqual(comparable(fourth), comparable(third));
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
