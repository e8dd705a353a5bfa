/**
 * The cache under a random sequence of small edits (lines inserted, deleted, appended, a call's spacing changed) to
 * files that pass untrusted data to one another: after every edit, a cached run gives exactly what a run without
 * the cache gives, whichever shortcut it took (a snapshot, moved results, a slice kept from the last run, the pack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultCache } from '../../server/src/cli/cache';
import { generateCorpus } from '../../bench/corpus/generate';
import { random } from '../helpers';
import { CHAIN, MESSAGE, MOVES, PORT, removeTree } from './cli-helpers';
import { cachedRun, lint, treeOf } from './pipeline-helpers';

const EDITS = ['insert', 'delete', 'append', 'space'] as const;

/** `text` with one random edit: never one that breaks the file's last line off its newline. */
function edited(text: string, kind: (typeof EDITS)[number], rand: () => number, n: number): string {
  const lines = text.split('\n');
  const at = Math.floor(rand() * Math.max(1, lines.length - 1));
  if (kind === 'insert') lines.splice(at, 0, `// edit ${n}`);
  else if (kind === 'delete' && lines.length > 2) lines.splice(at, 1);
  else if (kind === 'space') {
    const i = lines.findIndex((l, j) => j >= at && l.includes('('));
    if (i >= 0) lines[i] = lines[i].replace('(', ' (');
  } else lines.splice(lines.length - 1, 0, `// edit ${n}`);
  return lines.join('\n');
}

test('after every edit of a random sequence, a cached run equals a run without the cache', async () => {
  const content: Record<string, string> = { ...MOVES, ...CHAIN, 'filter/port.c': PORT, 'filter/message.c': MESSAGE };
  for (const f of generateCorpus({ seed: 23, files: 4 })) content[`gen/${f.path}`] = f.text;
  const { dir, files } = treeOf(content);
  const cacheDir = join(dir, '.cache');
  // Most edits go to the files that pass data on or receive it, where the shortcuts are taken.
  const crossFile = [...Object.keys(MOVES), ...Object.keys(CHAIN), 'filter/port.c', 'filter/message.c'];
  const all = Object.keys(content);
  const rand = random(41);
  let followed = 0;
  let secondPasses = 0;
  try {
    await lint(files, 2, { cache: new ResultCache(cacheDir) });
    for (let n = 1; n <= 10; n++) {
      const pool = rand() < 0.8 ? crossFile : all;
      const file = pool[Math.floor(rand() * pool.length)];
      const kind = EDITS[Math.floor(rand() * EDITS.length)];
      writeFileSync(join(dir, file), edited(readFileSync(join(dir, file), 'utf8'), kind, rand, n));
      const { result: cached } = await cachedRun(files, new ResultCache(cacheDir), `edit ${n}: ${kind} in ${file}`);
      followed += cached.followed;
      secondPasses += cached.tasks.phase2;
    }
    // Not vacuous: the sequence took the shortcut of moving results at least once.
    assert.ok(followed >= 1, `${followed} results moved, ${secondPasses} second passes`);
  } finally {
    removeTree(dir);
  }
});
