/**
 * Finding the files to lint: folders are searched for C/C++ sources (fast-glob), honouring .gitignore files at
 * every level and the config's include/exclude/external patterns (.gitignore syntax, via `ignore`). Symbolic links
 * to files are followed (each file is linted once), links to folders are not (no loops). Explicitly named files
 * go through the same filters, but are listed as skipped, with the reason, when a filter drops them.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import fg from 'fast-glob';
import ignore, { Ignore } from 'ignore';
import { languageForPath } from '../engine/parse/parse';
import type { ProjectConfig } from './config';

export type DropReason = 'gitignore' | 'exclude' | 'include' | 'external';

export interface SkippedPath {
  /** Display path (relative to the working folder when inside it). */
  readonly file: string;
  readonly reason: string;
}

export interface Discovery {
  /** Files to lint, display paths (relative to `cwd` when inside it), sorted, unique. */
  readonly files: readonly string[];
  /** Explicitly named files that were dropped, and odd entries (broken links, special files) found in folders. */
  readonly skipped: readonly SkippedPath[];
  /** Files found in folders and left out, per reason (external: third-party/SDK code; never reported). */
  readonly dropped: Readonly<Record<DropReason, number>>;
}

export class DiscoveryError extends Error {}

const REASON_TEXT: Record<DropReason, string> = {
  gitignore: 'ignored by a .gitignore file',
  exclude: "matches the config's exclude patterns",
  include: "outside the config's include patterns",
  external: 'third-party or SDK code (external patterns); not linted',
};

const toPosix = (p: string): string => (sep === '/' ? p : p.split(sep).join('/'));

function isGlob(arg: string): boolean {
  return /[*?[\]{}!]/.test(arg) && fg.isDynamicPattern(toPosix(arg));
}

/** `.gitignore` files from the repository top (the folder holding `.git`) down to a file's folder. */
class GitIgnores {
  private readonly cache = new Map<string, Ignore | null>();

  private load(dir: string): Ignore | null {
    let ig = this.cache.get(dir);
    if (ig === undefined) {
      ig = null;
      try {
        const text = readFileSync(join(dir, '.gitignore'), 'utf8');
        ig = ignore().add(text);
      } catch {
        // no .gitignore here (or unreadable: treated as absent)
      }
      this.cache.set(dir, ig);
    }
    return ig;
  }

  /** Later (deeper) files override earlier ones, as in git. */
  ignored(top: string, file: string): boolean {
    const dirs: string[] = [];
    for (let d = dirname(file); ; d = dirname(d)) {
      dirs.unshift(d);
      if (d === top || dirname(d) === d) break;
    }
    let state = false;
    for (const d of dirs) {
      const ig = this.load(d);
      if (!ig) continue;
      const t = ig.test(toPosix(relative(d, file)));
      if (t.ignored) state = true;
      else if (t.unignored) state = false;
    }
    return state;
  }
}

function gitTop(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    try {
      statSync(join(d, '.git'));
      return d;
    } catch {
      // keep walking up
    }
    if (dirname(d) === d) return undefined;
  }
}

/** `abs` relative to `base` when it lies inside it (and is not `base` itself); otherwise undefined. */
export function relativeInside(base: string, abs: string): string | undefined {
  const rel = relative(base, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : undefined;
}

/** A path for matching .gitignore-syntax patterns: relative to the config root, or the absolute path's parts. */
function matchPath(root: string, abs: string): string {
  const rel = relativeInside(root, abs);
  if (rel) return toPosix(rel);
  return toPosix(abs).replace(/^[A-Za-z]:/, '').replace(/^\/+/, '');
}

export interface DiscoverOptions {
  readonly cwd: string;
  readonly config: Pick<ProjectConfig, 'root' | 'include' | 'exclude' | 'external'>;
}

export function discoverFiles(paths: readonly string[], options: DiscoverOptions): Discovery {
  const { cwd, config } = options;
  const include = config.include.length ? ignore().add([...config.include]) : undefined;
  const exclude = ignore().add([...config.exclude]);
  const external = ignore().add([...config.external]);
  const gitignores = new GitIgnores();
  const dropped: Record<DropReason, number> = { gitignore: 0, exclude: 0, include: 0, external: 0 };
  const skipped: SkippedPath[] = [];
  const chosen = new Map<string, string>();
  const display = (abs: string): string => relativeInside(cwd, abs) ?? abs;

  const filter = (abs: string, top: string | undefined): DropReason | undefined => {
    const m = matchPath(config.root, abs);
    if (external.ignores(m)) return 'external';
    if (exclude.ignores(m)) return 'exclude';
    if (include && !include.ignores(m)) return 'include';
    if (top && gitignores.ignored(top, abs)) return 'gitignore';
    return undefined;
  };

  /** `real`: the file's real path when already known (see `searchFolder`). */
  const accept = (abs: string, known?: string): void => {
    let real = known ?? abs;
    if (known === undefined) {
      try {
        real = realpathSync.native(abs);
      } catch {
        // linted under its own name; the reader reports it if it cannot be read
      }
    }
    if (!chosen.has(real)) chosen.set(real, abs);
    else if (display(abs) < display(chosen.get(real)!)) chosen.set(real, abs);
  };

  const searchFolder = (dir: string, patterns: string[]): void => {
    const top = gitTop(dir) ?? dir;
    // The search does not enter linked folders, so below the folder's real path only a linked file needs resolving.
    let realDir: string | undefined;
    try {
      realDir = realpathSync.native(dir);
    } catch {
      realDir = undefined;
    }
    const entries = fg.sync(patterns, { cwd: dir, dot: true, onlyFiles: false, objectMode: true, followSymbolicLinks: false, suppressErrors: true, ignore: ['**/.git/**'] });
    for (const e of entries) {
      if (!languageForPath(e.name)) continue;
      const abs = resolve(dir, e.path);
      if (e.dirent.isDirectory()) continue;
      if (e.dirent.isSymbolicLink()) {
        let st;
        try {
          st = statSync(abs);
        } catch {
          skipped.push({ file: display(abs), reason: 'broken symbolic link' });
          continue;
        }
        if (!st.isFile()) continue;
      } else if (!e.dirent.isFile()) {
        skipped.push({ file: display(abs), reason: 'not a regular file' });
        continue;
      }
      const why = filter(abs, top);
      if (why) dropped[why]++;
      else accept(abs, realDir !== undefined && !e.dirent.isSymbolicLink() ? join(realDir, e.path) : undefined);
    }
  };

  for (const arg of paths.length ? paths : ['.']) {
    const abs = resolve(cwd, arg);
    let st;
    try {
      st = statSync(abs);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      searchFolder(abs, ['**/*']);
    } else if (st?.isFile()) {
      if (!languageForPath(abs)) {
        skipped.push({ file: display(abs), reason: 'not a C/C++ source file (by its extension)' });
        continue;
      }
      const why = filter(abs, gitTop(dirname(abs)));
      if (why) skipped.push({ file: display(abs), reason: REASON_TEXT[why] });
      else accept(abs);
    } else if (st) {
      skipped.push({ file: display(abs), reason: 'not a regular file' });
    } else if (isGlob(arg)) {
      const before = chosen.size + Object.values(dropped).reduce((a, b) => a + b, 0);
      searchFolder(cwd, [toPosix(arg)]);
      if (chosen.size + Object.values(dropped).reduce((a, b) => a + b, 0) === before) throw new DiscoveryError(`no files match the pattern "${arg}"`);
    } else {
      throw new DiscoveryError(`no such file or folder: ${arg}`);
    }
  }
  const files = [...new Set([...chosen.values()].map(display))].sort();
  skipped.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { files, skipped, dropped };
}

export function dropReasonText(reason: DropReason): string {
  return REASON_TEXT[reason];
}
