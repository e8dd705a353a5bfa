/**
 * The parallel lint pipeline (worker threads: see `LintPool`):
 *   phase 1, per file in workers: decode, parse, summarize, lint against an index of the file alone;
 *   main thread: build the project index from all summaries;
 *   phase 2, in workers: lint again only the files whose project dependency key differs from their local one.
 * Results do not depend on the number of workers or the order of files. Each file has a time budget and each
 * worker a heap limit; a file that exceeds them, or crashes its worker, is reported as skipped and the run goes on.
 * With a cache, phase-1 and phase-2 results are stored under content hashes and reused.
 */
import { statSync } from 'node:fs';
import type { EngineConfig } from '../engine/config';
import { buildProjectIndex, dependencyKey, FileResult } from '../engine/lint';
import type { SkippedFile } from '../report/run';
import type { Limits } from '../project/config';
import { forEachLimited } from '../project/limited';
import { FileStamp, readSourceBytes, sameStamp, SourceEncoding, stampOf } from '../project/read-source';
import { canonicalJson, hashOf, ResultCache } from './cache';
import { loadEntry, loadPack, loadSnapshot, PackedEntry, packKey, Phase1Entry, pruneIfDue, Snapshot, SnapshotFile, snapshotKey, STAMP_MARGIN_MS, storeEntry, storePack, trustedStamp } from './run-cache';
import type { FileTimings } from './worker';
import { LintPool } from './lint-pool';
import { IndexSlice, originChanges, remapSlice, sliceCites, sliceIndex, sliceToIndex } from './slice';
import { followResult, PositionMap, positionMap } from '../engine/index/moves';

export { PipelineFailed, PipelineInterrupted } from './lint-pool';

/** A file's project key (and slice) after an edit elsewhere, when it is not the snapshot's (see `followMoves`). */
interface KeyOverride {
  readonly projectKey: string;
  readonly slice?: IndexSlice;
  /** An unedited file's slice only moved with other files: its last result can follow them (see `followResult`). */
  readonly follow?: { readonly moves: ReadonlyMap<string, PositionMap>; readonly origins: ReadonlyMap<string, string> };
}

const EMPTY_SLICE: IndexSlice = { file: '', roles: [], seeds: [] };

/** Phase 1 reads the pack (see `StoredPack`) only for a list of at least this many files; a few edited files read their own entries. */
const PACK_MIN_HITS = 16;

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
  readonly timings: PipelineTimings;
}

interface FileState {
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

export class Pipeline {
  private readonly workers: LintPool;
  private unread = 0;
  /** Files whose last result followed an edit elsewhere without being linted again (see `followResult`). */
  private followed = 0;
  /** Files sent to a worker, per phase. */
  private readonly tasks = { phase1: 0, phase2: 0 };
  /** The pack's bytes as they are read (see `readPack`); its entries once needed (null: none usable); how many files took their entry from it. */
  private packBytes: Promise<Buffer | undefined> | undefined;
  private pack: Map<string, PackedEntry> | null | undefined;
  private packed = 0;
  private readonly timings: PipelineTimings = { phase1: 0, index: 0, phase2: 0, worker: { decode: 0, parse: 0, summarize: 0, rules: 0 } };

  constructor(private readonly options: PipelineOptions) {
    this.workers = new LintPool(options);
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
        for (const s of await this.fromPack(list, configKey, progress1)) (cache.store.has(s.cacheKey!) ? hits : misses).push(s);
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
      if (kept && edited.length) void this.readPack(configKey);
      await phase1(edited);
      const moves = kept && this.followMoves(edited, states, kept, configKey);
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
      if (this.packed < states.length - Math.max(8, Math.floor(states.length / 50))) {
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

  /**
   * Gives each file of `list` whose current content the pack holds its entry from the pack (counted as a cache
   * hit), and returns the others. The pack is decoded only for a list long enough to be worth its size.
   */
  private async fromPack(list: readonly FileState[], configKey: string, progress: () => void): Promise<FileState[]> {
    const store = this.options.cache!.store;
    if (this.pack === undefined) {
      if (list.length < PACK_MIN_HITS) return [...list];
      this.pack = loadPack(store, packKey(configKey), await this.readPack(configKey)) ?? null;
    }
    const pack = this.pack;
    if (!pack) return [...list];
    const rest: FileState[] = [];
    for (const s of list) {
      const p = pack.get(s.f.file);
      if (p && p.contentHash === s.contentHash) {
        s.entry = p.entry;
        store.hits++;
        this.packed++;
        progress();
      } else rest.push(s);
    }
    return rest;
  }

  /**
   * Starts reading the pack's bytes (off the main thread) if that has not started: a re-run reads them while the
   * edited files are linted, in case one of them changed what it passes on (see `fromPack`). Decoding waits until
   * the pack is needed: done meanwhile it would slow the common edit that changes no summary.
   */
  private readPack(configKey: string): Promise<Buffer | undefined> {
    return (this.packBytes ??= this.options.cache!.store.read(packKey(configKey)));
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
   * How the last run's project keys and slices stand after this run's edits, when no edit changed what a file
   * passes on (each edited file kept its summary, or its shape: see `summaryShape`); undefined when the index must
   * be built again. Edits that only moved call sites are followed, as a rebuilt index would give them: a moved file
   * whose facts were its own (it had no slice) takes its new key; a slice that cites a moved file has those
   * citations moved (`remapSlice`, from the moved file's last entry) and its file's key is recomputed from it.
   * Every other file keeps its key and slice.
   */
  private followMoves(edited: readonly FileState[], states: readonly FileState[], kept: Snapshot, configKey: string): Map<FileState, KeyOverride> | undefined {
    const moved: FileState[] = [];
    for (const s of edited) {
      const k = kept.files[s.f.file];
      if (!s.entry) return undefined;
      if (s.entry.summaryHash === k.summaryHash) continue;
      if (s.entry.shapeHash !== k.shapeHash) return undefined;
      moved.push(s);
    }
    const overrides = new Map<FileState, KeyOverride>();
    for (const s of moved) if (!kept.files[s.f.file].slice) overrides.set(s, { projectKey: s.entry!.key });
    const paths = new Set(moved.map((s) => s.f.file));
    const citing = moved.length ? states.filter((s) => sliceCites(kept.files[s.f.file].slice ?? EMPTY_SLICE, paths)) : [];
    if (!citing.length) return overrides;
    const store = this.options.cache!.store;
    const maps = new Map<string, PositionMap>();
    for (const s of moved) {
      const before = loadEntry(store, hashOf(configKey, s.f.file, kept.files[s.f.file].contentHash));
      const map = before && positionMap(before.summary, s.entry!.summary);
      if (!map) return undefined;
      maps.set(s.f.file, map);
    }
    for (const s of citing) {
      const before = kept.files[s.f.file].slice!;
      let slice: IndexSlice | undefined = before;
      const cited = new Map<string, PositionMap>();
      for (const [file, map] of maps) {
        if (!slice || !sliceCites(slice, new Set([file]))) continue;
        cited.set(file, map);
        slice = remapSlice(slice, file, map);
      }
      // A file edited this run has a new result to find; an unedited one's last result may only need moving.
      const unedited = !s.entry;
      s.entry ??= loadEntry(store, s.cacheKey!);
      if (!slice || !s.entry) return undefined;
      const origins = unedited ? originChanges(before, slice) : undefined;
      overrides.set(s, { projectKey: dependencyKey(sliceToIndex(slice), s.entry.summary), slice, ...(origins ? { follow: { moves: cited, origins } } : {}) });
    }
    return overrides;
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
    const results: FileResult[] = [];
    const skipped: SkippedFile[] = [];
    const replaced: string[] = [];
    const encodings: Record<SourceEncoding, number> = { 'utf-8': 0, 'utf-8-bom': 0, 'utf-16le': 0, 'utf-16be': 0 };
    for (const s of states) {
      if (s.skipped !== undefined || !s.final) {
        skipped.push({ file: s.f.file, reason: s.skipped ?? 'not analysed' });
        continue;
      }
      results.push(s.final);
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
    return { results, skipped, replaced, encodings, phase2Files, unread: this.unread, followed: this.followed, tasks: { ...this.tasks }, timings: this.timings };
  }
}
