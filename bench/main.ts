/**
 * `npm run bench`: generates the corpus, lints it (and optionally a given folder) with 1 and N jobs, measures
 * cost per MB as the tree grows by duplication, compares with flawfinder and cppcheck when they are installed,
 * and runs the editor-latency benchmark when it exists. See README "Performance".
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, writeCorpus } from './corpus/generate';
import { measure } from './measure';
import { benchReruns, printReruns, RerunFigures } from './rerun';
import { ensureTools, runTool, ToolName, toolVersion, which } from './tools';
import { languageForPath } from '../server/src/engine/parse/parse';
import type { RunStats } from '../server/src/cli/stats';

interface FileEntry {
  readonly path: string;
  readonly size: number;
}

interface Target {
  readonly name: string;
  readonly root: string;
  readonly files: FileEntry[];
  readonly bytes: number;
}

export interface Row {
  target: string;
  tool: string;
  jobs: number;
  files: number;
  mb: number;
  wallS: number;
  cpuS: number | undefined;
  rssMb: number | undefined;
  findings: number;
  parseS?: number;
  indexS?: number;
  rulesS?: number;
  detail?: RunStats;
  note?: string;
}

const MB = 1024 * 1024;
const repo = resolve(__dirname, '..', '..');

/** C/C++ files under `root`, sorted; symlinks are not followed (loops, files outside the tree). */
export function collectSources(root: string): FileEntry[] {
  const out: FileEntry[] = [];
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git' && e.name !== 'node_modules') stack.push(full);
      } else if (e.isFile() && languageForPath(e.name)) {
        out.push({ path: full, size: lstatSync(full).size });
      }
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function makeTarget(name: string, root: string): Target {
  const files = collectSources(root);
  return { name, root, files, bytes: files.reduce((s, f) => s + f.size, 0) };
}

/** A tree holding `k` copies of the target, for cost-per-MB as the tree grows. */
function duplicate(t: Target, k: number, scratch: string): Target {
  const root = join(scratch, `${t.name}-x${k}`);
  for (let i = 0; i < k; i++) {
    for (const f of t.files) {
      const dest = join(root, `copy${i}`, relative(t.root, f.path));
      mkdirSync(join(dest, '..'), { recursive: true });
      copyFileSync(f.path, dest);
    }
  }
  return makeTarget(`${t.name} x${k}`, root);
}

/** The `kslint` command itself on the target's folder, as a user or CI runs it (a JSON report, no cache). */
async function runKslint(t: Target, jobs: number, scratch: string): Promise<Row> {
  const report = join(scratch, 'kslint-report.json');
  const m = await measure(process.execPath, [join(repo, 'bin', 'kslint.js'), t.root, '--jobs', String(jobs), '--fail-on', 'none', '-q', '--stats=json', '-f', 'json', '-o', report]);
  if (m.status !== 0) throw new Error(`kslint failed (exit ${m.status}): ${m.stderr.slice(0, 2000)}`);
  const r = JSON.parse(m.stderr.trimEnd().split('\n').at(-1) ?? '') as RunStats;
  return {
    target: t.name,
    tool: 'kslint',
    jobs,
    files: r.files.analysed,
    mb: r.bytes / MB,
    wallS: m.wallMs / 1000,
    cpuS: m.cpuMs === undefined ? undefined : m.cpuMs / 1000,
    rssMb: m.maxRssKb !== undefined ? m.maxRssKb / 1024 : r.peakRssMb,
    findings: r.findings.active,
    parseS: r.workerMs.parse / 1000,
    indexS: (r.workerMs.summarize + r.timeMs.index) / 1000,
    rulesS: r.workerMs.rules / 1000,
    detail: r,
    note: r.files.skipped ? `${r.files.skipped} files skipped` : undefined,
  };
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));

function printRows(rows: readonly Row[], log: (s: string) => void): void {
  const head = ['target', 'tool', 'jobs', 'files', 'MB', 'wall s', 'CPU s', 'MB/s', 'files/s', 'parse s', 'index s', 'rules s', 'peak RSS MB', 'findings', 'vs kslint'];
  const table = rows.map((r) => {
    const ks = rows.find((k) => k.tool === 'kslint' && k.target === r.target && k.jobs === Math.max(...rows.filter((x) => x.tool === 'kslint' && x.target === r.target).map((x) => x.jobs)));
    const ratio = r.tool === 'kslint' || !ks ? '' : `${fmt(r.wallS / ks.wallS, 2)}x wall, ${fmt((r.cpuS ?? NaN) / (ks.cpuS ?? NaN), 2)}x CPU`;
    return [r.target, r.tool, String(r.jobs), String(r.files), fmt(r.mb), fmt(r.wallS, 2), fmt(r.cpuS, 2), fmt(r.mb / r.wallS, 2), fmt(r.files / r.wallS, 0), fmt(r.parseS, 2), fmt(r.indexS, 2), fmt(r.rulesS, 2), fmt(r.rssMb, 0), String(r.findings), ratio + (r.note ? ` (${r.note})` : '')];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  log(line(head));
  for (const row of table) log(line(row));
}

function describe(r: Row, log: (s: string) => void): void {
  const d = r.detail;
  if (!d) return;
  const perRule = Object.entries(d.findings.byRule).sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => `${id} ${n}`).join(', ') || 'none';
  const kloc = d.lines / 1000;
  log(`  ${r.target}: ${d.files.analysed} files, ${d.lines} lines, ${d.functions.total} functions (${d.functions.analysed} analysed, ${d.functions.skipped} skipped), ${d.syntax.filesWithErrors} files with parse errors, ${d.crossFile.files} files linted again with the project index`);
  log(`  time: phase 1 ${fmt(d.timeMs.phase1 / 1000, 2)} s, index ${fmt(d.timeMs.index / 1000, 2)} s, phase 2 ${fmt(d.timeMs.phase2 / 1000, 2)} s; worker time parse ${fmt(d.workerMs.parse / 1000, 2)} s, summaries ${fmt(d.workerMs.summarize / 1000, 2)} s, rules ${fmt(d.workerMs.rules / 1000, 2)} s (summed over workers)`);
  log(`  findings: ${perRule}; ${fmt(r.findings / kloc, 2)} per 1,000 lines; skipped files ${d.files.skipped}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mb: { type: 'string' },
      files: { type: 'string' },
      seed: { type: 'string' },
      dir: { type: 'string', multiple: true },
      jobs: { type: 'string', default: '2' },
      scale: { type: 'string', default: '1,2,4' },
      'no-tools': { type: 'boolean', default: false },
      'no-install': { type: 'boolean', default: false },
      'no-corpus': { type: 'boolean', default: false },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      rerun: { type: 'string', default: '3' },
    },
  });
  const log = (s: string): void => void process.stdout.write(s + '\n');
  const jobs = Math.max(1, Number(values.jobs) || 2);
  const scales = values.scale.split(',').map(Number).filter((k) => Number.isInteger(k) && k >= 1);
  const scratch = mkdtempSync(join(tmpdir(), 'kslint-bench-'));
  const targets: Target[] = [];
  try {
    if (!values['no-corpus']) {
      const seed = values.seed !== undefined ? Number(values.seed) : DEFAULT_SEED;
      const files = values.files !== undefined ? Number(values.files) : undefined;
      const bytes = values.mb !== undefined ? Number(values.mb) * MB : files === undefined ? 10 * MB : undefined;
      const root = join(scratch, 'corpus');
      const s = writeCorpus(root, { seed, bytes, files });
      log(`corpus: seed ${seed}, ${s.files} files, ${fmt(s.bytes / MB)} MB, ${s.lines} lines`);
      targets.push(makeTarget('corpus', root));
    }
    for (const dir of values.dir ?? []) {
      if (!existsSync(dir)) throw new Error(`--dir ${dir}: no such folder`);
      const t = makeTarget(relative(process.cwd(), resolve(dir)) || '.', resolve(dir));
      log(`folder ${t.name}: ${t.files.length} C/C++ files, ${fmt(t.bytes / MB)} MB`);
      targets.push(t);
    }
    const tools: ToolName[] = [];
    if (!values['no-tools']) {
      if (!values['no-install']) ensureTools(log);
      for (const tool of ['flawfinder', 'cppcheck'] as const) {
        if (which(tool)) {
          tools.push(tool);
          log(`comparing with ${toolVersion(tool) ?? tool}`);
        }
      }
    }
    log(`node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; kslint jobs 1 and ${jobs} (the kslint command: parse, summaries, project index, rules, JSON report)`);
    const rows: Row[] = [];
    const scaling: { target: string; k: number; mb: number; wallS: number; cpuS: number | undefined; rssMb: number | undefined }[] = [];
    for (const t of targets) {
      for (const j of [...new Set([1, jobs])]) rows.push(await runKslint(t, j, scratch));
      for (const tool of tools) {
        const r = await runTool(tool, t.files.map((f) => f.path), jobs, scratch);
        rows.push({ target: t.name, tool, jobs: tool === 'flawfinder' ? 1 : jobs, files: t.files.length, mb: t.bytes / MB, wallS: r.wallMs / 1000, cpuS: r.cpuMs === undefined ? undefined : r.cpuMs / 1000, rssMb: r.maxRssKb === undefined ? undefined : r.maxRssKb / 1024, findings: r.findings, note: [r.status === 0 ? '' : `exit ${r.status}`, r.excluded ? `${r.excluded} non-UTF-8 files left out` : ''].filter(Boolean).join(', ') || undefined });
      }
      for (const k of scales) {
        const big = k === 1 ? t : duplicate(t, k, scratch);
        const r = k === 1 ? rows.find((x) => x.target === t.name && x.tool === 'kslint' && x.jobs === jobs)! : await runKslint(big, jobs, scratch);
        scaling.push({ target: t.name, k, mb: r.mb, wallS: r.wallS, cpuS: r.cpuS, rssMb: r.rssMb });
        if (k !== 1) rmSync(big.root, { recursive: true, force: true });
      }
    }
    log('');
    printRows(rows, log);
    log('');
    for (const r of rows.filter((x) => x.tool === 'kslint' && x.jobs === jobs)) describe(r, log);
    if (scaling.length) {
      log('');
      log(`cost per MB as the tree grows (kslint, ${jobs} jobs):`);
      for (const s of scaling) log(`  ${s.target} x${s.k}: ${fmt(s.mb)} MB in ${fmt(s.wallS, 2)} s = ${fmt((s.wallS * 1000) / s.mb, 0)} ms/MB wall, ${fmt(((s.cpuS ?? NaN) * 1000) / s.mb, 0)} ms/MB CPU, peak RSS ${fmt(s.rssMb, 0)} MB`);
    }
    // Cached re-runs on the last target (a given folder when there is one, else the corpus).
    const repeats = Math.max(0, Number(values.rerun) || 0);
    let reruns: RerunFigures | undefined;
    const last = targets.at(-1);
    if (repeats && last) {
      reruns = await benchReruns(last.name, last.root, last.files.map((f) => f.path), scratch, jobs, repeats, log);
      if (reruns) {
        log('');
        printReruns(reruns, jobs, log);
      }
    }
    const latency = [join(repo, 'out', 'bench', 'editor-latency.js'), join(repo, 'bench', 'editor-latency.mjs')].find(existsSync);
    if (latency) {
      log('');
      log('editor latency:');
      const m = await measure(process.execPath, [latency], { cwd: repo, timeoutMs: 15 * 60 * 1000 });
      log(m.stdout.trimEnd() || `(no output; exit ${m.status}) ${m.stderr.slice(0, 500)}`);
    }
    if (values.json) writeFileSync(values.json, JSON.stringify({ node: process.version, jobs, rows: rows.map(({ detail, ...r }) => ({ ...r, perRule: detail?.findings.byRule, lines: detail?.lines, functions: detail?.functions.total, analysed: detail?.functions.analysed, skipped: detail?.functions.skipped })), scaling, reruns }, null, 2) + '\n');
  } finally {
    if (values.keep) log(`scratch kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  });
}
