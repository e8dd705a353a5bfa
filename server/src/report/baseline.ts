/**
 * Baselines let a team adopt the linter on existing code and fail only on new findings. A baseline records
 * findings by file and line-independent fingerprint; lines are kept only to show where fixed findings were.
 * A previous SARIF log from kslint is accepted as a baseline too.
 */
import { chmodSync, mkdirSync, renameSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { baselineKey, displayPath, findingStatus } from './common';
import { FINGERPRINT_KEY } from './sarif';
import type { BaselineEntry, RunResult } from './run';

export const BASELINE_KIND = 'kslint-baseline';
export const BASELINE_VERSION = 1;

export interface BaselineFile {
  readonly kind: typeof BASELINE_KIND;
  readonly version: typeof BASELINE_VERSION;
  readonly tool: { readonly name: string; readonly version: string };
  readonly created: string;
  readonly entries: readonly BaselineEntry[];
}

export class BaselineError extends Error {}

/** The findings a baseline should accept: everything not already waived in the source. */
export function createBaseline(run: RunResult): BaselineFile {
  const entries = run.findings
    .filter((f) => findingStatus(run, f) !== 'suppressed')
    .map((f) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, file: displayPath(run, f.file), line: f.range.start.line + 1, message: f.message }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)));
  return { kind: BASELINE_KIND, version: BASELINE_VERSION, tool: { name: run.tool.name, version: run.tool.version }, created: run.invocation.endTime, entries };
}

export function serializeBaseline(b: BaselineFile): string {
  return JSON.stringify(b, null, 2) + '\n';
}

/**
 * Writes atomically (a reader, or a crash, never sees half a file), creating missing parent folders. `mode` is
 * the new file's permission bits (a rewritten source file keeps its own).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode?: number): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, data, mode === undefined ? undefined : { mode });
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never created
    }
    throw writeError(path, err as NodeJS.ErrnoException);
  }
}

const WRITE_PROBLEMS: Record<string, string> = {
  EEXIST: 'a parent folder in its path is a file',
  ENOTDIR: 'a parent folder in its path is a file',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

/** An error naming the file and the problem in words, keeping the system error code for callers. */
function writeError(path: string, err: NodeJS.ErrnoException): NodeJS.ErrnoException {
  const problem = (err.code && WRITE_PROBLEMS[err.code]) ?? err.message;
  const e: NodeJS.ErrnoException = new Error(`${path}: ${problem}`);
  if (err.code) e.code = err.code;
  return e;
}

export function writeBaselineFile(path: string, run: RunResult): BaselineFile {
  const b = createBaseline(run);
  try {
    writeFileAtomic(path, serializeBaseline(b));
  } catch (err) {
    throw new BaselineError(`${path}: cannot write the baseline (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return b;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entryFrom(v: unknown): BaselineEntry | undefined {
  if (!isRecord(v)) return undefined;
  const { fingerprint, ruleId, file, line, message } = v;
  if (typeof fingerprint !== 'string' || typeof ruleId !== 'string' || typeof file !== 'string') return undefined;
  return { fingerprint, ruleId, file, line: typeof line === 'number' && line > 0 ? Math.floor(line) : 1, message: typeof message === 'string' ? message : '' };
}

/** Entries from a kslint SARIF log: results it reported (or had baselined), not the ones waived in the source. */
function entriesFromSarif(log: Record<string, unknown>): BaselineEntry[] {
  const out: BaselineEntry[] = [];
  for (const run of Array.isArray(log.runs) ? log.runs : []) {
    if (!isRecord(run)) continue;
    for (const r of Array.isArray(run.results) ? run.results : []) {
      if (!isRecord(r) || r.baselineState === 'absent' || r.kind === 'pass') continue;
      const sup = Array.isArray(r.suppressions) ? r.suppressions : [];
      if (sup.some((s) => isRecord(s) && s.kind === 'inSource')) continue;
      const fp = isRecord(r.partialFingerprints) ? r.partialFingerprints[FINGERPRINT_KEY] : undefined;
      const loc = Array.isArray(r.locations) && isRecord(r.locations[0]) ? r.locations[0].physicalLocation : undefined;
      const art = isRecord(loc) && isRecord(loc.artifactLocation) ? loc.artifactLocation : undefined;
      const reg = isRecord(loc) && isRecord(loc.region) ? loc.region : undefined;
      if (typeof fp !== 'string' || typeof r.ruleId !== 'string' || !art || typeof art.uri !== 'string') continue;
      let file: string;
      try {
        file = art.uri.split('/').map(decodeURIComponent).join('/');
      } catch {
        continue;
      }
      const message = isRecord(r.message) && typeof r.message.text === 'string' ? r.message.text : '';
      out.push({ fingerprint: fp, ruleId: r.ruleId, file, line: reg && typeof reg.startLine === 'number' ? reg.startLine : 1, message });
    }
  }
  return out;
}

/** Parses a baseline (kslint baseline JSON or a kslint SARIF log). `source` names the file in error messages. */
export function parseBaseline(text: string, source: string): BaselineEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new BaselineError(`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (isRecord(data) && data.kind === BASELINE_KIND) {
    if (data.version !== BASELINE_VERSION) throw new BaselineError(`${source}: baseline version ${String(data.version)} is not supported (expected ${BASELINE_VERSION})`);
    if (!Array.isArray(data.entries)) throw new BaselineError(`${source}: "entries" must be an array`);
    const entries = data.entries.map(entryFrom);
    const bad = entries.findIndex((e) => !e);
    if (bad >= 0) throw new BaselineError(`${source}: entry ${bad} lacks fingerprint, ruleId or file`);
    return entries as BaselineEntry[];
  }
  if (isRecord(data) && data.version === '2.1.0' && Array.isArray(data.runs)) return entriesFromSarif(data);
  throw new BaselineError(`${source}: neither a kslint baseline nor a SARIF 2.1.0 log`);
}

export function readBaselineFile(path: string): BaselineEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BaselineError(`${path}: cannot read the baseline (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseBaseline(text, path);
}

/**
 * Compares a run with a baseline: findings whose file and fingerprint the baseline has are `unchanged`, the rest
 * `new`; baseline entries nothing matched are `fixed`. Each entry matches at most one finding.
 */
export function applyBaseline(run: RunResult, entries: readonly BaselineEntry[], source: string): RunResult {
  const remaining = new Map<string, BaselineEntry[]>();
  for (const e of entries) {
    const key = `${e.file}\n${e.fingerprint}`;
    const list = remaining.get(key);
    if (list) list.push(e);
    else remaining.set(key, [e]);
  }
  const unchanged = new Set<string>();
  for (const f of run.findings) {
    if (findingStatus(run, f) === 'suppressed') continue;
    const key = baselineKey(run, f);
    const list = remaining.get(key);
    if (list?.length) {
      list.shift();
      unchanged.add(key);
    }
  }
  const fixed = [...remaining.values()].flat();
  return { ...run, baseline: { source, unchanged, fixed } };
}
