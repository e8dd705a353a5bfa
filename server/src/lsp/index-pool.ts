/**
 * The workspace index's worker threads. Parsing and summarizing the workspace happens off the server's thread so
 * that an edit is analysed without waiting behind the index; threads start on first use and end when idle, and
 * where they cannot run at all the index falls back to the server's thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { EngineConfig } from '../engine/config';
import { DEFAULT_LIMITS } from '../project/config';
import type { SummaryAnswer, SummaryTask } from './index-worker';
import type { IndexedFile } from './workspace-index';

export class IndexWorkerPool {
  /** The workspace index's worker thread (started on first use, gone when idle); false once it failed to start. */
  private indexPool: Piscina | false | undefined;
  /** Whether the index's worker ever answered (a failure before that means it cannot run here). */
  private indexWorkerRan = false;
  /** How many threads (see `InitOptions.indexThreads`). */
  threads = Math.min(4, Math.max(1, availableParallelism() - 1));

  constructor(private readonly log: (message: string) => void) {}

  /**
   * Parses and summarizes a file for the workspace index in the index's worker thread, so that edits are analysed
   * without waiting behind it. A file over its time budget has no summary (and the worker is replaced); undefined
   * when the worker cannot run (the index then works on this thread).
   */
  async summarize(path: string, text: string, config: EngineConfig): Promise<IndexedFile | undefined> {
    if (this.indexPool === false) return undefined;
    const filename = join(__dirname, 'index-worker.js');
    if (!this.indexPool) {
      if (!existsSync(filename)) return undefined;
      // Threads end when idle, returning their memory; the editor's own analysis keeps a core (see `threads`).
      this.indexPool = new Piscina({ filename, minThreads: 0, maxThreads: this.threads, idleTimeout: 10_000, resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    }
    const budget = DEFAULT_LIMITS.fileTimeoutMs;
    const signal = AbortSignal.timeout(budget);
    try {
      const answer = (await this.indexPool.run({ path, text, config } satisfies SummaryTask, { signal })) as SummaryAnswer;
      this.indexWorkerRan = true;
      return answer.ok ? { summary: answer.summary, thread: answer.thread } : { reason: answer.reason, thread: answer.thread };
    } catch (err) {
      if (signal.aborted) return { reason: `took longer than ${budget / 1000} s; skipped` };
      const message = err instanceof Error ? err.message : String(err);
      if (!this.indexWorkerRan) {
        this.log(`the index's worker thread cannot run (${message.split('\n')[0]}); indexing on the server's thread`);
        this.indexPool = false;
        return undefined;
      }
      return { reason: message.split('\n')[0] };
    }
  }

  /** Stops the threads for good (the server is shutting down). */
  async destroy(): Promise<void> {
    if (this.indexPool) await this.indexPool.destroy();
    this.indexPool = false;
  }
}
