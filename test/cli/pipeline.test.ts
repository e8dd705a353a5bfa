/**
 * The worker pipeline: identical results for any number of workers and any file order, the cross-file second
 * phase, the cache (same results, only changed work redone), and files that exceed their time or memory budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { DEFAULT_LIMITS, Limits } from '../../server/src/project/config';
import { canonicalJson, hashOf, ResultCache } from '../../server/src/cli/cache';
import { packKey } from '../../server/src/cli/run-cache';
import { Pipeline, PipelineFile, PipelineResult } from '../../server/src/cli/pipeline';
import { generateCorpus } from '../../bench/corpus/generate';
import { makeTree, MESSAGE, MOVES, PORT, removeTree, TWO_WARNINGS } from './cli-helpers';

/** `content` written to a fresh folder, and its files in path order. */
function treeOf(content: Readonly<Record<string, string>>): { dir: string; files: PipelineFile[] } {
  const dir = makeTree(content);
  const files = Object.keys(content)
    .sort()
    .map((file) => ({ file, abs: join(dir, file) }));
  return { dir, files };
}

function tree(): { dir: string; files: PipelineFile[] } {
  const content: Record<string, string> = { 'filter/port.c': PORT, 'filter/message.c': MESSAGE, 'copy.c': TWO_WARNINGS };
  for (const f of generateCorpus({ seed: 11, files: 5 })) content[`gen/${f.path}`] = f.text;
  return treeOf(content);
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
    // the same timestamp tick (the default margin is 2 s). The margin here is a minute, so that a slow machine
    // taking more than 2 s over these runs does not let them record stamps that the runs below must not find.
    await lint(files, 1, { cache: new ResultCache(cacheDir), stampMarginMs: 60_000 });
    assert.equal((await lint(files, 1, { cache: new ResultCache(cacheDir), stampMarginMs: 60_000 })).unread, 0);

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

test('with the cache, an edit that only moves call sites is followed without rebuilding the project index', async () => {
  const content: Record<string, string> = { ...MOVES, 'filter/port.c': PORT, 'filter/message.c': MESSAGE };
  for (const f of generateCorpus({ seed: 5, files: 6 })) content[`gen/${f.path}`] = f.text;
  const { dir, files } = treeOf(content);
  const cacheDir = join(dir, '.cache');
  const edit = (file: string, change: (text: string) => string): void => writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
  const insertLine = (file: string): void => edit(file, (t) => `// ${file}\n${t}`);
  const findingsOf = (r: PipelineResult, file: string) => r.results.find((x) => x.path === file)!.findings;
  /** A cached run after an edit: its results must equal a run without the cache. */
  const rerun = async (): Promise<{ result: PipelineResult; cache: ResultCache }> => {
    const cache = new ResultCache(cacheDir);
    const result = await lint(files, 2, { cache });
    assert.deepEqual(comparable(result), comparable(await lint(files, 2)));
    return { result, cache };
  };
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
  const rerun = async (): Promise<{ result: PipelineResult; cache: CountingCache }> => {
    const cache = new CountingCache(cacheDir);
    const result = await lint(files, 2, { cache });
    assert.deepEqual(comparable(result), comparable(await lint(files, 2)));
    return { result, cache };
  };
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

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Sets every file's times under `dir` to `seconds` since the epoch. */
function ageAll(dir: string, seconds: number): void {
  for (const f of filesUnder(dir)) utimesSync(join(dir, f), seconds, seconds);
}

test('the cache drops what no run has used for a month, once a day, and keeps everything a run uses', async () => {
  const { dir, files } = tree();
  const DAY = 86_400;
  const now = Math.floor(Date.now() / 1000);
  // The same history twice: once left alone, once with the cache aged by 40 days before the third run.
  const history = async (cacheDir: string, age: boolean): Promise<{ pruned: number; next: ResultCache; results: unknown }> => {
    writeFileSync(join(dir, 'copy.c'), TWO_WARNINGS);
    await lint(files, 2, { cache: new ResultCache(cacheDir) });
    // An edit leaves the first version's entries behind, used by no later run.
    writeFileSync(join(dir, 'copy.c'), TWO_WARNINGS.replace('strcat(dst, ".sys");', 'strcat(dst, ".SYS");'));
    await lint(files, 2, { cache: new ResultCache(cacheDir) });
    if (age) ageAll(cacheDir, now - 40 * DAY);
    const third = new ResultCache(cacheDir);
    await lint(files, 2, { cache: third });
    // A change to port.c's summary makes the next run load every other file's entry and lint cross-file again.
    writeFileSync(join(dir, 'filter', 'port.c'), PORT.replace('ScanMessageNotify', 'OtherNotify'));
    const next = new ResultCache(cacheDir);
    const results = comparable(await lint(files, 2, { cache: next }));
    writeFileSync(join(dir, 'filter', 'port.c'), PORT);
    return { pruned: third.pruned, next, results };
  };
  try {
    const control = await history(join(dir, '.control'), false);
    assert.equal(control.pruned, 0, 'nothing is a month old');

    const cacheDir = join(dir, '.cache');
    const layout = join(cacheDir, 'v3');
    // Debris a prune must clear (a temporary file of a killed run, an older layout) or keep (a recent entry).
    const plant = (path: string, seconds: number): string => {
      const file = join(cacheDir, path);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, '{}');
      utimesSync(file, seconds, seconds);
      return file;
    };
    const aged = await history(cacheDir, true);
    const tmp = plant('v3/ab/ab12.json.1.x.tmp', now - 2 * 3600);
    const recent = plant('v3/ab/ab34.json', now);
    const oldLayout = plant('v1/ab/ab56.json', now - 40 * DAY);
    // The prune is done for today: the planted debris stays until the next one.
    const today = new ResultCache(cacheDir);
    await lint(files, 1, { cache: today });
    assert.equal(today.pruned, 0);
    assert.ok(existsSync(tmp) && existsSync(oldLayout));

    assert.ok(aged.pruned >= 1, `${aged.pruned} removed: the first version of copy.c's entries`);
    // Nothing the later run needed was removed: it read and missed exactly what the unaged history did.
    assert.deepEqual(aged.results, control.results);
    assert.deepEqual([aged.next.hits, aged.next.misses], [control.next.hits, control.next.misses]);
    assert.ok(control.next.hits >= files.length - 1, `${control.next.hits} hits`);

    // A day later (every time put back by one day and a second), the debris goes and the recent entry stays.
    ageAll(cacheDir, now - DAY - 1);
    utimesSync(recent, now, now);
    utimesSync(tmp, now - 2 * 3600, now - 2 * 3600);
    utimesSync(oldLayout, now - 40 * DAY, now - 40 * DAY);
    const later = new ResultCache(cacheDir);
    const before = filesUnder(layout).length;
    assert.deepEqual(comparable(await lint(files, 1, { cache: later })), comparable(await lint(files, 1)));
    assert.equal(later.pruned, 2, 'the temporary file and the old layout\'s entry');
    assert.ok(!existsSync(tmp) && !existsSync(join(cacheDir, 'v1')) && existsSync(recent));
    assert.equal(filesUnder(layout).length, before - 1, 'only the temporary file left the current layout');
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
