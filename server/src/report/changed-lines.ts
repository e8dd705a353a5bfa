/**
 * `--changed-since <ref>`: the lines added or modified since a git ref (working tree included, untracked files
 * counted whole), so that a run can lint everything for context but report only findings on changed lines.
 * git runs with a fixed argument vector (never through a shell) and the ref is resolved to a commit first.
 */
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { absolutePath } from './common';
import type { RunResult } from './run';

/** 1-based changed lines per file (relative to the repository root, `/`-separated); `all` for new files. */
export type ChangedLineMap = Map<string, Set<number> | 'all'>;

export interface ChangedLines {
  readonly ref: string;
  /** The resolved commit. */
  readonly commit: string;
  /** Absolute repository root. */
  readonly root: string;
  /** Keyed by absolute path. */
  readonly files: ReadonlyMap<string, ReadonlySet<number> | 'all'>;
}

export class ChangedLinesError extends Error {}

function git(args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', [...args], { cwd, maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', windowsHide: true, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } }, (err, stdout, stderr) => {
      if (err) reject(new ChangedLinesError((stderr || err.message).trim().split('\n')[0]));
      else resolvePromise(stdout);
    });
  });
}

/** Undoes git's C-style quoting of unusual path names (`"a\"b\303\251.c"`). */
export function unquoteGitPath(s: string): string {
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1];
    if (next !== undefined && /[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      bytes.push(parseInt(oct, 8) & 0xff);
      i += oct.length;
    } else if (next !== undefined && next in simple) {
      bytes.push(simple[next]);
      i++;
    } else bytes.push(92);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Lines added or changed per new-side path in a unified diff (`git diff -U0 --src-prefix=a/ --dst-prefix=b/`). */
export function parseUnifiedDiff(diff: string): ChangedLineMap {
  const out: ChangedLineMap = new Map();
  let current: Set<number> | undefined;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      current = undefined;
    } else if (line.startsWith('+++ ')) {
      const target = unquoteGitPath(line.slice(4).replace(/\t$/, ''));
      if (target === '/dev/null' || !target.startsWith('b/')) {
        current = undefined;
        continue;
      }
      const path = target.slice(2);
      const existing = out.get(path);
      current = existing instanceof Set ? existing : new Set<number>();
      out.set(path, current);
    } else if (line.startsWith('@@') && current) {
      const m = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m) continue;
      const start = Number(m[1]);
      const count = m[2] === undefined ? 1 : Number(m[2]);
      for (let l = start; l < start + count; l++) current.add(l);
    }
  }
  return out;
}

/** Lines changed between `ref` and the working tree of the repository containing `cwd`. */
export async function changedLinesSince(ref: string, cwd: string): Promise<ChangedLines> {
  if (!ref || ref.startsWith('-') || /[\0\n]/.test(ref)) throw new ChangedLinesError(`--changed-since: "${ref}" is not a git revision`);
  let root: string;
  try {
    root = (await git(['rev-parse', '--show-toplevel'], cwd)).trim();
  } catch (err) {
    throw new ChangedLinesError(`--changed-since needs a git repository: ${cwd} is not inside one (${(err as Error).message})`);
  }
  let commit: string;
  try {
    commit = (await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], root)).trim();
  } catch {
    commit = '';
  }
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new ChangedLinesError(`--changed-since: unknown git revision "${ref}" in ${root}`);
  const diff = await git(['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--no-textconv', '--unified=0', '--src-prefix=a/', '--dst-prefix=b/', '-M', commit, '--'], root);
  const untracked = await git(['ls-files', '--others', '--exclude-standard', '-z'], root);
  const files = new Map<string, ReadonlySet<number> | 'all'>();
  for (const [path, lines] of parseUnifiedDiff(diff)) files.set(resolve(root, path), lines);
  for (const path of untracked.split('\0').filter(Boolean)) files.set(resolve(root, path), 'all');
  return { ref, commit, root, files };
}

function touches(changed: ReadonlySet<number> | 'all' | undefined, startLine0: number, endLine0: number): boolean {
  if (!changed) return false;
  if (changed === 'all') return true;
  for (let l = startLine0 + 1; l <= endLine0 + 1; l++) if (changed.has(l)) return true;
  return false;
}

/**
 * Keeps the findings on changed lines: the flagged range, or any step of its source-to-sink path (a new
 * source feeding an old sink makes the old sink a new problem).
 */
export function filterToChangedLines(run: RunResult, changed: ChangedLines): RunResult {
  // git reports real paths; the run may name files through a symbolic link.
  const real = new Map<string, string>();
  const lookup = (file: string) => {
    const abs = absolutePath(run, file);
    let r = real.get(abs);
    if (r === undefined) {
      try {
        r = realpathSync.native(abs);
      } catch {
        r = abs;
      }
      real.set(abs, r);
    }
    return changed.files.get(r) ?? changed.files.get(abs);
  };
  const findings = run.findings.filter(
    (f) => touches(lookup(f.file), f.range.start.line, f.range.end.line) || [...f.path, ...f.related].some((s) => touches(lookup(s.file), s.range.start.line, s.range.end.line)),
  );
  // A baselined finding that disappeared from an untouched file was not fixed by this change.
  const baseline = run.baseline && { ...run.baseline, fixed: run.baseline.fixed.filter((e) => lookup(resolve(run.baseDir, e.file)) !== undefined) };
  return { ...run, findings, ...(baseline ? { baseline } : {}), changedSince: { ref: changed.ref, omitted: run.findings.length - findings.length } };
}
