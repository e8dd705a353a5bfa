/**
 * Macros and single-return functions defined in other files of the project (flow/macro-values.ts): their values
 * carry taint, read-only ones keep guards, NULL-test ones count as the check; facts merge by name in any order,
 * and a header's change reaches the files using it (their dependency keys, the cached pipeline).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProjectIndex, dependencyKey, lintTexts, summarizeFile } from '../../server/src/engine/lint';
import { parseFile } from '../../server/src/engine/parse/parse';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { RULES } from '../../rules/index.generated';
import { actual, expectations, getParsers } from '../helpers';
import { assertSlicesAnswerAsIndex } from './flow-helpers';
import { editedRun } from '../cli/pipeline-helpers';

const dir = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'cross-file-macros');
const names = ['macro-alloc.c', 'macro-filter.c', 'macro-helpers.c', 'macro-insn.h'];
const inputs = names.map((name) => ({ path: `cross-file-macros/${name}`, text: readFileSync(join(dir, name), 'utf8') }));
const at = (r: { findings: readonly { ruleId: string; severity: string; range: { start: { line: number } } }[] }): string[] => r.findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}:${f.severity}`);

test('header macros and helpers of other files carry taint, keep guards and test for NULL as their text says', async () => {
  const parsers = await getParsers();
  const results = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG);
  for (const [i, r] of results.entries()) assert.deepEqual(actual(r), expectations(inputs[i].text), `${r.path}: ${r.findings.map((f) => f.message).join('\n')}`);
  const target = results[1].findings.find((f) => f.ruleId === 'KS1001' && f.range.start.line === 26)!;
  assert.deepEqual(target.path.map((s) => s.label).filter((l) => /computed by/.test(l)), ['computed by InsnTarget()']);
  const rev = lintTexts(parsers, [...inputs].reverse(), RULES, DEFAULT_ENGINE_CONFIG).reverse();
  assert.equal(JSON.stringify(rev.map((r) => r.findings)), JSON.stringify(results.map((r) => r.findings)));
  // lintTexts reuses the flows phase 1 solved with the file's own macros only: those calling others are solved again.
  const index = buildProjectIndex(inputs.map((i) => summarizeFile(parseFile(parsers, i.path, i.text), DEFAULT_ENGINE_CONFIG)));
  const fresh = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG, index);
  assert.equal(JSON.stringify(fresh.map((r) => r.findings)), JSON.stringify(results.map((r) => r.findings)));
});

test('without the header and helpers the calls are unknown, as they were before project macros were read', async () => {
  const parsers = await getParsers();
  const [alloc, filter] = lintTexts(parsers, inputs.slice(0, 2), RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(at(filter), []);
  // ENTRY_SIZE(&map->Def) may write the definition, so the check before it no longer holds; both macros may test.
  assert.deepEqual(at(alloc), ['17:KS1001:error', '20:KS1001:error', '30:KS1202:note', '33:KS1202:note']);
});

test('a changed or second definition changes the dependency keys of the files calling it, and their findings', async () => {
  const parsers = await getParsers();
  const summaries = inputs.map((i) => summarizeFile(parseFile(parsers, i.path, i.text), DEFAULT_ENGINE_CONFIG));
  const masked = inputs[3].text.replace('#define INSN_SLOT(insn) ((insn)->K)', '#define INSN_SLOT(insn) ((insn)->K & 0x0F)');
  const other = summarizeFile(parseFile(parsers, 'cross-file-macros/macro-insn.h', masked), DEFAULT_ENGINE_CONFIG);
  const before = buildProjectIndex(summaries);
  const after = buildProjectIndex([...summaries.slice(0, 3), other]);
  assert.notEqual(dependencyKey(after, summaries[1]), dependencyKey(before, summaries[1]), 'filter.c calls INSN_SLOT');
  assert.equal(dependencyKey(after, summaries[2]), dependencyKey(before, summaries[2]), 'helpers.c calls nothing');
  assert.equal(after.macro('INSN_SLOT')?.bounded, true);
  // Both headers in one project: two definitions that differ make the name unknown.
  const both = buildProjectIndex([...summaries, { ...other, path: 'cross-file-macros/other.h' }]);
  assert.equal(both.macro('INSN_SLOT'), null);
  assert.equal(both.macro('INSN_CLASS')?.max, 7);
  const relinted = lintTexts(parsers, [...inputs.slice(0, 3), { path: 'cross-file-macros/macro-insn.h', text: masked }], RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(actual(relinted[1]).filter((e) => e.startsWith('22:')), [], 'the masked slot is in range');
  // A worker's slice of the index answers as the whole index, unknown (null) names included.
  await assertSlicesAnswerAsIndex(inputs, summaries, both);
});

test('the cached pipeline, any jobs and file order, follows an edit of the header to the files using it', async () => {
  const content = Object.fromEntries(inputs.map((i) => [i.path, i.text]));
  const { first, edited } = await editedRun(content, 'cross-file-macros/macro-insn.h', (t) => t.replace('#define INSN_SLOT(insn) ((insn)->K)', '#define INSN_SLOT(insn) ((insn)->K & 0x0F)'));
  const filter = (r: typeof first): string[] => at(r.results.find((x) => x.path === 'cross-file-macros/macro-filter.c')!).filter((e) => e.startsWith('22:'));
  assert.deepEqual(filter(first), ['22:KS1001:error']);
  assert.deepEqual(filter(edited), []);
});

test('a pointer moved by a header macro stays a pointer into the request; a field named by an argument is unknown', async () => {
  const header = { path: 'inc/ptr.h', text: '#define AT(base, off) ((PUCHAR)(base) + (off))\n#define FIELD(s, f) ((s)->f)\n#define FIRST(s) ((s)->Kind)\n' };
  const code = {
    path: 'walk.c',
    text: `typedef struct _REC { ULONG Kind; ULONG Next; } REC, *PREC;
static ULONG Slots[8];
NTSTATUS Walk(PIRP Irp, ULONG Skip) {
    PREC rec = (PREC)AT(Irp->AssociatedIrp.SystemBuffer, Skip);
    ULONG kind = rec->Kind;
    Slots[kind] = 1;
    if (rec->Next >= 8 || rec->Kind >= 8) return STATUS_INVALID_PARAMETER;
    ULONG next = FIELD(rec, Next);
    Slots[next] = 2;
    ULONG first = FIRST(rec);
    Slots[first] = 3;
    return STATUS_SUCCESS;
}
`,
  };
  const parsers = await getParsers();
  const [walk] = lintTexts(parsers, [code, header], RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(at(walk), ['6:KS1001:error'], walk.findings.map((f) => f.message).join('\n'));
  assert.ok(walk.findings[0].path.some((s) => s.label === 'computed by AT()'));
  assert.deepEqual(at(lintTexts(parsers, [code], RULES, DEFAULT_ENGINE_CONFIG)[0]), [], 'without the header, AT is unknown');
});
