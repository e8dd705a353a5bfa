/**
 * The result cache: one small JSON file per entry, keyed by content hashes, so it is safe to delete at any time
 * and safe under concurrent runs (entries are written to a temporary file and renamed into place; a reader sees
 * a whole entry or none). Any problem with the cache only costs a re-computation, never a wrong or failed run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LAYOUT = 'v1';

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
  hits = 0;
  misses = 0;
  writeErrors = 0;

  constructor(readonly dir: string) {
    this.root = join(dir, LAYOUT);
  }

  private pathOf(key: string): string {
    return join(this.root, key.slice(0, 2), `${key}.json`);
  }

  get<T>(key: string): T | undefined {
    try {
      const entry = JSON.parse(readFileSync(this.pathOf(key), 'utf8')) as { key?: string; value?: T };
      if (entry.key === key && entry.value !== undefined) {
        this.hits++;
        return entry.value;
      }
    } catch {
      // missing or unreadable entry: a miss
    }
    this.misses++;
    return undefined;
  }

  set(key: string, value: unknown): void {
    const file = this.pathOf(key);
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      if (!this.prepared) {
        mkdirSync(this.root, { recursive: true });
        // Keeps the cache out of version control without touching the project's own .gitignore.
        writeFileSync(join(this.dir, '.gitignore'), '# kslint result cache; safe to delete\n*\n');
        this.prepared = true;
      }
      mkdirSync(join(this.root, key.slice(0, 2)), { recursive: true });
      writeFileSync(tmp, JSON.stringify({ key, value }));
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
}
