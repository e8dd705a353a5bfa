/**
 * The command line's worker threads (piscina): one file per task, each within its time budget and its worker's
 * heap limit. A file that exceeds them, or crashes its worker, gets an answer saying why; only a pool that cannot
 * start workers, or an interrupt, fails the run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { EngineConfig } from '../engine/config';
import type { Limits } from '../project/config';
import type { LintAnswer, LintTask, WorkerData } from './worker';

export class PipelineInterrupted extends Error {}

/** The worker pool broke (not one file's analysis): the run cannot finish. */
export class PipelineFailed extends Error {}

/**
 * The worker module: `worker.js` beside this file in the compiled tree, `cli-worker.js` beside the bundle. (In the
 * bundle, piscina's own thread bootstrap is `worker.js` beside it: see scripts/bundle.mjs.)
 */
function workerFile(): string {
  const bundled = join(__dirname, 'cli-worker.js');
  return existsSync(bundled) ? bundled : join(__dirname, 'worker.js');
}

export interface LintPoolOptions {
  readonly engine: EngineConfig;
  readonly limits: Limits;
  readonly jobs: number;
  /** The worker module (tests substitute one that crashes on purpose); by default `worker.js` or the bundle's. */
  readonly workerFile?: string;
}

export class LintPool {
  private pool: Piscina | undefined;
  private destroyed = false;
  /** Files a worker has answered for: none while the pool has never had a working thread. */
  private answered = 0;

  constructor(private readonly options: LintPoolOptions) {}

  /** Starts the pool's first worker, if it has not started (it loads its parser before its first file). */
  start(): void {
    this.getPool();
  }

  private getPool(): Piscina {
    if (this.destroyed) throw new PipelineInterrupted('interrupted');
    if (!this.pool) {
      const memory = this.options.limits.workerMemoryMb;
      // Workers parse with the WebAssembly build of tree-sitter: a worker stopped for its time or memory budget,
      // or by an interrupt, while inside the native binding aborts the whole process (an uncaught C++ exception),
      // while one inside wasm stops cleanly. KSLINT_PARSER=native opts out (for measurements; budgets are then unsafe).
      const data: WorkerData = { config: this.options.engine, parser: process.env.KSLINT_PARSER === 'native' ? 'native' : 'wasm' };
      this.pool = new Piscina({
        filename: this.options.workerFile ?? workerFile(),
        minThreads: 1,
        maxThreads: this.options.jobs,
        concurrentTasksPerWorker: 1,
        idleTimeout: 60_000,
        workerData: data,
        ...(memory !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: memory } } : {}),
      });
      // A worker fails outside any file only when the pool itself is broken (a worker that cannot start, e.g. a
      // missing module): piscina then stops starting workers and every file would wait forever. The run fails.
      // Which of this handler and a task's rejection comes first depends on how many files are queued and how
      // many threads piscina has begun to start: before any file came back, both say the workers cannot start.
      this.pool.on('error', (err: unknown) => {
        const msg = err instanceof Error ? err.message : String(err);
        this.fail(new PipelineFailed(this.answered === 0 ? `the worker threads cannot start: ${msg.split('\n')[0]}` : `a worker thread failed: ${msg}`));
      });
    }
    return this.pool;
  }

  private failure: PipelineFailed | undefined;
  private readonly failureListeners = new Set<(err: PipelineFailed) => void>();

  private fail(err: PipelineFailed): void {
    this.failure ??= err;
    for (const l of this.failureListeners) l(this.failure);
  }

  /** `work`, unless the pool breaks first (see `getPool`). */
  private async unlessFailed<T>(work: Promise<T>): Promise<T> {
    if (this.failure) throw this.failure;
    let listener: ((err: PipelineFailed) => void) | undefined;
    const failed = new Promise<never>((_, reject) => this.failureListeners.add((listener = reject)));
    try {
      return await Promise.race([work, failed]);
    } finally {
      this.failureListeners.delete(listener!);
    }
  }

  /** Stops the workers; pending files fail with `PipelineInterrupted`. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }

  /** One file's task; every failure but a broken pool or an interrupt becomes a "not analysed" answer. */
  async run(task: LintTask): Promise<LintAnswer> {
    const budget = this.options.limits.fileTimeoutMs;
    const signal = AbortSignal.timeout(budget);
    try {
      const answer = (await this.unlessFailed(this.getPool().run(task, { signal }))) as LintAnswer;
      this.answered++;
      return answer;
    } catch (err) {
      if (this.destroyed) throw new PipelineInterrupted('interrupted');
      if (err instanceof PipelineFailed) throw err;
      if (signal.aborted) return { ok: false, reason: `took longer than ${budget / 1000} s (limits.fileTimeout); stopped` };
      const msg = err instanceof Error ? err.message : String(err);
      // No worker left and none being started: the pool cannot start workers at all (see `getPool`).
      if (this.pool && this.pool.threads.length === 0) {
        this.fail(new PipelineFailed(`the worker threads cannot start: ${msg.split('\n')[0]}`));
        throw this.failure!;
      }
      if (/out of memory|ERR_WORKER_OUT_OF_MEMORY/i.test(msg) || (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
        return { ok: false, reason: `needed more than ${this.options.limits.workerMemoryMb} MB of memory (limits.workerMemory); stopped` };
      }
      return { ok: false, reason: `analysis crashed: ${msg.split('\n')[0]}` };
    }
  }
}
