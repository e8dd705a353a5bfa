/**
 * Cached re-runs (`npm run bench -- --rerun N`): the `kslint` command with `--cache` on a copy of a tree, first
 * cold, then N times each after the edits a developer makes between two runs: none, a comment appended to a file,
 * a line inserted at the top of a file (its call sites move), the same in a large file (one of the largest 5%: a
 * short run's cost grows with the edited file, since fresh workers run the analysis before V8 has optimised it),
 * and the callee of a call that passes untrusted data renamed (what the file passes on changes, so the project
 * index is rebuilt); and, when the tree has one, a comment appended to a file that another file passes untrusted data
 * to (it is linted against the facts from the other files in the same pass). Each edit is made to the copy.
 */
import { appendFileSync, cpSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { measure } from './measure';
import { DEFAULT_ENGINE_CONFIG } from '../server/src/engine/config';
import { summarizeFile } from '../server/src/engine/lint';
import { loadBackend } from '../server/src/engine/parse/backend';
import { disposeParsed, Parsers, parseFile } from '../server/src/engine/parse/parse';
import { decodeSource } from '../server/src/project/read-source';

export type EditKind = 'nothing changed' | 'comment appended' | 'line inserted at the top' | 'same in a large file' | 'comment, cross-file callee' | 'summarized callee renamed';

export interface RerunFigures {
  readonly tree: string;
  readonly coldS: number;
  /** The files edited (relative to the tree). */
  readonly edited: { readonly moved: string; readonly large: string; readonly renamed: string; readonly callee?: string };
  /** Every kind but 'comment, cross-file callee' when no finding of the cold run has a path through another file. */
  readonly runs: Partial<Record<EditKind, number[]>>;
}

/** Where a call that the file's summary passes on starts, and its callee, in the first such file of `files`. */
async function findSummarizedCall(root: string, files: readonly string[]): Promise<{ file: string; offset: number; callee: string } | undefined> {
  const parsers = new Parsers(await loadBackend({ prefer: 'wasm' }));
  await parsers.backend.ready('cpp');
  const config = DEFAULT_ENGINE_CONFIG;
  for (const file of files) {
    const decoded = decodeSource(readFileSync(file));
    if (!decoded.ok || decoded.encoding !== 'utf-8') continue;
    const parsed = parseFile(parsers, file, decoded.text, { macros: config.macros, headerLanguage: config.headerLanguage });
    try {
      for (const fn of summarizeFile(parsed, config).functions) {
        for (const call of fn.calls) {
          const offset = parsed.source.offsetAt(call.range.start);
          // A plain call whose text starts with the callee's name, so that the rename is one insertion.
          if (/^[A-Za-z_]\w*$/.test(call.callee) && decoded.text.startsWith(`${call.callee}(`, offset)) return { file: relative(root, file), offset, callee: call.callee };
        }
      }
    } finally {
      disposeParsed(parsed);
    }
  }
  return undefined;
}

export async function benchReruns(name: string, source: string, files: readonly string[], scratch: string, jobs: number, repeats: number, log: (s: string) => void): Promise<RerunFigures | undefined> {
  const root = join(scratch, 'rerun-tree');
  const cache = join(scratch, 'rerun-cache');
  cpSync(source, root, { recursive: true });
  const copies = files.map((f) => join(root, relative(source, f)));
  const call = await findSummarizedCall(root, copies);
  if (!call) {
    log(`  ${name}: no call that passes untrusted data to another function; cached re-runs not measured`);
    return undefined;
  }
  // The file edited to move call sites: the median-sized one (not the renamed one).
  const bySize = copies.filter((f) => relative(root, f) !== call.file).map((f) => ({ f, size: readFileSync(f).length })).sort((a, b) => a.size - b.size || (a.f < b.f ? -1 : 1));
  const mid = bySize.length >> 1;
  const moved = bySize[mid].f;
  // Another file when there is one: a small tree's 95th percentile may be the median file.
  let top = Math.min(bySize.length - 1, Math.floor(bySize.length * 0.95));
  if (top === mid && bySize.length > 1) top = mid === bySize.length - 1 ? mid - 1 : bySize.length - 1;
  const large = bySize[top].f;
  const renamed = join(root, call.file);
  // A file's stamp vouches for its content only when its times are over 2 s old (see the cache's STAMP_MARGIN_MS).
  const past = Date.now() / 1000 - 3600;
  for (const f of copies) utimesSync(f, past, past);
  await new Promise((r) => setTimeout(r, 2500));

  const run = async (): Promise<number> => {
    const m = await measure(process.execPath, [join(__dirname, '..', '..', 'bin', 'kslint.js'), root, `--cache=${cache}`, '--jobs', String(jobs), '--fail-on', 'none', '-q', '-f', 'json', '-o', join(scratch, 'rerun-report.json')]);
    if (m.status !== 0) throw new Error(`kslint --cache failed (exit ${m.status}): ${m.stderr.slice(0, 2000)}`);
    return m.wallMs / 1000;
  };
  const coldS = await run();
  const callee = crossFileCallee(join(scratch, 'rerun-report.json'), [moved, large, renamed]);
  await run(); // records the stamps of files whose times the cold run could not yet trust
  const runs: Record<EditKind, number[]> = { 'nothing changed': [], 'comment appended': [], 'line inserted at the top': [], 'same in a large file': [], 'comment, cross-file callee': [], 'summarized callee renamed': [] };
  for (let i = 0; i < repeats; i++) {
    runs['nothing changed'].push(await run());
    appendFileSync(moved, `\n// kslint bench edit ${i}\n`);
    runs['comment appended'].push(await run());
    writeFileSync(moved, `// kslint bench line ${i}\n${readFileSync(moved, 'utf8')}`);
    runs['line inserted at the top'].push(await run());
    writeFileSync(large, `// kslint bench line ${i}\n${readFileSync(large, 'utf8')}`);
    runs['same in a large file'].push(await run());
    if (callee) {
      appendFileSync(callee, `\n// kslint bench edit ${i}\n`);
      runs['comment, cross-file callee'].push(await run());
    }
    // The callee gets a new suffix each time: a new name, so a new summary (and index) each time.
    const text = readFileSync(renamed, 'utf8');
    const end = text.indexOf('(', call.offset);
    writeFileSync(renamed, `${text.slice(0, call.offset)}${call.callee}Bench${i}${text.slice(end)}`);
    runs['summarized callee renamed'].push(await run());
  }
  if (!callee) delete (runs as Partial<Record<EditKind, number[]>>)['comment, cross-file callee'];
  return { tree: name, coldS, edited: { moved: relative(root, moved), large: relative(root, large), renamed: `${call.file} (${call.callee})`, ...(callee ? { callee: relative(root, callee) } : {}) }, runs };
}

/**
 * A file that another file passes untrusted data to, found in the cold run's JSON report: the first (by path) with
 * a finding whose path runs through another file, other than `taken`. Edited, it is linted against the facts the
 * other files gave it (see the pipeline's `LintTask.likely`).
 */
function crossFileCallee(report: string, taken: readonly string[]): string | undefined {
  const findings = (JSON.parse(readFileSync(report, 'utf8')) as { findings: { file: string; path: { file: string }[] }[] }).findings;
  const files = findings.filter((f) => f.path.some((p) => p.file !== f.file)).map((f) => resolve(f.file));
  return [...new Set(files)].filter((f) => !taken.includes(f)).sort()[0];
}

export function printReruns(r: RerunFigures, jobs: number, log: (s: string) => void): void {
  const fmt = (s: number): string => s.toFixed(2);
  log(`cached re-runs (kslint --cache, ${jobs} jobs) on ${r.tree}: cold ${fmt(r.coldS)} s; line edits in ${r.edited.moved} and ${r.edited.large}${r.edited.callee ? `, a comment in ${r.edited.callee} (given data by another file)` : ''}, callee renamed in ${r.edited.renamed}`);
  for (const [kind, times] of Object.entries(r.runs)) {
    if (!times?.length) continue;
    const sorted = [...times].sort((a, b) => a - b);
    log(`  ${kind.padEnd(26)} median ${fmt(sorted[sorted.length >> 1])} s (${fmt(sorted[0])}-${fmt(sorted[sorted.length - 1])} over ${sorted.length})`);
  }
}
