/**
 * `--stats`: what was analysed and skipped, findings per rule, time per phase and peak memory (to standard error),
 * as text or (`--stats=json`, for benchmarks and dashboards) as one JSON object.
 */
import type { RunResult } from '../report/run';
import { summarize } from '../report/common';
import { Discovery, DropReason, dropReasonText } from '../project/discover';
import type { ResultCache } from './cache';
import type { PipelineResult } from './pipeline-result';
import type { SourceEncoding } from '../project/read-source';

export interface StatsInput {
  readonly run: RunResult;
  readonly discovery: Discovery;
  readonly pipeline: PipelineResult;
  readonly jobs: number;
  readonly cache?: ResultCache;
  /** Wall-clock milliseconds. */
  readonly times: { readonly discovery: number; readonly lint: number; readonly output: number; readonly total: number };
}

const n = (x: number): string => x.toLocaleString('en-US');
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Groups skip reasons by their leading words ("larger than 8 MB (12 KB; ...)" -> "larger than 8 MB"). */
function reasonKey(reason: string): string {
  return reason.replace(/\s*[(:].*$/, '');
}

/** The run's figures (times in milliseconds, memory in MB): what `--stats` prints, and `--stats=json` as JSON. */
export interface RunStats {
  readonly files: { readonly analysed: number; readonly skipped: number; readonly skippedBy: Record<string, number>; readonly leftOut: Record<DropReason, number> };
  readonly lines: number;
  readonly bytes: number;
  readonly functions: { readonly total: number; readonly analysed: number; readonly skipped: number };
  readonly syntax: { readonly filesWithErrors: number; readonly errorNodes: number; readonly maskedMacros: number };
  readonly encodings: Record<SourceEncoding, number> & { readonly replaced: number };
  readonly findings: { readonly active: number; readonly suppressed: number; readonly failing: number; readonly failOn: string; readonly byRule: Record<string, number> };
  readonly crossFile: { readonly files: number };
  readonly cache?: { readonly dir: string; readonly hits: number; readonly misses: number; readonly writeErrors: number; readonly unread: number; readonly followed: number; readonly pruned: number };
  readonly jobs: number;
  readonly timeMs: { readonly total: number; readonly discovery: number; readonly phase1: number; readonly index: number; readonly phase2: number; readonly report: number };
  readonly workerMs: { readonly decode: number; readonly parse: number; readonly summarize: number; readonly rules: number };
  readonly peakRssMb: number;
}

export function collectStats(input: StatsInput): RunStats {
  const { run, discovery, pipeline, jobs, cache, times } = input;
  const st = run.stats;
  const summary = summarize(run);
  const skippedBy: Record<string, number> = {};
  for (const f of run.skipped) skippedBy[reasonKey(f.reason)] = (skippedBy[reasonKey(f.reason)] ?? 0) + 1;
  const sum = (f: (r: PipelineResult['results'][number]) => number): number => pipeline.results.reduce((a, r) => a + f(r), 0);
  const t = pipeline.timings;
  return {
    files: { analysed: st?.files ?? 0, skipped: run.skipped.length, skippedBy, leftOut: discovery.dropped },
    lines: st?.lines ?? 0,
    bytes: sum((r) => r.stats.bytes),
    functions: { total: st?.functions ?? 0, analysed: st?.functionsAnalysed ?? 0, skipped: st?.functionsSkipped ?? 0 },
    syntax: { filesWithErrors: pipeline.results.filter((r) => r.stats.parseErrors > 0).length, errorNodes: sum((r) => r.stats.parseErrors), maskedMacros: sum((r) => r.stats.maskedMacros) },
    encodings: { ...pipeline.encodings, replaced: pipeline.replaced.length },
    findings: { active: summary.active, suppressed: summary.suppressed, failing: summary.failing, failOn: run.failOn, byRule: Object.fromEntries(summary.byRule.map((r) => [r.ruleId, r.count])) },
    crossFile: { files: pipeline.phase2Files },
    ...(cache ? { cache: { dir: cache.dir, hits: cache.hits, misses: cache.misses, writeErrors: cache.writeErrors, unread: pipeline.unread, followed: pipeline.followed, pruned: cache.pruned } } : {}),
    jobs,
    timeMs: { total: times.total, discovery: times.discovery, phase1: t.phase1, index: t.index, phase2: t.phase2, report: times.output },
    workerMs: { ...t.worker },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

export function formatStats(input: StatsInput): string {
  const x = collectStats(input);
  const lines: string[] = ['kslint statistics'];
  const row = (label: string, text: string): void => void lines.push(`  ${label.padEnd(12)} ${text}`);

  const skippedBy = Object.entries(x.files.skippedBy);
  row('files', `${n(x.files.analysed)} analysed; ${n(x.files.skipped)} skipped${skippedBy.length ? ` (${skippedBy.map(([k, v]) => `${n(v)} ${k}`).join(', ')})` : ''}`);
  const dropped = (Object.entries(x.files.leftOut) as [DropReason, number][]).filter(([, v]) => v > 0);
  if (dropped.length) row('left out', dropped.map(([k, v]) => `${n(v)} ${dropReasonText(k)}`).join('; '));
  row('lines', `${n(x.lines)} (${(x.bytes / (1024 * 1024)).toFixed(1)} MB of text)`);
  row('functions', `${n(x.functions.analysed)} analysed, ${n(x.functions.skipped)} skipped by data-flow rules (damaged syntax or too complex) of ${n(x.functions.total)}`);
  row('syntax', `${n(x.syntax.filesWithErrors)} files with parse errors (${n(x.syntax.errorNodes)} ERROR/MISSING nodes); ${n(x.syntax.maskedMacros)} macro uses masked`);
  const enc = x.encodings;
  row('encodings', `${n(enc['utf-8'])} UTF-8, ${n(enc['utf-8-bom'])} UTF-8 with BOM, ${n(enc['utf-16le'] + enc['utf-16be'])} UTF-16; ${n(enc.replaced)} not valid UTF-8 (read with U+FFFD)`);
  const f = x.findings;
  const perK = x.lines ? (f.active / x.lines) * 1000 : 0;
  row('findings', `${n(f.active)} (${perK.toFixed(2)} per 1,000 lines); ${n(f.suppressed)} suppressed; ${n(f.failing)} at or above --fail-on ${f.failOn}`);
  for (const [ruleId, count] of Object.entries(f.byRule)) {
    const rule = input.run.rules.find((r) => r.meta.id === ruleId);
    lines.push(`    ${ruleId} ${(rule?.meta.name ?? '').padEnd(34)} ${n(count).padStart(7)}`);
  }
  row('cross-file', `${n(x.crossFile.files)} files linted again with the project index`);
  if (x.cache) {
    const c = x.cache;
    const unread = c.unread ? `; ${n(c.unread)} files not read (size and times as when last hashed)` : '';
    const followed = c.followed ? `; ${n(c.followed)} ${c.followed === 1 ? 'result' : 'results'} moved with an edit to another file, not linted again` : '';
    const pruned = c.pruned ? `; ${n(c.pruned)} old entries removed` : '';
    row('cache', `${n(c.hits)} hits, ${n(c.misses)} misses${c.writeErrors ? `, ${n(c.writeErrors)} entries not written` : ''}${unread}${followed}${pruned} (${c.dir})`);
  }
  const t = x.timeMs;
  const w = x.workerMs;
  row('time', `total ${s(t.total)}: discovery ${s(t.discovery)}, phase 1 ${s(t.phase1)}, index ${s(t.index)}, phase 2 ${s(t.phase2)}, report ${s(t.report)}`);
  row('worker time', `decode ${s(w.decode)}, parse ${s(w.parse)}, summarize ${s(w.summarize)}, rules ${s(w.rules)} (summed over ${x.jobs} worker${x.jobs === 1 ? '' : 's'})`);
  row('throughput', `${((x.bytes / (1024 * 1024)) / Math.max(0.001, t.total / 1000)).toFixed(1)} MB/s, ${n(Math.round(x.files.analysed / Math.max(0.001, t.total / 1000)))} files/s`);
  row('peak RSS', `${n(x.peakRssMb)} MB (main thread and workers)`);
  return lines.join('\n') + '\n';
}

/** `--stats=json`: the same figures as data, times rounded to 0.1 ms. */
export function statsJson(input: StatsInput): RunStats {
  const x = collectStats(input);
  const round = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v * 10) / 10])) as T;
  return { ...x, timeMs: round(x.timeMs), workerMs: round(x.workerMs) };
}
