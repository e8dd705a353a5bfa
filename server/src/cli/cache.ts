/**
 * The result cache: one small JSON file per entry, keyed by content hashes, so it is safe to delete at any time
 * and safe under concurrent runs (entries are written to a temporary file and renamed into place; a reader sees
 * a whole entry or none). Any problem with the cache only costs a re-computation, never a wrong or failed run.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LAYOUT = 'v3';

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

  /** Whether an entry exists (it may still turn out damaged when read). */
  has(key: string): boolean {
    return existsSync(this.pathOf(key));
  }

  get<T>(key: string): T | undefined {
    return this.getWithAttachment<T>(key)?.value;
  }

  /**
   * An entry and the text stored beside it. The attachment follows the JSON on the entry's second line and is
   * returned as undecoded bytes (outside the JavaScript heap), so a caller pays for it only when it needs it.
   */
  getWithAttachment<T>(key: string): { value: T; attachment: Uint8Array } | undefined {
    try {
      const bytes = readFileSync(this.pathOf(key));
      const eol = bytes.indexOf(0x0a);
      const entry = JSON.parse(bytes.toString('utf8', 0, eol < 0 ? bytes.length : eol)) as { key?: string; value?: T };
      if (entry.key === key && entry.value !== undefined) {
        this.hits++;
        return { value: entry.value, attachment: eol < 0 ? new Uint8Array(0) : bytes.subarray(eol + 1) };
      }
    } catch {
      // missing or unreadable entry: a miss
    }
    this.misses++;
    return undefined;
  }

  /** Stores `value` (and text beside it; see `getWithAttachment`) in one atomic write. */
  set(key: string, value: unknown, attachment?: string): void {
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
      // JSON.stringify never writes a raw line break, so the first one separates the entry from the attachment.
      writeFileSync(tmp, attachment === undefined ? JSON.stringify({ key, value }) : `${JSON.stringify({ key, value })}\n${attachment}`);
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
