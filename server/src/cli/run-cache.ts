/**
 * What the pipeline keeps in the result cache beyond single results: each file's phase-1 entry, and the snapshot
 * of the last run over a set of files (per-file outcome and file stamps), which lets a re-run skip reading
 * unchanged files and, when the edited files keep their summaries, loading any other entry or rebuilding the
 * project index.
 */
import type { FileResult, FileSummary } from '../engine/lint';
import { ARG_DEFAULTS, type ArgSummary, type FunctionSummary } from '../engine/index/summary';
import type { FileStamp, SourceEncoding } from '../project/read-source';
import { hashOf, ResultCache } from './cache';
import type { IndexSlice } from './slice';

/** One file's phase-1 outcome. */
export interface Phase1Entry {
  /** The lint under the file-alone index. */
  readonly result: FileResult;
  readonly summary: FileSummary;
  /** Hash of the summary's JSON (explanations included). */
  readonly summaryHash: string;
  /** Hash of the summary's JSON without positions (see `summaryShape`). */
  readonly shapeHash: string;
  readonly key: string;
  readonly encoding: SourceEncoding;
  readonly replaced: boolean;
}

/** The summary without its explanations, field by field (reading `explanations` of a stored summary decodes them). */
function bareSummary(s: FileSummary): Omit<FileSummary, 'explanations'> {
  return { version: s.version, path: s.path, functions: s.functions, registrations: s.registrations, ioctls: s.ioctls, ioctlRefs: s.ioctlRefs, macros: s.macros, macroRefs: s.macroRefs, addressRefs: s.addressRefs, types: s.types, memberRefs: s.memberRefs, memberUsers: s.memberUsers };
}

type BareSummary = Omit<FileSummary, 'explanations'>;

/** A call argument without the fields that hold their default value (`ARG_DEFAULTS`): most are empty or false. */
function packArg(a: ArgSummary | null): Partial<ArgSummary> | null {
  if (!a) return a;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) {
    const d = (ARG_DEFAULTS as Record<string, unknown>)[k];
    if (d === undefined || !(v === d || (Array.isArray(v) && Array.isArray(d) && v.length === 0 && d.length === 0))) out[k] = v;
  }
  return out;
}

/** The summary as the pack stores it: each call argument without its default-valued fields (about a third of the bytes). */
function packSummary(s: FileSummary): BareSummary {
  const functions = s.functions.map((f) => ({ ...f, calls: f.calls.map((c) => ({ ...c, args: c.args.map(packArg) })) }));
  return { ...bareSummary(s), functions } as BareSummary;
}

/** `packSummary` undone, every argument with all its fields in `summarizeCall`'s order; undefined if damaged. */
function unpackSummary(value: unknown): BareSummary | undefined {
  const s = value as BareSummary | undefined;
  if (!s || !Array.isArray(s.functions as unknown)) return undefined;
  const list: readonly FunctionSummary[] = s.functions;
  for (const f of list) if (!Array.isArray(f?.calls as unknown) || !f.calls.every((c) => Array.isArray(c?.args as unknown))) return undefined;
  const unpack = (a: ArgSummary | null): ArgSummary | null => (a && typeof a === 'object' ? { ...ARG_DEFAULTS, ...a } : null);
  const functions = list.map((f) => ({ ...f, calls: f.calls.map((c) => ({ ...c, args: c.args.map(unpack) })) }));
  return { ...s, functions };
}

function decodeExplanations(bytes: Uint8Array): FileSummary['explanations'] {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    return Array.isArray(value) ? (value as FileSummary['explanations']) : [];
  } catch {
    return []; // a damaged entry; the index then explains a seed by its call site alone
  }
}

/** The stored JSON text of a lazily decoded summary's explanations (see `explanationBytes`). */
const storedExplanations = new WeakMap<FileSummary, Uint8Array>();

/** A stored summary whose explanations are decoded on first read (few call sites ever explain a seed). */
function withLazyExplanations(bare: Omit<FileSummary, 'explanations'>, bytes: Uint8Array): FileSummary {
  let decoded: FileSummary['explanations'] | undefined;
  const summary = Object.defineProperty({ ...bare }, 'explanations', { get: () => (decoded ??= decodeExplanations(bytes)), enumerable: true }) as FileSummary;
  storedExplanations.set(summary, bytes);
  return summary;
}

/** A summary's explanations as JSON text: the stored bytes when it came from the cache (not decoded for this). */
function explanationBytes(summary: FileSummary): Uint8Array {
  return storedExplanations.get(summary) ?? Buffer.from(JSON.stringify(summary.explanations));
}

/**
 * A phase-1 entry as the cache holds it: the summary without its explanations, which are stored beside it as JSON
 * text and decoded only if the project index asks for them, so a cached run does not build objects it never reads.
 */
interface StoredEntry extends Omit<Phase1Entry, 'summary'> {
  readonly summary: Omit<FileSummary, 'explanations'>;
}

export function storeEntry(cache: ResultCache, key: string, entry: Phase1Entry): void {
  const { summary, ...rest } = entry;
  cache.set(key, { ...rest, summary: bareSummary(summary) } satisfies StoredEntry, JSON.stringify(summary.explanations));
}

export function loadEntry(cache: ResultCache, key: string): Phase1Entry | undefined {
  const hit = cache.getWithAttachment<StoredEntry>(key);
  return hit ? entryFrom(hit.value, hit.attachment) : undefined;
}

function entryFrom(value: StoredEntry, explanations: Uint8Array): Phase1Entry | undefined {
  if (!Array.isArray(value?.summary?.functions) || !Array.isArray(value.summary.ioctls) || !Array.isArray(value.summary.ioctlRefs) || !Array.isArray(value.summary.macros) || !Array.isArray(value.summary.macroRefs) || !Array.isArray(value.summary.addressRefs) || !Array.isArray(value.summary.types) || !Array.isArray(value.summary.memberRefs) || !Array.isArray(value.summary.memberUsers) || !value.result) return undefined;
  if (typeof value.summaryHash !== 'string' || typeof value.shapeHash !== 'string') return undefined;
  return { result: value.result, summary: withLazyExplanations(value.summary, explanations), summaryHash: value.summaryHash, shapeHash: value.shapeHash, key: value.key, encoding: value.encoding, replaced: value.replaced };
}

/**
 * Every file's phase-1 entry of a run, in one cache entry: a re-run whose edits change what a file passes on must
 * build the project index again from every file's summary, and one read of the pack costs a fraction of a read per
 * file. Each file's explanations follow the entries as one attachment, at a byte range per file, decoded only when
 * asked for (see `withLazyExplanations`). A pack may be out of date for some files: each record carries the content
 * hash it was made from, and a file whose content differs reads its own entry instead.
 */
interface StoredPack {
  readonly version: typeof PACK_VERSION;
  readonly files: Record<string, StoredEntry & { readonly contentHash: string; readonly at: number; readonly length: number }>;
}

const PACK_VERSION = 2;

/** The pack of a configuration's last full run (one per configuration, whatever files it covered). */
export function packKey(configKey: string): string {
  return hashOf(configKey, 'summary pack');
}

export interface PackedEntry {
  readonly contentHash: string;
  readonly entry: Phase1Entry;
}

/**
 * The pack's entries by file, from the bytes `ResultCache.read` gave; undefined when there is none or it is
 * damaged. Records are checked one by one: a damaged one only sends its file to its own entry.
 */
export function loadPack(cache: ResultCache, key: string, bytes: Buffer | undefined): Map<string, PackedEntry> | undefined {
  const hit = cache.decode<StoredPack>(key, bytes);
  if (!hit || hit.value.version !== PACK_VERSION || typeof hit.value.files !== 'object' || hit.value.files === null) return undefined;
  const out = new Map<string, PackedEntry>();
  for (const [file, record] of Object.entries(hit.value.files)) {
    const { contentHash, at, length, summary, ...stored } = record ?? {};
    if (typeof contentHash !== 'string' || !Number.isInteger(at) || !Number.isInteger(length) || at < 0 || length < 0 || at + length > hit.attachment.length) continue;
    const full = unpackSummary(summary);
    if (!full) continue;
    const entry = entryFrom({ ...stored, summary: full } as StoredEntry, hit.attachment.subarray(at, at + length));
    if (entry) out.set(file, { contentHash, entry });
  }
  return out;
}

/** Stores the pack of `files` in one atomic write (see `StoredPack`). */
export function storePack(cache: ResultCache, key: string, files: readonly { readonly file: string; readonly contentHash: string; readonly entry: Phase1Entry }[]): void {
  const records: StoredPack['files'] = {};
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const { file, contentHash, entry } of files) {
    const { summary, ...rest } = entry;
    const bytes = explanationBytes(summary);
    records[file] = { ...rest, summary: packSummary(summary), contentHash, at, length: bytes.length };
    parts.push(bytes);
    at += bytes.length;
  }
  cache.set(key, { version: PACK_VERSION, files: records } satisfies StoredPack, Buffer.concat(parts));
}

/**
 * What the last cached run over the same files and configuration ended with, per file: enough to finish a run in
 * which the edited files' summaries are unchanged without loading any other file's entry or rebuilding the
 * project index (equal summaries give an equal index, so every other file's result and every project key stand).
 */
export interface Snapshot {
  readonly files: Record<string, SnapshotFile>;
}

export interface SnapshotFile {
  readonly contentHash: string;
  readonly summaryHash: string;
  readonly shapeHash: string;
  /** The file's dependency key alone, and under the project index. */
  readonly key: string;
  readonly projectKey: string;
  /** Where the two differ: the index slice its second-phase lint used. */
  readonly slice?: IndexSlice;
  readonly final: FileResult;
  readonly encoding: SourceEncoding;
  readonly replaced: boolean;
  /** The file's stamp when it was hashed, kept only when old enough to be trusted (see `trustedStamp`). */
  readonly stamp?: FileStamp;
}

/**
 * How long before a run a file must have last changed for its stamp to vouch for its content next time. A file
 * written again within the same timestamp tick as the stamp was taken would keep its stamp; ticks are at most
 * 2 s (FAT), so a stamp older than that when the run started cannot hide such a write.
 */
export const STAMP_MARGIN_MS = 2000;

export function trustedStamp(stamp: FileStamp | undefined, runStart: number, marginMs: number): FileStamp | undefined {
  return stamp && stamp.mtimeMs < runStart - marginMs && stamp.ctimeMs < runStart - marginMs ? stamp : undefined;
}

export function snapshotKey(configKey: string, files: readonly string[]): string {
  return hashOf(configKey, 'run snapshot', JSON.stringify([...files].sort()));
}

/** How often a configuration's runs prune the cache folder (see `ResultCache.prune`). */
export const PRUNE_INTERVAL_MS = 24 * 3_600_000;

/**
 * Prunes the cache if this configuration's runs over these files have not done so for a day. `live` holds the
 * keys the run used (its snapshot, each file's entries); a small marker entry beside the snapshot records when.
 * Returns the number of files removed (0 when not due).
 */
export function pruneIfDue(cache: ResultCache, snapKey: string, live: Set<string>): number {
  const now = Date.now();
  const marker = hashOf(snapKey, 'last prune');
  const last = cache.writtenAt(marker);
  if (last !== undefined && last > now - PRUNE_INTERVAL_MS && last <= now) return 0;
  live.add(snapKey).add(marker);
  const removed = cache.prune({ live, now });
  cache.set(marker, { prunedAt: new Date(now).toISOString(), removed });
  return removed;
}

export function loadSnapshot(cache: ResultCache, key: string): Snapshot | undefined {
  const snap = cache.get<Snapshot>(key);
  return snap && typeof snap.files === 'object' && snap.files !== null ? snap : undefined;
}
