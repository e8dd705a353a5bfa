/**
 * Phase 1's use of the summary pack (one stored blob with every file's phase-1 entry, see `storePack`): on a
 * re-run, reading one pack is much cheaper than reading hundreds of entries, but decoding it only pays for a long
 * list of files. This holds the pack's state across a run's lists so it is read at most once and decoded only
 * when worth it.
 */
import type { ResultCache } from './cache';
import type { FileState } from './pipeline-result';
import { loadPack, PackedEntry, packKey } from './run-cache';

/** Phase 1 reads the pack (see `StoredPack`) only for a list of at least this many files; a few edited files read their own entries. */
const PACK_MIN_HITS = 16;

export class PackSource {
  /** The pack's bytes as they are read (see `readPack`); its entries once needed (null: none usable); how many files took their entry from it. */
  private packBytes: Promise<Buffer | undefined> | undefined;
  private pack: Map<string, PackedEntry> | null | undefined;
  packed = 0;

  /** The run's cache (phase 1 asks only when there is one). */
  constructor(private readonly cache: { readonly store: ResultCache } | undefined) {}

  /**
   * Gives each file of `list` whose current content the pack holds its entry from the pack (counted as a cache
   * hit), and returns the others. The pack is decoded only for a list long enough to be worth its size.
   */
  async fromPack(list: readonly FileState[], configKey: string, progress: () => void): Promise<FileState[]> {
    const store = this.cache!.store;
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
  readPack(configKey: string): Promise<Buffer | undefined> {
    return (this.packBytes ??= this.cache!.store.read(packKey(configKey)));
  }
}
