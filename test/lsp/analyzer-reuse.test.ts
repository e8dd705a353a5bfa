/**
 * The editor's analysis reuses work across edits: nodes of untouched top-level declarations are taken over (moved in
 * place), answers remembered per node survive, and the data flow of functions the edit did not move is kept. None
 * of that may change a finding: after every edit the editor's findings equal a fresh lint of the same text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer } from '../../server/src/lsp/analyzer';
import type { OpenDocument } from '../../server/src/lsp/documents';
import { ProjectState } from '../../server/src/lsp/project-state';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { FileResult, lintTexts } from '../../server/src/engine/lint';
import { RULES } from '../../rules/index.generated';
import { getParsers, random } from '../helpers';

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures');

interface Edit {
  readonly at: number;
  readonly remove: number;
  readonly insert: string;
}

/**
 * Edits an engineer makes while typing, mostly keeping the code valid so that most declarations are taken over:
 * indentation typed and removed at a line start (moving everything below), a comment of any length or a statement added, a
 * line deleted, text changed inside a masked annotation's argument list; now and then a stray brace or quote.
 */
function typingEdit(text: string, rnd: () => number): Edit {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const line = starts[Math.floor(rnd() * starts.length)];
  const lineEnd = text.indexOf('\n', line) === -1 ? text.length : text.indexOf('\n', line) + 1;
  const r = rnd();
  if (r < 0.3) return { at: line, remove: 0, insert: ' ' };
  if (r < 0.45 && text[line] === ' ') return { at: line, remove: 1, insert: '' };
  if (r < 0.55) return { at: line, remove: 0, insert: `/* ${'note '.repeat(1 + Math.floor(rnd() * 60))}*/\n` };
  if (r < 0.65 && text.slice(line, lineEnd).trimStart().startsWith('ULONG')) return { at: line, remove: 0, insert: '    x = 1;\n' };
  if (r < 0.72) return { at: line, remove: lineEnd - line, insert: '' };
  const sal = text.indexOf('_bytes_(', line);
  if (r < 0.8 && sal !== -1) return { at: sal + '_bytes_('.length, remove: 0, insert: 'n + ' };
  const junk = ['{', '}', '"', '(', ';', 'x'];
  return { at: line + Math.floor(rnd() * (lineEnd - line)), remove: 0, insert: junk[Math.floor(rnd() * junk.length)] };
}

function comparable(r: FileResult): string[] {
  return r.findings.map((f) => JSON.stringify({ ...f, fixes: f.fixes?.length ?? 0 }));
}

test("the editor's findings after each edit equal a fresh lint of the same text", async () => {
  const parsers = await getParsers();
  const files = readdirSync(FIXTURES)
    .flatMap((dir) => readdirSync(join(FIXTURES, dir)).map((name) => join(FIXTURES, dir, name)))
    .filter((f) => /\.(c|cpp)$/.test(f))
    .sort();
  assert.ok(files.length > 20, 'fixtures not found');
  const config = DEFAULT_ENGINE_CONFIG;
  let edits = 0;
  let withFindings = 0;
  for (const [i, file] of files.entries()) {
    const rnd = random(i + 7);
    let text = readFileSync(file, 'utf8');
    const analyzer = new Analyzer(parsers, RULES, new ProjectState());
    const doc = { path: file, version: 1, text: { getText: () => text } } as unknown as OpenDocument & { version: number };
    for (let step = 0; step < 8; step++) {
      if (step > 0) {
        const e = typingEdit(text, rnd);
        text = text.slice(0, e.at) + e.insert + text.slice(e.at + e.remove);
        doc.version++;
        edits++;
      }
      // The server's order: lint under the index as it stands, then summarize, then lint again if it moved.
      const { parsed } = analyzer.parse(doc, config);
      analyzer.lint(parsed, config);
      analyzer.summarize(doc, parsed, config);
      const got = comparable(analyzer.lint(parsed, config));
      const fresh = comparable(lintTexts(parsers, [{ path: file, text }], RULES, config)[0]);
      assert.deepEqual(got, fresh, `${file} after edit ${step}`);
      if (got.length) withFindings++;
    }
    doc.parsed?.tree.delete?.();
  }
  // The comparison must have had something to compare.
  assert.ok(edits > 150 && withFindings > 100, `${edits} edits, ${withFindings} runs with findings`);
});

test('a function whose guards depended on a macro the edit changed is analysed again', async () => {
  const parsers = await getParsers();
  const file = join(FIXTURES, 'KS1001', 'pure-macro.c');
  let text = readFileSync(file, 'utf8');
  const analyzer = new Analyzer(parsers, RULES, new ProjectState());
  const doc = { path: file, version: 1, text: { getText: () => text } } as unknown as OpenDocument & { version: number };
  const lintNow = (): FileResult => {
    const { parsed } = analyzer.parse(doc, DEFAULT_ENGINE_CONFIG);
    analyzer.summarize(doc, parsed, DEFAULT_ENGINE_CONFIG);
    return analyzer.lint(parsed, DEFAULT_ENGINE_CONFIG);
  };
  const before = lintNow().findings.length;
  // Same length, so the functions below stay where they were and their nodes are taken over.
  const reading = '#define FIRST_BYTE(p) (*(const UCHAR *)(p))';
  const writing = '#define FIRST_BYTE(p) (*(UCHAR *)(p) = 0)  ';
  assert.equal(reading.length, writing.length);
  text = text.replace(reading, writing);
  doc.version++;
  const after = lintNow();
  assert.deepEqual(comparable(after), comparable(lintTexts(parsers, [{ path: file, text }], RULES, DEFAULT_ENGINE_CONFIG)[0]));
  assert.ok(after.findings.length > before, 'the write through the index ends its check');
  doc.parsed?.tree.delete?.();
});
