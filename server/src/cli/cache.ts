/**
 * The result cache: one small JSON file per entry, keyed by content hashes, so it is safe to delete at any time
 * and safe under concurrent runs (entries are written to a temporary file and renamed into place; a reader sees
 * a whole entry or none). Any problem with the cache only costs a re-computation, never a wrong or failed run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Dirent, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const LAYOUT = 'v3';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * How long an entry no run has used survives a prune. Entries are keyed by content, so each edit leaves its old
 * entries behind; a month keeps what a branch switch or a second configuration may still want.
 */
export const CACHE_MAX_AGE_MS = 30 * DAY_MS;

export interface PruneOptions {
  /** Keys the current run uses: kept whatever their age (and their time refreshed, see `prune`). */
  readonly live: ReadonlySet<string>;
  readonly now?: number;
}

export function hashOf(...parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(typeof p === 'string' ? `${p.length}:` : `b${p.byteLength}:`);
    h.update(p);
  }
  return h.digest('hex');
}

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class ResultCache {
  private readonly root: string;
  private prepared = false;
  /** Bucket folders made (or found) by this process: each is made once, not before every write. */
  private readonly buckets = new Set<string>();
  hits = 0;
  misses = 0;
  writeErrors = 0;
  /** Entries (and stale temporary files) removed by `prune`. */
  pruned = 0;

  constructor(readonly dir: string) {
    this.root = join(dir, LAYOUT);
  }

  private pathOf(key: string): string {
    return join(this.root, key.slice(0, 2), `${key}.json`);
  }

  /** Whether an entry exists (it may still turn out damaged when read). */
  has(key: string): boolean {
    return existsSync(this.pathOf(key));
  }

  /** When an entry was last written (or refreshed by `prune`), if it exists. */
  writtenAt(key: string): number | undefined {
    return mtimeOf(this.pathOf(key));
  }

  get<T>(key: string): T | undefined {
    return this.getWithAttachment<T>(key)?.value;
  }

  /**
   * An entry and the text stored beside it. The attachment follows the JSON on the entry's second line and is
   * returned as undecoded bytes (outside the JavaScript heap), so a caller pays for it only when it needs it.
   */
  getWithAttachment<T>(key: string): { value: T; attachment: Uint8Array } | undefined {
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(this.pathOf(key));
    } catch {
      // missing or unreadable entry: a miss
    }
    const hit = this.decode<T>(key, bytes);
    if (hit) this.hits++;
    else this.misses++;
    return hit;
  }

  /** An entry's bytes, read off the main thread (see `decode`); undefined when missing or unreadable. */
  async read(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch {
      return undefined;
    }
  }

  /** An entry from bytes `read` returned, as `getWithAttachment` gives it (not counted as a hit or a miss). */
  decode<T>(key: string, bytes: Buffer | undefined): { value: T; attachment: Uint8Array } | undefined {
    if (!bytes) return undefined;
    try {
      const eol = bytes.indexOf(0x0a);
      const entry = JSON.parse(bytes.toString('utf8', 0, eol < 0 ? bytes.length : eol)) as { key?: string; value?: T };
      if (entry.key === key && entry.value !== undefined) return { value: entry.value, attachment: eol < 0 ? new Uint8Array(0) : bytes.subarray(eol + 1) };
    } catch {
      // a damaged entry
    }
    return undefined;
  }

  /** Stores `value` (and text beside it; see `getWithAttachment`) in one atomic write. */
  set(key: string, value: unknown, attachment?: string | Uint8Array): void {
    const file = this.pathOf(key);
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      if (!this.prepared) {
        mkdirSync(this.root, { recursive: true });
        // Keeps the cache out of version control without touching the project's own .gitignore.
        writeFileSync(join(this.dir, '.gitignore'), '# kslint result cache; safe to delete\n*\n');
        this.prepared = true;
      }
      const bucket = key.slice(0, 2);
      if (!this.buckets.has(bucket)) {
        mkdirSync(join(this.root, bucket), { recursive: true });
        this.buckets.add(bucket);
      }
      // JSON.stringify never writes a raw line break, so the first one separates the entry from the attachment.
      const entry = JSON.stringify({ key, value });
      if (attachment === undefined) writeFileSync(tmp, entry);
      else if (typeof attachment === 'string') writeFileSync(tmp, `${entry}\n${attachment}`);
      else writeFileSync(tmp, Buffer.concat([Buffer.from(`${entry}\n`), attachment]));
      renameSync(tmp, file);
    } catch {
      this.writeErrors++;
      try {
        unlinkSync(tmp);
      } catch {
        // never created
      }
    }
  }

  /**
   * Removes what no run is likely to read again: entries outside `live` last written more than 30 days ago,
   * temporary files left by a run killed mid-write (older than an hour), and entries of other layouts (older
   * versions of the tool) under the same age rule. Entries in `live` that are older than a day get their time
   * refreshed, so that a prune run by another configuration sharing the folder sees them as recently used.
   *
   * Safe under concurrent runs: a removed entry only costs its reader a re-computation, and a rename that lands
   * after the removal simply stores the entry again. Every error is ignored (the file stays).
   */
  prune(options: PruneOptions): number {
    const now = options.now ?? Date.now();
    let removed = 0;
    const remove = (file: string): void => {
      try {
        unlinkSync(file);
        removed++;
      } catch {
        // gone already, or not ours to remove
      }
    };
    for (const layout of listDir(this.dir)) {
      if (!layout.isDirectory() || !/^v\d+$/.test(layout.name)) continue;
      const current = layout.name === LAYOUT;
      const layoutDir = join(this.dir, layout.name);
      for (const bucket of listDir(layoutDir)) {
        if (!bucket.isDirectory()) continue;
        const bucketDir = join(layoutDir, bucket.name);
        for (const f of listDir(bucketDir)) {
          if (!f.isFile()) continue;
          const file = join(bucketDir, f.name);
          const mtime = mtimeOf(file);
          if (mtime === undefined) continue;
          if (f.name.endsWith('.tmp')) {
            if (mtime < now - HOUR_MS) remove(file);
          } else if (f.name.endsWith('.json')) {
            if (current && options.live.has(f.name.slice(0, -'.json'.length))) {
              if (mtime < now - DAY_MS) touch(file, now);
            } else if (mtime < now - CACHE_MAX_AGE_MS) remove(file);
          }
        }
        removeIfEmpty(bucketDir);
      }
      if (!current) removeIfEmpty(layoutDir);
    }
    // Empty bucket folders were removed: make them again before writing.
    this.buckets.clear();
    this.pruned += removed;
    return removed;
  }
}

function listDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function touch(file: string, now: number): void {
  try {
    utimesSync(file, now / 1000, now / 1000);
  } catch {
    // read-only cache: the entry may be pruned by another configuration's run, which only costs a re-computation
  }
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (the usual case), or in use
  }
}
