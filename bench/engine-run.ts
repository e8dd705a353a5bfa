/**
 * Engine-level benchmark run: reads, parses and lints a list of files with the analysis core directly (no CLI),
 * in the CLI's two passes (summaries, project index, rules), timing each phase, optionally over N worker threads. Prints one JSON `EngineRunResult` on stdout.
 *
 *   node out/bench/engine-run.js --list FILES.txt [--jobs N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { RULES } from '../rules/index.generated';
import { DEFAULT_ENGINE_CONFIG } from '../server/src/engine/config';
import { buildProjectIndex, FileSummary, lintParsed, summarizeFile } from '../server/src/engine/lint';
import { loadBackend } from '../server/src/engine/parse/backend';
import { Parsers, disposeParsed, parseFile } from '../server/src/engine/parse/parse';

export interface ShardResult {
  files: number;
  bytes: number;
  lines: number;
  functions: number;
  analysed: number;
  skipped: number;
  filesWithErrors: number;
  /** Milliseconds per phase, summed over files (parse counts both passes). */
  readMs: number;
  parseMs: number;
  /** Phase 1 (per-file summaries) plus building the project index. */
  indexMs: number;
  rulesMs: number;
  findings: Record<string, number>;
  failures: { path: string; message: string }[];
  ruleErrors: number;
  backend: string;
}

export interface EngineRunResult extends ShardResult {
  jobs: number;
  wallMs: number;
  maxRssKb: number;
}

function emptyShard(): ShardResult {
  return { files: 0, bytes: 0, lines: 0, functions: 0, analysed: 0, skipped: 0, filesWithErrors: 0, readMs: 0, parseMs: 0, indexMs: 0, rulesMs: 0, findings: {}, failures: [], ruleErrors: 0, backend: '' };
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const config = DEFAULT_ENGINE_CONFIG;

/**
 * One shard of files through both passes, as the CLI does it: pass 1 parses and summarises every file; the
 * project index is built from all shards' summaries; pass 2 parses again and runs the rules. Trees are not kept
 * between the passes (holding every AST of a large tree costs gigabytes).
 */
class Shard {
  readonly r = emptyShard();
  private parsers: Parsers | undefined;

  constructor(private readonly paths: readonly string[]) {}

  private async parse(path: string): Promise<{ parsed: ReturnType<typeof parseFile>; text: string }> {
    if (!this.parsers) {
      const backend = await loadBackend();
      this.parsers = new Parsers(backend);
      this.r.backend = backend.kind;
    }
    let t = performance.now();
    const text = readFileSync(path, 'utf8');
    this.r.readMs += performance.now() - t;
    t = performance.now();
    const parsed = parseFile(this.parsers, path, text, { macros: config.macros, headerLanguage: config.headerLanguage });
    this.r.parseMs += performance.now() - t;
    return { parsed, text };
  }

  async summarize(): Promise<FileSummary[]> {
    const out: FileSummary[] = [];
    for (const path of this.paths) {
      try {
        const { parsed } = await this.parse(path);
        try {
          const t = performance.now();
          out.push(summarizeFile(parsed, config));
          this.r.indexMs += performance.now() - t;
        } finally {
          disposeParsed(parsed);
        }
      } catch (err) {
        this.r.failures.push({ path, message: `summary: ${err instanceof Error ? err.message : String(err)}` });
      }
      // Native trees are freed by the garbage collector only when the loop gets a turn.
      await yieldToLoop();
    }
    return out;
  }

  async lint(summaries: readonly FileSummary[]): Promise<ShardResult> {
    const r = this.r;
    let t = performance.now();
    const project = buildProjectIndex(summaries);
    r.indexMs += performance.now() - t;
    for (const path of this.paths) {
      try {
        const { parsed, text } = await this.parse(path);
        try {
          t = performance.now();
          const result = lintParsed(parsed, RULES, config, project);
          r.rulesMs += performance.now() - t;
          r.files++;
          r.bytes += Buffer.byteLength(text);
          r.lines += result.stats.lines;
          r.functions += result.stats.functions;
          r.analysed += result.stats.analysed;
          r.skipped += result.stats.skipped;
          if (result.stats.parseErrors > 0) r.filesWithErrors++;
          r.ruleErrors += result.ruleErrors.length;
          for (const f of result.findings) r.findings[f.ruleId] = (r.findings[f.ruleId] ?? 0) + 1;
        } finally {
          disposeParsed(parsed);
        }
      } catch (err) {
        r.failures.push({ path, message: err instanceof Error ? err.message : String(err) });
      }
      await yieldToLoop();
    }
    return r;
  }
}

function merge(into: ShardResult, s: ShardResult): void {
  for (const k of ['files', 'bytes', 'lines', 'functions', 'analysed', 'skipped', 'filesWithErrors', 'readMs', 'parseMs', 'indexMs', 'rulesMs', 'ruleErrors'] as const) into[k] += s[k];
  for (const [id, n] of Object.entries(s.findings)) into.findings[id] = (into.findings[id] ?? 0) + n;
  into.failures.push(...s.failures);
  into.backend = into.backend || s.backend;
}

/** Splits files into `jobs` shards of similar total size (largest first, each to the lightest shard). */
export function shard(paths: readonly { path: string; size: number }[], jobs: number): string[][] {
  const shards = Array.from({ length: jobs }, () => ({ size: 0, paths: [] as string[] }));
  for (const p of [...paths].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1))) {
    const lightest = shards.reduce((a, b) => (b.size < a.size ? b : a));
    lightest.paths.push(p.path);
    lightest.size += p.size;
  }
  return shards.map((s) => s.paths);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { list: { type: 'string' }, jobs: { type: 'string', default: '1' } } });
  if (!values.list) throw new Error('usage: engine-run --list FILE [--jobs N]');
  const jobs = Math.max(1, Number(values.jobs) || 1);
  const entries = readFileSync(values.list, 'utf8').split('\n').filter(Boolean).map((line) => {
    const tab = line.indexOf('\t');
    return { size: Number(line.slice(0, tab)), path: line.slice(tab + 1) };
  });
  const t0 = performance.now();
  const total = emptyShard();
  if (jobs === 1) {
    const one = new Shard(entries.map((e) => e.path));
    const summaries = await one.summarize();
    merge(total, await one.lint(summaries));
  } else {
    const workers = shard(entries, jobs).map((paths) => new Worker(__filename, { workerData: paths }));
    const next = <T>(w: Worker): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
    const summaries = (await Promise.all(workers.map((w) => next<FileSummary[]>(w)))).flat();
    const results = await Promise.all(
      workers.map((w) => {
        const done = next<ShardResult>(w);
        w.postMessage(summaries);
        return done;
      }),
    );
    for (const r of results) merge(total, r);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const out: EngineRunResult = { ...total, jobs, wallMs: performance.now() - t0, maxRssKb: process.resourceUsage().maxRSS };
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (isMainThread) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(2);
  });
} else {
  const worker = new Shard(workerData as string[]);
  void worker.summarize().then((summaries) => {
    parentPort!.once('message', (all: FileSummary[]) => void worker.lint(all).then((r) => parentPort!.postMessage(r)));
    parentPort!.postMessage(summaries);
  });
}
