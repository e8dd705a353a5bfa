/**
 * Editor latency of the language server, over real JSON-RPC (`npm run bench` runs it; or
 * `node out/bench/editor-latency.js [--sizes 1000,5000,20000] [--edits 120] [--warmup 20] [--soak 10000] [--json FILE]`).
 *
 * - Latency: time from a `didChange` to the `publishDiagnostics` of that version, for one-character edits typed
 *   at a human pace (each edit follows a pause longer than the server's debounce, so the server analyses at once),
 *   on generated driver files of 1k, 5k and 20k lines; p50/p95/max over `--edits` edits per size, after
 *   `--warmup` edits (default 20) whose slowest time is reported on its own: a freshly started server runs its
 *   first analyses before the JavaScript engine has optimised them.
 * - Memory: the server's resident set over a soak of `--soak` edits to the 5k-line file, sent in bursts of 20
 *   (each burst analysed once), sampled after warm-up and at the end.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateCorpus } from './corpus/generate';
import { LspClient, fileUri } from '../test/lsp/lsp-client';

const DEBOUNCE_MS = 150;

/**
 * A driver-like file of about `lines` lines from the `.c` files of the deterministic benchmark corpus, cut after a
 * whole function (a cut mid-function would leave a syntax error and defeat incremental parsing).
 */
export function driverText(lines: number): string {
  const out: string[] = [];
  for (const f of generateCorpus({ files: 100_000 })) {
    if (!f.path.endsWith('.c')) continue;
    out.push(f.text.endsWith('\n') ? f.text : `${f.text}\n`);
    if (out.join('').split('\n').length > lines) break;
  }
  // Cut after the first function that ends (a `}` in column 0) at or past the requested size.
  const all = out.join('').split('\n');
  let end = Math.min(lines, all.length) - 1;
  while (end < all.length - 1 && all[end] !== '}') end++;
  return all.slice(0, end + 1).join('\n') + '\n';
}

/** Lines inside function bodies (indented statements) spread over the file, where the edits go. */
function editLines(text: string): number[] {
  const lines = text.split('\n');
  const picks: number[] = [];
  lines.forEach((l, i) => {
    if (/^ {4}\S.*;\s*$/.test(l)) picks.push(i);
  });
  return picks.filter((_, i) => i % Math.max(1, Math.floor(picks.length / 50)) === 0);
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface LatencyResult {
  lines: number;
  edits: number;
  openMs: number;
  p50: number;
  p95: number;
  max: number;
  warmup: number;
  /** The slowest of the warm-up edits. */
  warmupMax: number;
}

async function latency(lines: number, edits: number, warmup: number): Promise<LatencyResult> {
  const text = driverText(lines);
  const client = await LspClient.start({ rootPath: tmpdir(), initializationOptions: { debounceMs: DEBOUNCE_MS, index: false } });
  try {
    const uri = fileUri(join(tmpdir(), `kslint-bench-${lines}.c`));
    const t0 = performance.now();
    await client.open(uri, text);
    await client.diagnosticsFor(uri, 1);
    const openMs = performance.now() - t0;
    const targets = editLines(text);
    const times: number[] = [];
    for (let i = 0; i < warmup + edits; i++) {
      const line = targets[Math.floor(i / 2) % targets.length];
      // Type a space at the start of a statement, then delete it: the code stays valid, the tree changes.
      const change = i % 2 === 0 ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: ' ' } : { range: { start: { line, character: 0 }, end: { line, character: 1 } }, text: '' };
      await sleep(DEBOUNCE_MS + 20);
      const sent = performance.now();
      const v = await client.change(uri, [change]);
      await client.diagnosticsFor(uri, v, client.published.length);
      times.push(performance.now() - sent);
    }
    const warm = times.slice(0, warmup);
    const measured = times.slice(warmup).sort((a, b) => a - b);
    return { lines: text.split('\n').length - 1, edits, openMs, p50: percentile(measured, 50), p95: percentile(measured, 95), max: measured[measured.length - 1], warmup, warmupMax: warm.length ? Math.max(...warm) : NaN };
  } finally {
    await client.stop();
  }
}

async function soak(lines: number, edits: number): Promise<{ edits: number; samples: { edits: number; rssMb: number }[] }> {
  const text = driverText(lines);
  const client = await LspClient.start({ rootPath: tmpdir(), initializationOptions: { debounceMs: 10, index: false } });
  const samples: { edits: number; rssMb: number }[] = [];
  try {
    const uri = fileUri(join(tmpdir(), `kslint-soak-${lines}.c`));
    await client.open(uri, text);
    await client.diagnosticsFor(uri, 1);
    samples.push({ edits: 0, rssMb: rssMb(client.proc.pid!) });
    const targets = editLines(text);
    let v = 1;
    for (let i = 0; i < edits; i++) {
      const line = targets[Math.floor(i / 2) % targets.length];
      v = await client.change(uri, [i % 2 === 0 ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: 'x' } : { range: { start: { line, character: 0 }, end: { line, character: 1 } }, text: '' }]);
      if ((i + 1) % 20 === 0) await client.diagnosticsFor(uri, v, 0);
      if ((i + 1) % 2000 === 0 || i + 1 === 1000) samples.push({ edits: i + 1, rssMb: rssMb(client.proc.pid!) });
      // Keep the recorded publications bounded in this process too.
      if (client.published.length > 1000) client.published.splice(0, client.published.length - 10);
    }
    if (!client.alive) throw new Error('server died during the soak');
    return { edits, samples };
  } finally {
    await client.stop();
  }
}

const USAGE = 'usage: node out/bench/editor-latency.js [--sizes 1000,5000,20000] [--edits 120] [--warmup 20] [--soak 10000] [--json FILE]';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ options: { sizes: { type: 'string' }, edits: { type: 'string' }, warmup: { type: 'string' }, soak: { type: 'string' }, json: { type: 'string' }, help: { type: 'boolean' } } });
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const sizes = (values.sizes ?? '1000,5000,20000').split(',').map(Number);
  const edits = Number(values.edits ?? 120);
  const warmup = Number(values.warmup ?? 20);
  const soakEdits = Number(values.soak ?? 10_000);
  const results: LatencyResult[] = [];
  console.log(`didChange -> publishDiagnostics, one-character edits after a pause (debounce ${DEBOUNCE_MS} ms, analysed at once):`);
  for (const n of sizes) {
    const r = await latency(n, edits, warmup);
    results.push(r);
    const warm = r.warmup ? `; the ${r.warmup} warm-up edits before them: max ${r.warmupMax.toFixed(1)} ms` : '';
    console.log(`  ${String(r.lines).padStart(6)} lines: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms, max ${r.max.toFixed(1)} ms over ${r.edits} edits (open to first diagnostics ${r.openMs.toFixed(0)} ms${warm})`);
  }
  const s = soakEdits > 0 ? await soak(5000, soakEdits) : undefined;
  if (s) console.log(`  server RSS over ${s.edits} edits to a 5k-line file: ${s.samples.map((x) => `${x.edits}: ${x.rssMb.toFixed(0)} MB`).join(', ')}`);
  if (values.json) writeFileSync(values.json, JSON.stringify({ node: process.version, debounceMs: DEBOUNCE_MS, latency: results, soak: s }, null, 2) + '\n');
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(2);
  });
}
