/**
 * `kslint --fix`: writes the safe fixes of a run's findings into the linted files. A source file is the user's
 * work, so a file is rewritten only when the result is certain to be the fixed version of exactly the text that
 * was linted: its bytes must still hash to what the run analysed, and must decode and encode back to the same
 * bytes (a legacy code-page file or a damaged UTF-16 one would not). The new content replaces the file in one
 * rename, with the file's own permissions; a symbolic link is followed, so the link stays a link.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyEdits, selectSafeFixes } from '../engine/fix-all';
import type { Finding } from '../engine/rule';
import { decodeSource, encodeSource, readSourceBytes } from '../project/read-source';
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

export function applySafeFixes(input: FixInput): FixOutcome {
  const outcome: FixOutcome = { fixed: [], left: [], failed: [] };
  const byFile = new Map<string, Finding[]>();
  for (const f of input.findings) {
    const list = byFile.get(f.file);
    if (list) list.push(f);
    else byFile.set(f.file, [f]);
  }
  for (const [file, findings] of [...byFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const fixes = selectSafeFixes(findings);
    if (fixes.length === 0) continue;
    const r = fixFile(file, fixes.flatMap((x) => x.edits), input);
    if (r.ok) outcome.fixed.push({ file, fixes: fixes.length });
    else (r.failed ? outcome.failed : outcome.left).push({ file, reason: r.reason });
  }
  return outcome;
}

type FileFix = { readonly ok: true } | { readonly ok: false; readonly failed: boolean; readonly reason: string };

function fixFile(file: string, edits: readonly { start: number; end: number; newText: string }[], input: FixInput): FileFix {
  const leave = (reason: string): FileFix => ({ ok: false, failed: false, reason });
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
  try {
    (input.write ?? writeFileAtomic)(path, encodeSource(applyEdits(decoded.text, edits), decoded.encoding), statSync(path).mode & 0o7777);
    return { ok: true };
  } catch (err) {
    return { ok: false, failed: true, reason: err instanceof Error ? err.message : String(err) };
  }
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

/** Tells what `--fix` did on standard error; true when some file could not be written. */
export function reportFixes(tally: FixTally, io: { readonly quiet: boolean; readonly write: (s: string) => void }): boolean {
  const plural = (n: number, one: string, many: string): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  if (!io.quiet) io.write(tally.fixes ? `kslint: applied ${plural(tally.fixes, 'safe fix', 'safe fixes')} in ${plural(tally.files.size, 'file', 'files')}\n` : 'kslint: no safe fixes to apply\n');
  if (!io.quiet) for (const [file, reason] of tally.left) io.write(`kslint: note: safe fixes not applied to ${file}: ${reason}\n`);
  for (const [file, reason] of tally.failed) io.write(`kslint: cannot write the fixes to ${file}: ${reason}\n`);
  return tally.failed.size > 0;
}
