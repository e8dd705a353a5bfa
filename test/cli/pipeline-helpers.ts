/** Shared by the pipeline tests: small trees on disk, a pipeline run over them, results as reports see them. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { DEFAULT_LIMITS, Limits } from '../../server/src/project/config';
import { readFileSync, writeFileSync } from 'node:fs';
import { ResultCache } from '../../server/src/cli/cache';
import { Pipeline, PipelineFile } from '../../server/src/cli/pipeline';
import { PipelineResult } from '../../server/src/cli/pipeline-result';
import { generateCorpus } from '../../bench/corpus/generate';
import { makeTree, MESSAGE, PORT, removeTree, TWO_WARNINGS } from './cli-helpers';

/** `content` written to a fresh folder, and its files in path order. */
export function treeOf(content: Readonly<Record<string, string>>): { dir: string; files: PipelineFile[] } {
  const dir = makeTree(content);
  const files = Object.keys(content)
    .sort()
    .map((file) => ({ file, abs: join(dir, file) }));
  return { dir, files };
}

export function tree(): { dir: string; files: PipelineFile[] } {
  const content: Record<string, string> = { 'filter/port.c': PORT, 'filter/message.c': MESSAGE, 'copy.c': TWO_WARNINGS };
  for (const f of generateCorpus({ seed: 11, files: 5 })) content[`gen/${f.path}`] = f.text;
  return treeOf(content);
}

export async function lint(files: readonly PipelineFile[], jobs: number, extra: { limits?: Partial<Limits>; cache?: ResultCache; stampMarginMs?: number } = {}): Promise<PipelineResult> {
  const p = new Pipeline({ engine: DEFAULT_ENGINE_CONFIG, limits: { ...DEFAULT_LIMITS, ...extra.limits }, jobs, cache: extra.cache && { store: extra.cache, toolKey: 'test' }, stampMarginMs: extra.stampMarginMs });
  try {
    return await p.run(files);
  } finally {
    await p.destroy();
  }
}

/** As reports see them (JSON): a cached result has no keys whose value is undefined. */
export const comparable = (r: PipelineResult) => JSON.parse(JSON.stringify({ results: r.results, skipped: r.skipped, phase2Files: r.phase2Files }));

/** A run with `cache` (after an edit, say), asserted to give exactly what a run without the cache gives. */
export async function cachedRun<C extends ResultCache>(files: readonly PipelineFile[], cache: C, what?: string): Promise<{ result: PipelineResult; cache: C }> {
  const result = await lint(files, 2, { cache });
  assert.deepEqual(comparable(result), comparable(await lint(files, 2)), what);
  return { result, cache };
}

/**
 * The pipeline over `content` with 1 job, and with 2 jobs over the files reversed (asserted equal); then, with a
 * cache filled by a run, `edit` applied on disk to `file` and a cached run (asserted equal to one without the cache).
 */
export async function editedRun(content: Readonly<Record<string, string>>, file: string, edit: (text: string) => string): Promise<{ first: PipelineResult; edited: PipelineResult }> {
  const { dir, files } = treeOf(content);
  try {
    const first = await lint(files, 1);
    assert.deepEqual(comparable(await lint([...files].reverse(), 2)), comparable(first));
    await lint(files, 2, { cache: new ResultCache(join(dir, '.cache')) });
    writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')));
    const edited = await lint(files, 2, { cache: new ResultCache(join(dir, '.cache')) });
    assert.deepEqual(comparable(edited), comparable(await lint(files, 2)));
    return { first, edited };
  } finally {
    removeTree(dir);
  }
}
