/**
 * A cached run follows an edit that only moved another file's call sites by moving the last result of each file
 * whose slice cites it (`followResult`) instead of linting it again: the moved result must be exactly what
 * linting again gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProjectIndex, FileResult, FileSummary, lintParsed, summarizeFile } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { parseFile, Parsers } from '../../server/src/engine/parse/parse';
import { followResult, positionMap } from '../../server/src/engine/index/moves';
import { IndexSlice, originChanges, remapSlice, sliceCites, sliceIndex, sliceToIndex } from '../../server/src/cli/slice';
import type { Finding } from '../../server/src/engine/rule';
import { RULES } from '../../rules/index.generated';
import { getParsers, random } from '../helpers';
import { CHAIN, MESSAGE, MOVES, PORT } from './cli-helpers';
import { generateCorpus } from '../../bench/corpus/generate';

interface Project {
  readonly texts: Record<string, string>;
  readonly summaries: Map<string, FileSummary>;
  readonly slices: Map<string, IndexSlice>;
  readonly results: Map<string, FileResult>;
}

function analyse(parsers: Parsers, texts: Record<string, string>): Project {
  const config = DEFAULT_ENGINE_CONFIG;
  const summaries = new Map<string, FileSummary>();
  for (const [path, text] of Object.entries(texts)) {
    const parsed = parseFile(parsers, path, text);
    summaries.set(path, summarizeFile(parsed, config));
    parsed.tree.delete?.();
  }
  const index = buildProjectIndex([...summaries.values()]);
  const slices = new Map<string, IndexSlice>();
  const results = new Map<string, FileResult>();
  for (const [path, text] of Object.entries(texts)) {
    const slice = sliceIndex(index, summaries.get(path)!);
    slices.set(path, slice);
    const parsed = parseFile(parsers, path, text);
    results.set(path, lintParsed(parsed, RULES, config, sliceToIndex(slice)));
    parsed.tree.delete?.();
  }
  return { texts, summaries, slices, results };
}

/** `text` with a comment line inserted before its line `at` (0-based; at its end when past the last line). */
function insertLine(text: string, at: number): string {
  const lines = text.split('\n');
  lines.splice(Math.min(at, lines.length), 0, '// inserted');
  return lines.join('\n');
}

test('a result followed across a move equals the result of linting again', async () => {
  const parsers = await getParsers();
  const texts: Record<string, string> = { ...MOVES, 'filter/port.c': PORT, 'filter/message.c': MESSAGE, ...CHAIN };
  for (const f of generateCorpus({ seed: 3, files: 8 })) texts[`gen/${f.path}`] = f.text;
  const before = analyse(parsers, texts);
  const rand = random(17);
  let followed = 0;
  let withFindings = 0;
  for (const moved of Object.keys(texts)) {
    const citing = [...before.slices].filter(([path, slice]) => path !== moved && sliceCites(slice, new Set([moved])));
    if (!citing.length) continue;
    const lineCount = texts[moved].split('\n').length;
    for (const at of [0, Math.floor(rand() * lineCount), lineCount]) {
      const after = analyse(parsers, { ...texts, [moved]: insertLine(texts[moved], at) });
      const map = positionMap(before.summaries.get(moved)!, after.summaries.get(moved)!);
      if (!map) continue;
      for (const [path, slice] of citing) {
        const remapped = remapSlice(slice, moved, map);
        assert.deepEqual(remapped, after.slices.get(path), `${path}'s slice follows ${moved} as the index built again gives it`);
        const origins = originChanges(slice, remapped!);
        const out: FileResult | undefined = origins ? followResult(before.results.get(path)!, new Map([[moved, map]]), origins) : undefined;
        if (!out) continue;
        assert.deepEqual(out, after.results.get(path), `${path}'s result after a line inserted at ${moved}:${at + 1}`);
        followed++;
        if (out.findings.some((f) => f.path.some((p) => p.file === moved))) withFindings++;
      }
    }
  }
  // Not vacuous: results were followed, and some of them hold findings whose paths run through the moved file.
  assert.ok(followed >= 10, `${followed} results followed`);
  assert.ok(withFindings >= 3, `${withFindings} followed results cite the moved file`);
});

const RANGE = { start: { line: 4, character: 2 }, end: { line: 4, character: 9 } };

function finding(message: string, startOffset: number, path: Finding['path'] = []): Finding {
  return { ruleId: 'KS1001', ruleName: 'unchecked-content-index', severity: 'error', message, file: 'b.c', range: RANGE, startOffset, endOffset: startOffset + 7, path, related: [], fixes: [], functionName: 'F', subKind: undefined, fingerprint: `fp${startOffset}` };
}

const result = (...findings: Finding[]): FileResult => ({ path: 'b.c', findings, ruleErrors: [], stats: { functions: 1, analysed: 1, skipped: 0, parseErrors: 0, maskedMacros: 0, lines: 9, bytes: 99 } });

test('origins quoted in messages and labels are rewritten; anything that cannot be followed is linted again', () => {
  const step = { file: 'a.c', range: { start: { line: 3, character: 0 }, end: { line: 3, character: 5 } }, label: "'buf' passed by D (a.c:4)" };
  const map = { ranges: new Map([['3:0-3:5', { start: { line: 5, character: 0 }, end: { line: 5, character: 5 } }]]), lines: new Map([[3, 5]]) };
  const origins = new Map([["'buf' passed by D (a.c:4)", "'buf' passed by D (a.c:6)"]]);
  const last = result(finding("index from untrusted data ('buf' passed by D (a.c:4)); see 'buf' passed by D (a.c:4)", 10, [step]));
  const moved = followResult(last, new Map([['a.c', map]]), origins)!;
  assert.equal(moved.findings[0].message, "index from untrusted data ('buf' passed by D (a.c:6)); see 'buf' passed by D (a.c:6)");
  assert.deepEqual(moved.findings[0].path[0], { ...step, range: { start: { line: 5, character: 0 }, end: { line: 5, character: 5 } }, label: "'buf' passed by D (a.c:6)" });
  assert.equal(moved.findings[0].fingerprint, 'fp10');

  // A step in the moved file at a position the move does not know.
  const unknown = result(finding('m', 10, [{ ...step, range: RANGE }]));
  assert.equal(followResult(unknown, new Map([['a.c', map]]), origins), undefined);

  // Two findings at one place ordered by message: rewriting the line number would reorder them (and their
  // fingerprints count identical findings in order), so the file is linted again.
  const swap = new Map([['(a.c:9)', '(a.c:99)']]);
  const ordered = result(finding('from (a.c:9)', 10), finding('from (a.c:90)', 10));
  assert.equal(followResult(ordered, new Map([['a.c', map]]), swap), undefined);
  // Rewritten in one pass: a new text that is another's old one is not rewritten again.
  const chain = new Map([['(a.c:9)', '(a.c:10)'], ['(a.c:10)', '(a.c:11)']]);
  assert.equal(followResult(result(finding('from (a.c:9) and (a.c:10)', 10)), new Map(), chain)!.findings[0].message, 'from (a.c:10) and (a.c:11)');
});

test('origin changes are refused where rewriting them could say something else than linting again', () => {
  const seed = (origin: string) => ({ kind: 'buffer' as const, origin });
  const slice = (...origins: string[]): IndexSlice => ({ file: 'b.c', roles: [], seeds: [['F', origins.map((o, i) => [i, seed(o)] as const)]], ioctls: [], macros: [], members: [] });
  assert.deepEqual([...originChanges(slice('x (a.c:4)', 'y'), slice('x (a.c:6)', 'y'))!], [['x (a.c:4)', 'x (a.c:6)']]);
  assert.deepEqual([...originChanges(slice('x (a.c:4)', 'x (a.c:5)'), slice('x (a.c:5)', 'x (a.c:6)'))!], [['x (a.c:4)', 'x (a.c:5)'], ['x (a.c:5)', 'x (a.c:6)']]);
  assert.equal(originChanges(slice('x (a.c:4)', 'x (a.c:4)'), slice('x (a.c:5)', 'x (a.c:6)')), undefined, 'one old text, two new ones');
  assert.equal(originChanges(slice('x (a.c:4)', 'x (a.c:5)'), slice('x (a.c:6)', 'x (a.c:6)')), undefined, 'two old texts, one new one');
  assert.equal(originChanges(slice('x (a.c:4)', 'x (a.c:4)'), slice('x (a.c:5)', 'x (a.c:4)')), undefined, 'an old text another seed keeps');
  assert.equal(originChanges(slice('x (a.c:4)', 'x (a.c:6)'), slice('x (a.c:6)', 'x (a.c:6)')), undefined, 'a new text another seed already had');
});
