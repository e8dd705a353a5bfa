/**
 * What a lint run hands back, and the per-file record it is assembled from. Each file's record is filled in by
 * phase 1, the cache and phase 2 in turn; keeping the record and the final assembly together lets the pipeline,
 * the summary pack and the re-run that follows moved call sites share one definition of a file's state.
 */
import type { FileResult } from '../engine/lint';
import type { SkippedFile } from '../report/run';
import type { FileStamp, SourceEncoding } from '../project/read-source';
import type { Phase1Entry, SnapshotFile } from './run-cache';
import type { IndexSlice } from './slice';
import type { PipelineFile } from './pipeline';

export interface PipelineTimings {
  /** Wall-clock milliseconds of each phase. */
  phase1: number;
  index: number;
  phase2: number;
  /** Milliseconds summed over all workers. */
  worker: { decode: number; parse: number; summarize: number; rules: number };
}

export interface PipelineResult {
  /** One per linted file, sorted by path. */
  readonly results: FileResult[];
  readonly skipped: SkippedFile[];
  /** Files decoded with replacement characters (invalid UTF-8), and per encoding counts. */
  readonly replaced: string[];
  readonly encodings: Record<SourceEncoding, number>;
  readonly phase2Files: number;
  /** Files not read at all: their stamps matched the cache's record (see `trustedStamp`). */
  readonly unread: number;
  /** Files whose last result moved with an edit in another file instead of being linted again (see `followResult`). */
  readonly followed: number;
  /** Files a worker linted, per phase (the rest came from the cache). */
  readonly tasks: { readonly phase1: number; readonly phase2: number };
  /** Per linted file, the hash of the bytes its result was computed from (`--fix` rewrites only those bytes). */
  readonly contentHashes: ReadonlyMap<string, string>;
  readonly timings: PipelineTimings;
}

/** One file's record through a run: filled in by phase 1 (or the cache), then phase 2. */
export interface FileState {
  readonly f: PipelineFile;
  contentHash?: string;
  cacheKey?: string;
  entry?: Phase1Entry;
  /** From the run snapshot, for a file with no entry loaded (see `Snapshot`). */
  kept?: SnapshotFile;
  /** The snapshot's record of a file unchanged since (when an edit elsewhere changed a summary). */
  prior?: SnapshotFile;
  /** Its stamp: as read this run, or the snapshot's when that still matched. */
  stamp?: FileStamp;
  final?: FileResult;
  skipped?: string;
  /** An edited file's slice from the last run, sent with its phase 1 (see `LintTask.likely`), and its result then. */
  likely?: IndexSlice;
  likelyResult?: FileResult;
}

/** The run's result from its files' records: results and skipped files sorted by path, encodings counted. */
export function assembleResult(states: readonly FileState[], phase2Files: number, unread: number, followed: number, tasks: { readonly phase1: number; readonly phase2: number }, timings: PipelineTimings): PipelineResult {
  const results: FileResult[] = [];
  const skipped: SkippedFile[] = [];
  const replaced: string[] = [];
  const contentHashes = new Map<string, string>();
  const encodings: Record<SourceEncoding, number> = { 'utf-8': 0, 'utf-8-bom': 0, 'utf-16le': 0, 'utf-16be': 0 };
  for (const s of states) {
    if (s.skipped !== undefined || !s.final) {
      skipped.push({ file: s.f.file, reason: s.skipped ?? 'not analysed' });
      continue;
    }
    results.push(s.final);
    if (s.contentHash !== undefined) contentHashes.set(s.f.file, s.contentHash);
    const meta = (s.entry ?? s.kept)!;
    encodings[meta.encoding]++;
    if (meta.replaced) replaced.push(s.f.file);
  }
  const byPath = (a: { path?: string; file?: string }, b: { path?: string; file?: string }): number => {
    const x = a.path ?? a.file ?? '';
    const y = b.path ?? b.file ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  };
  results.sort(byPath);
  skipped.sort(byPath);
  replaced.sort();
  return { results, skipped, replaced, encodings, phase2Files, unread, followed, tasks: { ...tasks }, contentHashes, timings };
}
