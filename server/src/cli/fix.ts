/**
 * `kslint --fix`: writes the safe fixes of a run's findings into the linted files. A source file is the user's
 * work, so a file is rewritten only when the result is certain to be the fixed version of exactly the text that
 * was linted: its bytes must still hash to what the run analysed, and must decode and encode back to the same
 * bytes (a legacy code-page file or a damaged UTF-16 one would not). The new content replaces the file in one
 * rename, with the file's own permissions; a symbolic link is followed, so the link stays a link.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { applyEdits, selectSafeFixes } from '../engine/fix-all';
import type { Finding } from '../engine/rule';
import { relativeInside } from '../project/discover';
import { decodeSource, encodeSource, readSourceBytes, SourceEncoding } from '../project/read-source';
import { writeFileAtomic } from '../report/baseline';
import { hashOf } from './cache';

export interface FixOutcome {
  /** Files rewritten, with the number of fixes applied to each. */
  readonly fixed: { readonly file: string; readonly fixes: number }[];
  /** Files with safe fixes that were left as they are, and why (not an error: the findings stay reported). */
  readonly left: { readonly file: string; readonly reason: string }[];
  /** Files that could not be written. */
  readonly failed: { readonly file: string; readonly reason: string }[];
}

export interface FixInput {
  /** The findings whose safe fixes to apply (suppressed ones are left alone), any files. */
  readonly findings: readonly Finding[];
  /** The hash of the bytes each file's findings were computed from (see `PipelineResult.contentHashes`). */
  readonly contentHashes: ReadonlyMap<string, string>;
  readonly cwd: string;
  readonly maxBytes: number;
  /** Replaces a file's content (tests substitute one that fails); by default an atomic write. */
  readonly write?: (path: string, data: Uint8Array, mode: number) => void;
}

/** A file's safe fixes, worked out but not written: its text before and after, or why it is left as it is. */
type FilePlan =
  | { readonly ok: true; readonly file: string; readonly path: string; readonly fixes: number; readonly before: string; readonly after: string; readonly encoding: SourceEncoding }
  | { readonly ok: false; readonly file: string; readonly reason: string };

/** Works out, file by file in name order, what the safe fixes of `findings` would make of each file. */
function planSafeFixes(input: Omit<FixInput, 'write'>): FilePlan[] {
  const byFile = new Map<string, Finding[]>();
  for (const f of input.findings) {
    const list = byFile.get(f.file);
    if (list) list.push(f);
    else byFile.set(f.file, [f]);
  }
  const plans: FilePlan[] = [];
  for (const [file, findings] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const fixes = selectSafeFixes(findings);
    if (fixes.length > 0) plans.push(planFile(file, fixes.length, fixes.flatMap((x) => x.edits), input));
  }
  return plans;
}

function planFile(file: string, fixes: number, edits: readonly { start: number; end: number; newText: string }[], input: Omit<FixInput, 'write'>): FilePlan {
  const leave = (reason: string): FilePlan => ({ ok: false, file, reason });
  let path: string;
  try {
    path = realpathSync(resolve(input.cwd, file));
  } catch {
    return leave('no longer exists');
  }
  const read = readSourceBytes(path, { maxBytes: input.maxBytes });
  if (!read.ok) return leave(read.reason);
  if (hashOf(read.bytes) !== input.contentHashes.get(file)) return leave('changed since it was linted');
  const decoded = decodeSource(read.bytes);
  if (!decoded.ok) return leave(decoded.reason);
  if (decoded.replaced || !encodeSource(decoded.text, decoded.encoding).equals(read.bytes)) {
    return leave('its bytes would not be written back as they are (not valid UTF-8 or UTF-16)');
  }
  return { ok: true, file, path, fixes, before: decoded.text, after: applyEdits(decoded.text, edits), encoding: decoded.encoding };
}

export function applySafeFixes(input: FixInput): FixOutcome {
  const outcome: FixOutcome = { fixed: [], left: [], failed: [] };
  for (const plan of planSafeFixes(input)) {
    if (!plan.ok) {
      outcome.left.push({ file: plan.file, reason: plan.reason });
      continue;
    }
    try {
      (input.write ?? writeFileAtomic)(plan.path, encodeSource(plan.after, plan.encoding), statSync(plan.path).mode & 0o7777);
      outcome.fixed.push({ file: plan.file, fixes: plan.fixes });
    } catch (err) {
      outcome.failed.push({ file: plan.file, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return outcome;
}

/** What `--diff` shows: the safe fixes as one unified diff, and what `--fix` would have applied or left. */
export interface FixDiff {
  readonly patch: string;
  readonly tally: FixTally;
}

/**
 * The safe fixes of `findings` as a unified diff that `git apply` or `patch -p1` can apply from `cwd`; nothing
 * is written. Paths inside `cwd` are given relative to it with git's `a/` and `b/` prefixes, others whole. Only
 * one pass: a fix that another makes possible shows up on the next run.
 */
export function diffSafeFixes(input: Omit<FixInput, 'write'>): FixDiff {
  const tally: FixTally = { fixes: 0, files: new Set(), left: new Map(), failed: new Map() };
  let patch = '';
  for (const plan of planSafeFixes(input)) {
    if (!plan.ok) {
      tally.left.set(plan.file, plan.reason);
      continue;
    }
    tally.fixes += plan.fixes;
    tally.files.add(plan.file);
    const rel = relativeInside(input.cwd, plan.path);
    const inside = rel !== undefined;
    const name = inside ? rel.split(sep).join('/') : plan.path;
    const [from, to] = inside ? [`a/${name}`, `b/${name}`] : [name, name];
    // git's header before each file's part lets git and review tools read it as theirs.
    if (inside) patch += `diff --git ${from} ${to}\n`;
    patch += createTwoFilesPatch(from, to, plan.before, plan.after, undefined, undefined, { context: 3, headerOptions: FILE_HEADERS_ONLY });
  }
  return { patch, tally };
}

/** How many times `--fix` lints again and applies what is still fixable (a fix can make room for another). */
export const MAX_FIX_PASSES = 5;

/** What the passes of `--fix` did, over all passes. */
export interface FixTally {
  fixes: number;
  readonly files: Set<string>;
  readonly left: Map<string, string>;
  readonly failed: Map<string, string>;
}

export interface FixPassOptions<R> {
  /** The active findings a run reports: not suppressed or baselined, and on changed lines with `--changed-since`. */
  readonly reported: (result: R) => Promise<readonly Finding[]>;
  readonly lintAgain: () => Promise<R>;
  readonly cwd: string;
  readonly maxBytes: number;
}

/**
 * Applies the safe fixes of the active findings `first` reports, lints again, and repeats while fixes were
 * written (at most `MAX_FIX_PASSES` times). Returns the last run's result, which is what the report shows.
 */
export async function fixPasses<R extends { readonly contentHashes: ReadonlyMap<string, string> }>(first: R, opts: FixPassOptions<R>): Promise<{ result: R; tally: FixTally }> {
  const tally: FixTally = { fixes: 0, files: new Set(), left: new Map(), failed: new Map() };
  let result = first;
  for (let pass = 0; pass < MAX_FIX_PASSES; pass++) {
    const findings = await opts.reported(result);
    const outcome = applySafeFixes({ findings, contentHashes: result.contentHashes, cwd: opts.cwd, maxBytes: opts.maxBytes });
    for (const f of outcome.fixed) {
      tally.fixes += f.fixes;
      tally.files.add(f.file);
      tally.left.delete(f.file);
    }
    for (const l of outcome.left) if (!tally.files.has(l.file)) tally.left.set(l.file, l.reason);
    for (const l of outcome.failed) tally.failed.set(l.file, l.reason);
    if (outcome.fixed.length === 0) break;
    result = await opts.lintAgain();
  }
  return { result, tally };
}

/**
 * Tells what `--fix` did (or, with `shown`, what `--diff` showed) on standard error; true when some file could not
 * be written.
 */
export function reportFixes(tally: FixTally, io: { readonly quiet: boolean; readonly write: (s: string) => void; readonly shown?: boolean }): boolean {
  const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  const done = io.shown ? 'the diff shows' : 'applied';
  if (!io.quiet) io.write(tally.fixes ? `kslint: ${done} ${plural(tally.fixes, 'safe fix', 'safe fixes')} in ${plural(tally.files.size, 'file', 'files')}${io.shown ? ' (no file was changed)' : ''}\n` : 'kslint: no safe fixes to apply\n');
  if (!io.quiet) for (const [file, reason] of tally.left) io.write(`kslint: note: safe fixes ${io.shown ? 'left out of the diff for' : 'not applied to'} ${file}: ${reason}\n`);
  for (const [file, reason] of tally.failed) io.write(`kslint: cannot write the fixes to ${file}: ${reason}\n`);
  return tally.failed.size > 0;
}
