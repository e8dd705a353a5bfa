/**
 * Reading the workspace from disk: finding its C/C++ files and decoding them as the command line does (UTF-8,
 * or UTF-16 with a byte order mark, common in Windows source trees).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { languageForPath } from '../engine/parse/parse';

/** Folders never worth indexing: version control, dependencies, build output, editor state. */
const SKIP_DIRS = new Set(['node_modules', 'out', 'dist', 'build', 'bin', 'obj', 'x64', 'x86', 'arm64', 'Debug', 'Release']);

export const MAX_FILE_BYTES = 8 * 1024 * 1024;

export interface FindOptions {
  readonly maxFiles?: number;
  readonly shouldStop?: () => boolean;
}

/** C/C++ files under `roots` (sorted), skipping hidden folders, dependency and build-output folders, symlinks. */
export async function findSourceFiles(roots: readonly string[], options: FindOptions = {}): Promise<string[]> {
  const max = options.maxFiles ?? 50_000;
  const out: string[] = [];
  const stack = [...roots];
  while (stack.length && out.length < max && !options.shouldStop?.()) {
    const dir = stack.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && !SKIP_DIRS.has(e.name)) stack.push(join(dir, e.name));
      } else if (e.isFile() && languageForPath(e.name)) {
        out.push(join(dir, e.name));
      }
    }
  }
  return out.sort().slice(0, max);
}

/** Decodes source bytes: UTF-16 LE/BE with a BOM, UTF-8 otherwise (a UTF-8 BOM is dropped). */
export function decodeSource(bytes: Buffer): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    const swapped = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** A source file's text, or undefined when it is unreadable, gone, or too large to index. */
export async function readSource(path: string): Promise<string | undefined> {
  try {
    const stat = await fs.stat(path);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return undefined;
    return decodeSource(await fs.readFile(path));
  } catch {
    return undefined;
  }
}
