/**
 * The parallel lint pipeline (worker threads: see `LintPool`):
 *   phase 1, per file in workers: decode, parse, summarize, lint against an index of the file alone;
 *   main thread: build the project index from all summaries;
 *   phase 2, in workers: lint again only the files whose project dependency key differs from their local one.
 * Results do not depend on the number of workers or the order of files. Each file has a time budget and each
 * worker a heap limit; a file that exceeds them, or crashes its worker, is reported as skipped and the run goes on.
 * With a cache, phase-1 and phase-2 results are stored under content hashes and reused. Each file's record and the
 * run's result are in `pipeline-result.ts`, phase 1's use of the summary pack in `pack-source.ts`, and how a
 * re-run follows edits that only moved call sites in `follow-moves.ts`.
 */
import { statSync } from 'node:fs';
import type { EngineConfig } from '../engine/config';
import { buildProjectIndex, dependencyKey, FileResult } from '../engine/lint';
import type { Limits } from '../project/config';
import { forEachLimited } from '../project/limited';
import { FileStamp, readSourceBytes, sameStamp, stampOf } from '../project/read-source';
import { canonicalJson, hashOf, ResultCache } from './cache';
import { followMoves, KeyOverride } from './follow-moves';
import { PackSource } from './pack-source';
import { assembleResult, FileState, PipelineResult, PipelineTimings } from './pipeline-result';
import { loadEntry, loadSnapshot, packKey, pruneIfDue, Snapshot, SnapshotFile, snapshotKey, STAMP_MARGIN_MS, storeEntry, storePack, trustedStamp } from './run-cache';
import type { FileTimings } from './worker';
import { LintPool } from './lint-pool';
import { IndexSlice, sliceIndex } from './slice';
import { followResult } from '../engine/index/moves';

export { PipelineFailed, PipelineInterrupted } from './lint-pool';

export interface PipelineFile {
  readonly abs: string;
  /** Display path, carried by findings. */
  readonly file: string;
}

export interface PipelineOptions {
  readonly engine: EngineConfig;
  readonly limits: Limits;
  readonly jobs: number;
  /** A cache and the fingerprint of the tool (version, rules, engine build) its keys include. */
  readonly cache?: { readonly store: ResultCache; readonly toolKey: string };
  readonly onProgress?: (phase: 1 | 2, done: number, total: number) => void;
  /** The worker module (tests substitute one that crashes on purpose); by default `worker.js` or the bundle's. */
  readonly workerFile?: string;
  /** See `STAMP_MARGIN_MS` (tests shorten it so as not to wait). */
  readonly stampMarginMs?: number;
}

export class Pipeline {
  private readonly workers: LintPool;
  private unread = 0;
  /** Files whose last result followed an edit elsewhere without being linted again (see `followResult`). */
  private followed = 0;
  /** Files sent to a worker, per phase. */
  private readonly tasks = { phase1: 0, phase2: 0 };
  /** Phase 1's entries from the summary pack (see `PackSource`). */
  private readonly pack: PackSource;
  private readonly timings: PipelineTimings = { phase1: 0, index: 0, phase2: 0, worker: { decode: 0, parse: 0, summarize: 0, rules: 0 } };

  constructor(private readonly options: PipelineOptions) {
    this.workers = new LintPool(options);
    this.pack = new PackSource(options.cache);
  }

  /** Stops the workers; pending files fail with `PipelineInterrupted`. */
  destroy(): Promise<void> {
    return this.workers.destroy();
  }

  private addTimings(t: FileTimings): void {
    const w = this.timings.worker;
    w.decode += t.decode;
    w.parse += t.parse;
    w.summarize += t.summarize;
    w.rules += t.rules;
  }

  async run(files: readonly PipelineFile[]): Promise<PipelineResult> {
    const { cache, engine, limits, jobs, onProgress } = this.options;
    const configKey = cache ? hashOf(cache.toolKey, canonicalJson(engine)) : '';
    const states: FileState[] = files.map((f) => ({ f }));
    const snapKey = cache ? snapshotKey(configKey, files.map((f) => f.file)) : '';
    const lookahead = Math.max(2, jobs * 2);
    // Wall-clock time (file times are on the same clock) before any file is looked at: see `trustedStamp`.
    const runStart = Date.now();

    const t0 = performance.now();
    let done = 0;
    const progress1 = (): void => onProgress?.(1, ++done, states.length);
    const analyse = async (s: FileState, bytes: Buffer): Promise<void> => {
      const a = await this.workers.run({ phase: 1, file: s.f.file, bytes, ...(s.likely ? { likely: s.likely } : {}) });
      this.tasks.phase1++;
      if (!a.ok || !a.summary || a.key === undefined || a.summaryHash === undefined || a.shapeHash === undefined) s.skipped = a.ok ? 'analysis returned no summary' : a.reason;
      else {
        this.addTimings(a.timings);
        s.entry = { result: a.result, summary: a.summary, summaryHash: a.summaryHash, shapeHash: a.shapeHash, key: a.key, encoding: a.encoding, replaced: a.replaced };
        s.likelyResult = a.likelyResult;
        if (s.cacheKey) storeEntry(cache!.store, s.cacheKey, s.entry);
      }
      progress1();
    };
    const readAndHash = (s: FileState): Buffer | undefined => {
      const read = readSourceBytes(s.f.abs, { maxBytes: limits.maxFileBytes });
      if (!read.ok) {
        s.skipped = read.reason;
        progress1();
        return undefined;
      }
      s.stamp = read.stamp;
      s.contentHash = hashOf(read.bytes);
      s.cacheKey = cache && hashOf(configKey, s.f.file, s.contentHash);
      return read.bytes;
    };

    const reanalyse = async (s: FileState): Promise<void> => {
      const bytes = this.readAgain(s);
      if (bytes) await analyse(s, bytes);
      else progress1();
    };
    if (!cache) {
      await forEachLimited(states, lookahead, async (s) => {
        const bytes = readAndHash(s);
        if (bytes) await analyse(s, bytes);
      });
    } else {
      // Every file is hashed first, so the files without a stored answer reach the workers at once and the main
      // thread loads the stored answers while they work. Their bytes are read again when a worker is free (a file
      // changed in between is skipped as changed, as in phase 2), so memory holds only what is being linted.
      // With a snapshot of the last run over these files (see `Snapshot`), a file whose stamp is the one recorded
      // when it was hashed is not read at all, and only the edited files are looked at first. A worker starts as
      // soon as hashing meets a file to analyse, and loads its parser meanwhile.
      const snap = loadSnapshot(cache.store, snapKey);
      const readable = states.filter((s) => {
        const known = snap?.files[s.f.file];
        if (known?.stamp && typeof known.contentHash === 'string' && this.stampUnchanged(s.f.abs, known.stamp)) {
          s.stamp = known.stamp;
          s.contentHash = known.contentHash;
          s.cacheKey = hashOf(configKey, s.f.file, s.contentHash);
          this.unread++;
          return true;
        }
        if (readAndHash(s) === undefined) return false;
        if (known?.contentHash !== s.contentHash) this.workers.start();
        return true;
      });
      const phase1 = async (list: readonly FileState[]): Promise<void> => {
        const misses: FileState[] = [];
        const hits: FileState[] = [];
        for (const s of await this.pack.fromPack(list, configKey, progress1)) (cache.store.has(s.cacheKey!) ? hits : misses).push(s);
        const working = forEachLimited(misses, lookahead, reanalyse);
        const damaged: FileState[] = [];
        for (let i = 0; i < hits.length; i++) {
          const hit = loadEntry(cache.store, hits[i].cacheKey!);
          if (!hit) damaged.push(hits[i]);
          else {
            hits[i].entry = hit;
            progress1();
          }
          // Lets finished workers take their next file.
          if (i % 64 === 63) await new Promise((r) => setImmediate(r));
        }
        await working;
        await forEachLimited(damaged, lookahead, reanalyse);
      };
      const kept = snap && readable.length === states.length && states.every((s) => snap.files[s.f.file]?.final) ? snap : undefined;
      const edited = kept ? states.filter((s) => kept.files[s.f.file].contentHash !== s.contentHash) : readable;
      // An edit seldom changes what other files pass to the edited one: it is linted against last run's facts too.
      if (kept) for (const s of edited) s.likely = kept.files[s.f.file].slice;
      if (kept && edited.length) void this.pack.readPack(configKey);
      await phase1(edited);
      const moves = kept && followMoves(cache.store, edited, states, kept, configKey);
      if (kept && moves) {
        for (let i = edited.length; i < states.length; i++) progress1();
        const finished = await this.finishFromSnapshot(states, kept, moves, { t0, runStart, snapKey, configKey, lookahead, changed: edited.length > 0 });
        if (finished) return finished;
      }
      if (kept) {
        // An edit changed a summary: the index is built again from every file's summary.
        const editedSet = new Set(edited);
        const rest = states.filter((s) => !editedSet.has(s) && s.skipped === undefined);
        for (const s of rest) s.prior = kept.files[s.f.file];
        await phase1(rest);
      }
    }
    const t1 = performance.now();

    const linted = states.filter((s) => s.entry);
    const index = buildProjectIndex(linted.map((s) => s.entry!.summary));
    const again: { s: FileState; projectKey: string; slice: IndexSlice }[] = [];
    const projectKeys = new Map<FileState, string>();
    const slices = new Map<FileState, IndexSlice>();
    let phase2Files = 0;
    for (const s of linted) {
      const e = s.entry!;
      const projectKey = dependencyKey(index, e.summary);
      projectKeys.set(s, projectKey);
      if (projectKey !== e.key) phase2Files++;
      // An unedited file under the project key it had last run keeps its last result.
      const k = s.prior;
      if (k && k.projectKey === projectKey && (projectKey === e.key || k.slice)) {
        s.final = k.final;
        if (k.slice) slices.set(s, k.slice);
        continue;
      }
      if (projectKey === e.key) {
        s.final = e.result;
        continue;
      }
      const slice = sliceIndex(index, e.summary);
      slices.set(s, slice);
      again.push({ s, projectKey, slice });
    }
    const t2 = performance.now();

    await this.secondPhase(again, lookahead);
    const t3 = performance.now();
    Object.assign(this.timings, { phase1: t1 - t0, index: t2 - t1, phase2: t3 - t2 });
    if (cache && states.every((s) => s.final && s.skipped === undefined)) {
      const files: Record<string, SnapshotFile> = {};
      for (const s of states) {
        const e = s.entry!;
        const projectKey = projectKeys.get(s)!;
        const slice = projectKey !== e.key ? slices.get(s) : undefined;
        const stamp = this.stampToRecord(s, runStart);
        files[s.f.file] = { contentHash: s.contentHash!, summaryHash: e.summaryHash, shapeHash: e.shapeHash, key: e.key, projectKey, ...(slice ? { slice } : {}), final: s.final!, encoding: e.encoding, replaced: e.replaced, ...(stamp ? { stamp } : {}) };
      }
      cache.store.set(snapKey, { files } satisfies Snapshot);
      // A pack that serves all but a few files stays: those few read their own entries.
      if (this.pack.packed < states.length - Math.max(8, Math.floor(states.length / 50))) {
        storePack(cache.store, packKey(configKey), states.map((s) => ({ file: s.f.file, contentHash: s.contentHash!, entry: s.entry! })));
      }
    }
    if (cache) this.prune(snapKey, states, (s) => projectKeys.get(s), configKey);
    return this.assemble(states, phase2Files);
  }

  /**
   * Prunes the cache when due (see `pruneIfDue`), keeping every entry this run used: each file's phase-1 entry,
   * where its project key differs from its own its phase-2 answer, and the configuration's pack.
   */
  private prune(snapKey: string, states: readonly FileState[], projectKeyOf: (s: FileState) => string | undefined, configKey: string): void {
    const live = new Set<string>([packKey(configKey)]);
    for (const s of states) {
      if (!s.cacheKey) continue;
      live.add(s.cacheKey);
      const projectKey = projectKeyOf(s);
      const key = s.entry?.key ?? s.kept?.key;
      if (projectKey !== undefined && key !== undefined && projectKey !== key) live.add(hashOf(s.cacheKey, projectKey));
    }
    pruneIfDue(this.options.cache!.store, snapKey, live);
  }

  /** The stamp a new snapshot records for `s`, if it can be trusted (a matched one from the last snapshot can). */
  private stampToRecord(s: FileState, runStart: number): FileStamp | undefined {
    return trustedStamp(s.stamp, runStart, this.options.stampMarginMs ?? STAMP_MARGIN_MS);
  }

  /** Whether the file's stamp is still `stamp` (see `trustedStamp`). */
  private stampUnchanged(abs: string, stamp: FileStamp): boolean {
    try {
      const st = statSync(abs, { throwIfNoEntry: false });
      return !!st && st.isFile() && sameStamp(stampOf(st), stamp);
    } catch {
      return false;
    }
  }

  /**
   * Phase 2 of a cached run whose edits left the project index's facts alone (see `followMoves`, which gives the
   * keys and slices that changed): every other file's result and every project key and slice come from the
   * snapshot. Undefined (nothing done) if the snapshot lacks a slice.
   */
  private async finishFromSnapshot(states: FileState[], kept: Snapshot, overrides: ReadonlyMap<FileState, KeyOverride>, run: { t0: number; runStart: number; snapKey: string; configKey: string; lookahead: number; changed: boolean }): Promise<PipelineResult | undefined> {
    const t1 = performance.now();
    const projectKeyOf = (s: FileState): string => overrides.get(s)?.projectKey ?? kept.files[s.f.file].projectKey;
    const sliceOf = (s: FileState): IndexSlice | undefined => {
      const o = overrides.get(s);
      return o ? o.slice : kept.files[s.f.file].slice;
    };
    const candidates: { s: FileState; projectKey: string; slice: IndexSlice }[] = [];
    for (const s of states) {
      if (!s.entry) continue;
      const projectKey = projectKeyOf(s);
      if (projectKey === s.entry.key) continue;
      const slice = sliceOf(s);
      if (!slice) return undefined;
      candidates.push({ s, projectKey, slice });
    }
    // Files whose last result can follow the move need no second pass.
    const again = candidates.filter(({ s, projectKey }) => {
      const follow = overrides.get(s)?.follow;
      const k = kept.files[s.f.file];
      // The last result was linted under the slice that moved (a slice is kept only for a file linted under it).
      const moved = follow && k.slice && k.final && followResult(k.final, follow.moves, follow.origins);
      if (!moved) return true;
      s.final = moved;
      if (s.cacheKey) this.options.cache!.store.set(hashOf(s.cacheKey, projectKey), moved);
      this.followed++;
      return false;
    });
    let phase2Files = 0;
    for (const s of states) {
      const k = kept.files[s.f.file];
      if (projectKeyOf(s) !== (s.entry?.key ?? k.key)) phase2Files++;
      if (!s.entry) {
        s.kept = k;
        s.final = k.final;
      } else if (projectKeyOf(s) === s.entry.key) s.final = s.entry.result;
    }
    const t2 = performance.now();
    await this.secondPhase(again, run.lookahead);
    const t3 = performance.now();
    Object.assign(this.timings, { phase1: t1 - run.t0, index: t2 - t1, phase2: t3 - t2 });
    // Written again when an edit changed a result or a file read this run has a new stamp to record.
    const restamped = (s: FileState): boolean => {
      const stamp = this.stampToRecord(s, run.runStart);
      const old = kept.files[s.f.file].stamp;
      return stamp ? !old || !sameStamp(stamp, old) : !!old;
    };
    if ((run.changed || states.some(restamped)) && states.every((s) => s.final && s.skipped === undefined)) {
      const files: Record<string, SnapshotFile> = {};
      for (const s of states) {
        const { stamp: _old, slice: _slice, ...k } = kept.files[s.f.file];
        const stamp = this.stampToRecord(s, run.runStart);
        const e = s.entry;
        const projectKey = projectKeyOf(s);
        const slice = projectKey !== (e?.key ?? k.key) ? sliceOf(s) : undefined;
        files[s.f.file] = { ...k, ...(e ? { contentHash: s.contentHash!, summaryHash: e.summaryHash, shapeHash: e.shapeHash, key: e.key, projectKey, final: s.final!, encoding: e.encoding, replaced: e.replaced } : {}), ...(slice ? { slice } : {}), ...(stamp ? { stamp } : {}) };
      }
      this.options.cache!.store.set(run.snapKey, { files } satisfies Snapshot);
    }
    this.prune(run.snapKey, states, projectKeyOf, run.configKey);
    return this.assemble(states, phase2Files);
  }

  /** A file's bytes read again for a worker, if they are still the ones hashed (otherwise the file is skipped). */
  private readAgain(s: FileState): Buffer | undefined {
    const read = readSourceBytes(s.f.abs, { maxBytes: this.options.limits.maxFileBytes });
    if (!read.ok) s.skipped = read.reason;
    else if (hashOf(read.bytes) !== s.contentHash) s.skipped = 'changed while it was being linted';
    else return read.bytes;
    return undefined;
  }

  /** Lints files again under their slice of the project index (each answer cached under its project key). */
  private async secondPhase(items: readonly { s: FileState; projectKey: string; slice: IndexSlice }[], lookahead: number): Promise<void> {
    const { cache, onProgress } = this.options;
    let done = 0;
    await forEachLimited(items, lookahead, async ({ s, projectKey, slice }) => {
      const key2 = s.cacheKey && hashOf(s.cacheKey, projectKey);
      const likely = s.likelyResult && (s.likely === slice || canonicalJson(s.likely) === canonicalJson(slice)) ? s.likelyResult : undefined;
      const hit = likely ?? (key2 ? cache!.store.get<FileResult>(key2) : undefined);
      if (likely && key2) cache!.store.set(key2, likely);
      if (hit) s.final = hit;
      else {
        const bytes = this.readAgain(s);
        if (bytes) {
          const a = await this.workers.run({ phase: 2, file: s.f.file, bytes, slice });
          this.tasks.phase2++;
          if (!a.ok) s.skipped = a.reason;
          else {
            this.addTimings(a.timings);
            s.final = a.result;
            if (key2) cache!.store.set(key2, a.result);
          }
        }
      }
      onProgress?.(2, ++done, items.length);
    });
  }

  private assemble(states: readonly FileState[], phase2Files: number): PipelineResult {
    return assembleResult(states, phase2Files, this.unread, this.followed, this.tasks, this.timings);
  }
}
