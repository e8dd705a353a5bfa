/**
 * A cached re-run whose edits only moved call sites: which files' project keys and slices change, worked out from
 * the last run's snapshot instead of building the project index again. Kept apart from the pipeline because it is
 * the one place that reasons about last run's slices against this run's summaries.
 */
import { dependencyKey } from '../engine/lint';
import { PositionMap, positionMap } from '../engine/index/moves';
import { hashOf, ResultCache } from './cache';
import type { FileState } from './pipeline-result';
import { loadEntry, Snapshot } from './run-cache';
import { IndexSlice, originChanges, remapSlice, sliceCites, sliceToIndex } from './slice';

/** A file's project key (and slice) after an edit elsewhere, when it is not the snapshot's (see `followMoves`). */
export interface KeyOverride {
  readonly projectKey: string;
  readonly slice?: IndexSlice;
  /** An unedited file's slice only moved with other files: its last result can follow them (see `followResult`). */
  readonly follow?: { readonly moves: ReadonlyMap<string, PositionMap>; readonly origins: ReadonlyMap<string, string> };
}

const EMPTY_SLICE: IndexSlice = { file: '', roles: [], seeds: [], ioctls: [], macros: [], members: [] };

/**
 * How the last run's project keys and slices stand after this run's edits, when no edit changed what a file
 * passes on (each edited file kept its summary, or its shape: see `summaryShape`); undefined when the index must
 * be built again. Edits that only moved call sites are followed, as a rebuilt index would give them: a moved file
 * whose facts were its own (it had no slice) takes its new key; a slice that cites a moved file has those
 * citations moved (`remapSlice`, from the moved file's last entry) and its file's key is recomputed from it.
 * Every other file keeps its key and slice.
 */
export function followMoves(store: ResultCache, edited: readonly FileState[], states: readonly FileState[], kept: Snapshot, configKey: string): Map<FileState, KeyOverride> | undefined {
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
