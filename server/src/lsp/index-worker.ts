/**
 * The workspace index's worker thread (run by piscina): parses and summarizes one file per task, so that the
 * language server's own thread stays free for the documents being edited. It parses with the WebAssembly build
 * of tree-sitter, so that a task stopped for its time budget stops cleanly (see the command line's worker).
 */
import type { EngineConfig } from '../engine/config';
import { FileSummary, summarizeFile } from '../engine/lint';
import { disposeParsed, languageForPath, ParsedFile, Parsers, parseFile } from '../engine/parse/parse';
import { workerParsers } from '../project/worker-parsers';

export interface SummaryTask {
  readonly path: string;
  readonly text: string;
  readonly config: EngineConfig;
}

export type SummaryAnswer = { readonly ok: true; readonly summary: FileSummary } | { readonly ok: false; readonly reason: string };

const parsers: Promise<Parsers> = workerParsers('wasm');

export default async function summaryTask(task: SummaryTask): Promise<SummaryAnswer> {
  const p = await parsers;
  if (languageForPath(task.path) !== 'c') await p.backend.ready('cpp');
  let parsed: ParsedFile | undefined;
  try {
    parsed = parseFile(p, task.path, task.text, { macros: task.config.macros, headerLanguage: task.config.headerLanguage });
    return { ok: true, summary: summarizeFile(parsed, task.config) };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    if (parsed) disposeParsed(parsed);
  }
}
