/** The pipeline's cache: the same results as without it, only changed work redone, stamps, pruning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultCache } from '../../server/src/cli/cache';
import { PORT, removeTree, TWO_WARNINGS } from './cli-helpers';
import { comparable, lint, tree } from './pipeline-helpers';

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
