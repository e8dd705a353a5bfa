/**
 * The lint worker (one per `--jobs`, run by piscina). Phase 1: decode, parse, summarize, and lint a file against
 * an index of that file alone. Phase 2: lint again against the project facts the file depends on, a slice of the
 * project index that the main thread built from all summaries. Every failure inside a file becomes a "skipped" answer; the main
 * thread handles the rest (time budget, a worker that dies).
 */
import { workerData } from 'node:worker_threads';
import { disposeParsed, languageForPath, ParsedFile, Parsers, parseFile } from '../engine/parse/parse';
import { buildProjectIndex, dependencyKey, FileResult, FileSummary, lintParsed, summarizeFile } from '../engine/lint';
import { summaryShape } from '../engine/index/summary';
import { EMPTY_PROJECT, FileAnalysis } from '../engine/analysis';
import type { EngineConfig } from '../engine/config';
import { decodeSource, SourceEncoding } from '../project/read-source';
import { workerParsers } from '../project/worker-parsers';
import { hashOf } from './cache';
import { IndexSlice, sliceToIndex } from './slice';
import { RULES } from '../../../rules/index.generated';

export interface WorkerData {
  readonly config: EngineConfig;
  /** The tree-sitter build to parse with (see `Pipeline`). */
  readonly parser: 'native' | 'wasm';
}

export interface LintTask {
  readonly phase: 1 | 2;
  /** Display path: what findings carry. */
  readonly file: string;
  readonly bytes: Uint8Array;
  /** Phase 2: the project facts the file depends on (see `sliceIndex`). */
  readonly slice?: IndexSlice;
  /**
   * Phase 1 of an edited file that was linted against project facts last run: those facts, the likely ones this
   * run. The file is also linted against them, so that it needs no second pass if they still hold.
   */
  readonly likely?: IndexSlice;
}

export interface FileTimings {
  readonly decode: number;
  readonly parse: number;
  readonly summarize: number;
  readonly rules: number;
}

export type LintAnswer =
  | {
      readonly ok: true;
      readonly result: FileResult;
      /** Phase 1 only: the file's summary and its `dependencyKey` under an index of the file alone. */
      readonly summary?: FileSummary;
      /** Phase 1 only: the hash of the summary's JSON, and of its JSON without positions (see `summaryShape`). */
      readonly summaryHash?: string;
      readonly shapeHash?: string;
      readonly key?: string;
      /** Phase 1 with `likely`: the result against those facts. */
      readonly likelyResult?: FileResult;
      readonly encoding: SourceEncoding;
      readonly replaced: boolean;
      readonly timings: FileTimings;
    }
  | { readonly ok: false; readonly reason: string };

const { config, parser } = workerData as WorkerData;
const now = (): number => performance.now();

/** A failure to load the parser reaches each task, which reports its file as not analysed. */
const parsers: Promise<Parsers> = workerParsers(parser === 'wasm' ? 'wasm' : 'auto');

export default async function lintTask(task: LintTask): Promise<LintAnswer> {
  const p = await parsers;
  // Only a .c file is sure to need no C++ grammar (headers may be parsed as either).
  if (languageForPath(task.file) !== 'c') await p.backend.ready('cpp');
  const t0 = now();
  const decoded = decodeSource(Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength));
  if (!decoded.ok) return { ok: false, reason: decoded.reason };
  let parsed: ParsedFile | undefined;
  try {
    const t1 = now();
    parsed = parseFile(p, task.file, decoded.text, { macros: config.macros, headerLanguage: config.headerLanguage });
    const t2 = now();
    // Phase 2 needs no summary: the main thread has it from phase 1. In phase 1 the rules reuse the flows the
    // summary solved (they are symbolic in the parameters; only the seeds change with the index).
    const local = task.slice ? undefined : new FileAnalysis(parsed, EMPTY_PROJECT, config);
    const summary = local && summarizeFile(parsed, config, local);
    const t3 = now();
    const index = task.slice ? sliceToIndex(task.slice) : buildProjectIndex([summary!]);
    const result = lintParsed(parsed, RULES, config, index, local?.withProject(index));
    let likelyResult: FileResult | undefined;
    if (local && task.likely) {
      const likely = sliceToIndex(task.likely);
      likelyResult = lintParsed(parsed, RULES, config, likely, local.withProject(likely));
    }
    const t4 = now();
    // The summary's hash lets a cached run tell that an edited file left the project index as it was.
    const summaryHash = summary && hashOf(JSON.stringify(summary));
    const shapeHash = summary && hashOf(summaryShape(summary));
    return { ok: true, result, summary, summaryHash, shapeHash, key: summary && dependencyKey(index, summary), likelyResult, encoding: decoded.encoding, replaced: decoded.replaced, timings: { decode: t1 - t0, parse: t2 - t1, summarize: t3 - t2, rules: t4 - t3 } };
  } catch (err) {
    return { ok: false, reason: `analysis failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (parsed) disposeParsed(parsed);
    // Native trees are released only when the event loop turns (see STACK.md): yield before the next file.
    await new Promise((r) => setImmediate(r));
  }
}
