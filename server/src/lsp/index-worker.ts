/**
 * The workspace index's worker thread (run by piscina): parses and summarizes one file per task, so that the
 * language server's own thread stays free for the documents being edited. It parses with the WebAssembly build
 * of tree-sitter, so that a task stopped for its time budget stops cleanly (see the command line's worker).
 */
import type { EngineConfig } from '../engine/config';
import { FileSummary, summarizeFile } from '../engine/lint';
import { disposeParsed, languageForPath, ParsedFile, Parsers, parseFile } from '../engine/parse/parse';
import { threadId } from 'node:worker_threads';
import { workerParsers } from '../project/worker-parsers';

export interface SummaryTask {
  readonly path: string;
  readonly text: string;
  readonly config: EngineConfig;
}

/** `thread`: the answering worker's thread id (the index log counts the threads that took part). */
export type SummaryAnswer = ({ readonly ok: true; readonly summary: FileSummary } | { readonly ok: false; readonly reason: string }) & { readonly thread: number };

const parsers: Promise<Parsers> = workerParsers('wasm');

export default async function summaryTask(task: SummaryTask): Promise<SummaryAnswer> {
  const p = await parsers;
  if (languageForPath(task.path) !== 'c') await p.backend.ready('cpp');
  let parsed: ParsedFile | undefined;
  try {
    parsed = parseFile(p, task.path, task.text, { macros: task.config.macros, headerLanguage: task.config.headerLanguage });
    return { ok: true, summary: summarizeFile(parsed, task.config), thread: threadId };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err), thread: threadId };
  } finally {
    if (parsed) disposeParsed(parsed);
  }
}
