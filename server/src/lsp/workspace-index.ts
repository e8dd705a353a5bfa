/**
 * The background index of the workspace: every C/C++ file is parsed once and reduced to its summary (functions,
 * entry-point registrations, calls carrying untrusted data), so inter-procedural findings work for open
 * documents. Runs in slices that yield to the event loop between files, so requests are answered meanwhile and
 * native trees are freed; reports progress; updated from watched-file events. With a cache folder (VS Code gives
 * its workspace storage), summaries are stored under a hash of the tool, the file's configuration, path and text,
 * so a restarted server parses only the files that changed since.
 */
import { canonicalJson, hashOf, ResultCache } from '../cli/cache';
import { pruneIfDue } from '../cli/run-cache';
import { forEachLimited } from '../project/limited';
import { FileSummary, summarizeFile } from '../engine/lint';
import { SUMMARY_VERSION } from '../engine/index/summary';
import { parseFile, Parsers } from '../engine/parse/parse';
import type { EngineConfig } from '../engine/config';
import type { ProjectState } from './project-state';
import { findSourceFiles, readSource } from './workspace-files';

export interface IndexProgress {
  begin(title: string): void;
  report(done: number, total: number): void;
  done(): void;
}

/** A file's summary for the index, or why it has none. */
export interface IndexedFile {
  readonly summary?: FileSummary;
  readonly reason?: string;
  /** The worker thread that made it, when one did. */
  readonly thread?: number;
}

export interface IndexHost {
  readonly parsers: Parsers;
  readonly project: ProjectState;
  configFor(path: string): EngineConfig;
  /** Open documents are summarized from their buffers instead. */
  isOpen(path: string): boolean;
  log(message: string): void;
  /** Where summaries survive a restart, and the fingerprint of the tool their keys include. */
  readonly cache?: { readonly store: ResultCache; readonly toolKey: string };
  /**
   * Parses and summarizes a file elsewhere (a worker thread): a summary, or why the file has none. Undefined when
   * it cannot (no worker): the file is then summarized on this thread.
   */
  summarize?(path: string, text: string, config: EngineConfig): Promise<IndexedFile | undefined>;
  /** How many files `summarize` may work on at once (its threads); 1 when absent. */
  readonly concurrency?: number;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class WorkspaceIndex {
  private generation = 0;
  private files = new Set<string>();
  /** Cache keys used since the last complete `indexAll` (kept by the prune). */
  private live = new Set<string>();
  /** Files summarized by `IndexHost.summarize` since `indexAll` began, and the threads that did it. */
  private elsewhere = 0;
  private readonly threads = new Set<number>();

  constructor(private readonly host: IndexHost) {}

  /** Every indexed source file (sorted). */
  paths(): string[] {
    return [...this.files].sort();
  }

  /** Re-indexes the whole workspace; a later call supersedes a running one. Resolves to the number of files. */
  async indexAll(roots: readonly string[], progress?: IndexProgress): Promise<number> {
    const generation = ++this.generation;
    const stale = (): boolean => generation !== this.generation;
    progress?.begin('kslint: indexing C/C++ files');
    // Edits analysed meanwhile use the index as it stands; the caller re-checks open documents afterwards.
    const release = this.host.project.hold();
    try {
      const found = await findSourceFiles(roots, { shouldStop: stale });
      if (stale()) return 0;
      const keep = new Set(found);
      for (const old of this.files) if (!keep.has(old)) this.host.project.setDisk(old, undefined);
      this.files = keep;
      this.live = new Set();
      this.elsewhere = 0;
      this.threads.clear();
      const hits = this.host.cache?.store.hits ?? 0;
      const t0 = performance.now();
      let done = 0;
      // The index does not depend on the order in which files are summarized (see buildProjectIndex).
      const indexOne = async (file: string): Promise<void> => {
        await this.indexFile(file);
        done++;
        if (done % 10 === 1 || done === found.length) progress?.report(done, found.length);
        await tick();
      };
      await forEachLimited(found, this.host.concurrency ?? 1, indexOne, stale);
      if (stale()) return done;
      const cache = this.host.cache;
      const fromCache = cache ? `, ${cache.store.hits - hits} from the cache` : '';
      const inWorker = this.elsewhere ? `, ${this.elsewhere} parsed in ${this.threads.size > 1 ? `${this.threads.size} worker threads` : 'a worker thread'}` : '';
      this.host.log(`indexed ${found.length} C/C++ file(s) in ${roots.length} workspace folder(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s${fromCache}${inWorker}`);
      if (cache) pruneIfDue(cache.store, hashOf(cache.toolKey, 'workspace index', ...[...roots].sort()), this.live);
      return found.length;
    } finally {
      release();
      progress?.done();
    }
  }

  /** Stops a running `indexAll` and forgets the index (the workspace became untrusted, or indexing was turned off). */
  clear(): void {
    this.generation++;
    this.files.clear();
    this.host.project.clearDisk();
  }

  /** A watched file was created, changed or deleted. Returns whether the project facts changed. */
  async update(path: string, deleted: boolean): Promise<boolean> {
    if (deleted) {
      this.files.delete(path);
      return this.host.project.setDisk(path, undefined);
    }
    this.files.add(path);
    return this.indexFile(path);
  }

  private async indexFile(path: string): Promise<boolean> {
    const text = await readSource(path);
    if (text === undefined) return this.host.project.setDisk(path, undefined);
    const config = this.host.configFor(path);
    const cache = this.host.cache;
    const key = cache && hashOf(cache.toolKey, canonicalJson(config), 'workspace summary', path, text);
    if (key) {
      this.live.add(key);
      const stored = cache.store.get<FileSummary>(key);
      if (stored && stored.version === SUMMARY_VERSION && stored.path === path && Array.isArray(stored.functions) && Array.isArray(stored.registrations) && Array.isArray(stored.ioctls) && Array.isArray(stored.ioctlRefs) && Array.isArray(stored.macros) && Array.isArray(stored.macroRefs) && Array.isArray(stored.addressRefs) && Array.isArray(stored.types) && Array.isArray(stored.memberRefs) && Array.isArray(stored.memberUsers) && Array.isArray(stored.explanations)) {
        return this.host.project.setDisk(path, stored);
      }
    }
    const elsewhere = await this.host.summarize?.(path, text, config);
    if (elsewhere) {
      this.elsewhere++;
      if (elsewhere.thread !== undefined) this.threads.add(elsewhere.thread);
    }
    const { summary, reason } = elsewhere ?? this.summarizeHere(path, text, config);
    if (!summary) this.host.log(`could not index ${path}: ${reason ?? 'no summary'}`);
    else if (key) cache.store.set(key, summary);
    return this.host.project.setDisk(path, summary);
  }

  /** Parses and summarizes a file on this thread (when `IndexHost.summarize` cannot). */
  private summarizeHere(path: string, text: string, config: EngineConfig): IndexedFile {
    try {
      const parsed = parseFile(this.host.parsers, path, text, { macros: config.macros, headerLanguage: config.headerLanguage });
      try {
        return { summary: summarizeFile(parsed, config) };
      } finally {
        parsed.tree.delete?.();
      }
    } catch (err) {
      return { reason: err instanceof Error ? err.message : String(err) };
    }
  }
}
