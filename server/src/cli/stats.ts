/**
 * `--stats`: what was analysed and skipped, findings per rule, time per phase and peak memory (to standard error),
 * as text or (`--stats=json`, for benchmarks and dashboards) as one JSON object.
 */
import type { RunResult } from '../report/run';
import { summarize } from '../report/common';
import { Discovery, DropReason, dropReasonText } from '../project/discover';
import type { ResultCache } from './cache';
import type { PipelineResult } from './pipeline';

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

export function formatStats(input: StatsInput): string {
  const { run, discovery, pipeline, jobs, cache, times } = input;
  const st = run.stats;
  const summary = summarize(run);
  const lines: string[] = ['kslint statistics'];
  const row = (label: string, text: string): void => void lines.push(`  ${label.padEnd(12)} ${text}`);

  const skippedBy = new Map<string, number>();
  for (const f of run.skipped) skippedBy.set(reasonKey(f.reason), (skippedBy.get(reasonKey(f.reason)) ?? 0) + 1);
  row('files', `${n(st?.files ?? 0)} analysed; ${n(run.skipped.length)} skipped${skippedBy.size ? ` (${[...skippedBy].map(([k, v]) => `${n(v)} ${k}`).join(', ')})` : ''}`);
  const dropped = (Object.entries(discovery.dropped) as [DropReason, number][]).filter(([, v]) => v > 0);
  if (dropped.length) row('left out', dropped.map(([k, v]) => `${n(v)} ${dropReasonText(k)}`).join('; '));
  const bytes = pipeline.results.reduce((a, r) => a + r.stats.bytes, 0);
  row('lines', `${n(st?.lines ?? 0)} (${(bytes / (1024 * 1024)).toFixed(1)} MB of text)`);
  row('functions', `${n(st?.functionsAnalysed ?? 0)} analysed, ${n(st?.functionsSkipped ?? 0)} skipped by data-flow rules (damaged syntax or too complex) of ${n(st?.functions ?? 0)}`);
  const parseErrors = pipeline.results.reduce((a, r) => a + r.stats.parseErrors, 0);
  const withErrors = pipeline.results.filter((r) => r.stats.parseErrors > 0).length;
  row('syntax', `${n(withErrors)} files with parse errors (${n(parseErrors)} ERROR/MISSING nodes); ${n(pipeline.results.reduce((a, r) => a + r.stats.maskedMacros, 0))} macro uses masked`);
  const enc = pipeline.encodings;
  row('encodings', `${n(enc['utf-8'])} UTF-8, ${n(enc['utf-8-bom'])} UTF-8 with BOM, ${n(enc['utf-16le'] + enc['utf-16be'])} UTF-16; ${n(pipeline.replaced.length)} not valid UTF-8 (read with U+FFFD)`);
  const perK = st?.lines ? (summary.active / st.lines) * 1000 : 0;
  row('findings', `${n(summary.active)} (${perK.toFixed(2)} per 1,000 lines); ${n(summary.suppressed)} suppressed; ${n(summary.failing)} at or above --fail-on ${run.failOn}`);
  for (const r of summary.byRule) {
    const rule = run.rules.find((x) => x.meta.id === r.ruleId);
    lines.push(`    ${r.ruleId} ${(rule?.meta.name ?? '').padEnd(34)} ${n(r.count).padStart(7)}`);
  }
  row('cross-file', `${n(pipeline.phase2Files)} files linted again with the project index`);
  if (cache) {
    const unread = pipeline.unread ? `; ${n(pipeline.unread)} files not read (size and times as when last hashed)` : '';
    row('cache', `${n(cache.hits)} hits, ${n(cache.misses)} misses${cache.writeErrors ? `, ${n(cache.writeErrors)} entries not written` : ''}${unread} (${cache.dir})`);
  }
  const t = pipeline.timings;
  row('time', `total ${s(times.total)}: discovery ${s(times.discovery)}, phase 1 ${s(t.phase1)}, index ${s(t.index)}, phase 2 ${s(t.phase2)}, report ${s(times.output)}`);
  row('worker time', `decode ${s(t.worker.decode)}, parse ${s(t.worker.parse)}, summarize ${s(t.worker.summarize)}, rules ${s(t.worker.rules)} (summed over ${jobs} worker${jobs === 1 ? '' : 's'})`);
  row('throughput', `${((bytes / (1024 * 1024)) / Math.max(0.001, times.total / 1000)).toFixed(1)} MB/s, ${n(Math.round((st?.files ?? 0) / Math.max(0.001, times.total / 1000)))} files/s`);
  row('peak RSS', `${n(Math.round(process.resourceUsage().maxRSS / 1024))} MB (main thread and workers)`);
  return lines.join('\n') + '\n';
}

/** The figures `formatStats` prints, as data (times in milliseconds, memory in MB). */
export function statsJson(input: StatsInput): Record<string, unknown> {
  const { run, discovery, pipeline, jobs, cache, times } = input;
  const st = run.stats;
  const summary = summarize(run);
  const skippedBy: Record<string, number> = {};
  for (const f of run.skipped) skippedBy[reasonKey(f.reason)] = (skippedBy[reasonKey(f.reason)] ?? 0) + 1;
  const sum = (f: (r: PipelineResult['results'][number]) => number): number => pipeline.results.reduce((a, r) => a + f(r), 0);
  const ms = (x: number): number => Math.round(x * 10) / 10;
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
    ...(cache ? { cache: { dir: cache.dir, hits: cache.hits, misses: cache.misses, writeErrors: cache.writeErrors, unread: pipeline.unread } } : {}),
    jobs,
    timeMs: { total: ms(times.total), discovery: ms(times.discovery), phase1: ms(t.phase1), index: ms(t.index), phase2: ms(t.phase2), report: ms(times.output) },
    workerMs: { decode: ms(t.worker.decode), parse: ms(t.worker.parse), summarize: ms(t.worker.summarize), rules: ms(t.worker.rules) },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
