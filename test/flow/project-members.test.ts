/**
 * Structure member types of the whole project (index/members.ts, flow/member-types.ts): each file's declarations,
 * merged by name, tell KS1102 a pointer member from an inline array; a header's edit reaches the files that read
 * its members (dependency keys, slices, the cached pipeline) and no other.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProjectIndex, dependencyKey, lintTexts, summarizeFile } from '../../server/src/engine/lint';
import { parseFile } from '../../server/src/engine/parse/parse';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { typeDeclarations } from '../../server/src/engine/index/members';
import { memberTable } from '../../server/src/engine/flow/member-types';
import { RULES } from '../../rules/index.generated';
import { actual, expectations, getParsers } from '../helpers';
import { assertSlicesAnswerAsIndex } from './flow-helpers';
import { editedRun } from '../cli/pipeline-helpers';

const dir = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'cross-file-members');
const names = ['blob-of.c', 'plain.c', 'requests.c', 'requests.h', 'returned.c'];
const inputs = names.map((name) => ({ path: `cross-file-members/${name}`, text: readFileSync(join(dir, name), 'utf8') }));
const [, PLAIN, REQUESTS, HEADER, RETURNED] = names.map((_, i) => i);
/** The inputs with the header's text changed. */
const withHeader = (text: string): { path: string; text: string }[] => inputs.map((i, k) => (k === HEADER ? { path: i.path, text } : i));
const at = (r: { findings: readonly { ruleId: string; range: { start: { line: number } } }[] }): string[] => r.findings.map((f) => `${f.range.start.line + 1}:${f.ruleId}`);
/** The header with `Data` an inline array: the copy through it reads the buffered request itself. */
const arrayData = (text: string): string => text.replace('PUCHAR Data;', 'UCHAR Data[4];');

async function typesOf(text: string, path = 't.h'): Promise<ReturnType<typeof typeDeclarations>> {
  const parsed = parseFile(await getParsers(), path, text);
  return typeDeclarations(parsed.source, parsed.root);
}

test('members of a header structure are pointers or inline arrays as declared, in any file order', async () => {
  const parsers = await getParsers();
  const results = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG);
  for (const [i, r] of results.entries()) assert.deepEqual(actual(r), expectations(inputs[i].text), `${r.path}: ${r.findings.map((f) => f.message).join('\n')}`);
  const rev = lintTexts(parsers, [...inputs].reverse(), RULES, DEFAULT_ENGINE_CONFIG).reverse();
  assert.equal(JSON.stringify(rev.map((r) => r.findings)), JSON.stringify(results.map((r) => r.findings)));
  // Without the header the members are unknown, and nothing is reported, as before member types were read.
  const alone = lintTexts(parsers, inputs.filter((_, k) => k !== HEADER), RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(alone.map(at), [[], [], [], []]);
});

test('declarations: records, typedef names and pointers to them, unnamed members, bit-fields, arrays', async () => {
  const types = await typesOf(`typedef struct _A { PULONG_PTR What; UCHAR Data[16]; struct _B *Next; ULONG Bits : 3;
  union { USHORT Len; PVOID Any; }; struct { int q; } Named; int (*Callback)(void); } A, *PA;
typedef A *PA2;
typedef struct { ULONG Count; } ANON, *PANON;
struct C { int a, *b; };`);
  assert.deepEqual(types, [
    ['A', { of: '_A', pointers: 0 }],
    ['ANON', { members: [['Count', 'ULONG', 0, false]] }],
    ['C', { members: [['a', 'int', 0, false], ['b', 'int', 1, false]] }],
    ['PA', { of: '_A', pointers: 1 }],
    ['PA2', { of: 'A', pointers: 1 }],
    ['PANON', { of: 'ANON', pointers: 1 }],
    ['_A', { members: [['What', 'PULONG_PTR', 0, false], ['Data', 'UCHAR', 0, true], ['Next', '_B', 1, false], ['Bits', '', 0, false], ['Len', 'USHORT', 0, false], ['Any', 'PVOID', 0, false], ['Named', '', 0, false]] }],
  ]);
  const member = memberTable([types]);
  assert.deepEqual(member('PA->What'), { pointer: true, array: false, max: null, wide: false });
  assert.deepEqual(member('PA2->Data'), { pointer: false, array: true, max: null, wide: false });
  assert.deepEqual(member('A.Len'), { pointer: false, array: false, max: 65535, wide: false });
  assert.deepEqual(member('_A*->Next'), { pointer: true, array: false, max: null, wide: false });
  assert.deepEqual(member('PANON->Count'), { pointer: false, array: false, max: null, wide: true });
  assert.equal(member('PA->Bits')?.pointer, null, 'a bit-field has no known type');
  assert.equal(member('PA.What'), undefined, "'.' on a pointer");
  assert.equal(member('A->What'), undefined, "'->' on a structure");
  assert.equal(member('PA->Missing'), undefined);
  assert.equal(member('PUNKNOWN->What'), undefined);
  assert.equal(member('PA->Callback'), undefined, 'a function pointer member is not recorded');
});

test('declarations of several files merge: the same member declared alike is known, declared two ways is not', async () => {
  const one = await typesOf('typedef struct _R { PUCHAR Data; ULONG Len; } R, *PR;\ntypedef struct _H { R Body; } H, *PH;');
  const two = await typesOf('typedef struct _R { PUCHAR Data; UCHAR Len; ULONG Extra; } R, *PR;');
  const three = await typesOf('typedef struct _R { UCHAR Data[8]; } R;');
  const member = memberTable([one, two]);
  assert.equal(member('PR->Data')?.pointer, true);
  assert.equal(member('PR->Len'), null, 'ULONG in one file, UCHAR in the other');
  assert.equal(member('PR->Extra')?.wide, true, 'declared by one of the two only');
  assert.equal(member('PH->Body.Data')?.pointer, true, 'a member of a member');
  assert.equal(memberTable([one, two, three])('PR->Data'), null);
  assert.deepEqual(memberTable([two, one])('PR->Data'), member('PR->Data'));
});

test('a header edit changes the keys of the files reading its members, not of the others, and their findings', async () => {
  const parsers = await getParsers();
  const summaries = inputs.map((i) => summarizeFile(parseFile(parsers, i.path, i.text), DEFAULT_ENGINE_CONFIG));
  const edited = withHeader(arrayData(inputs[HEADER].text));
  const before = buildProjectIndex(summaries);
  const after = buildProjectIndex(summaries.map((s, k) => (k === HEADER ? summarizeFile(parseFile(parsers, s.path, edited[HEADER].text), DEFAULT_ENGINE_CONFIG) : s)));
  const changed = (k: number): boolean => dependencyKey(after, summaries[k]) !== dependencyKey(before, summaries[k]);
  assert.deepEqual(names.filter((_, k) => changed(k)), ['requests.c', 'returned.c'], 'plain.c and blob-of.c touch no untrusted data');
  // returned.c reads untrusted data only through the value of another file's helper.
  assert.deepEqual(summaries[RETURNED].memberUsers, []);
  assert.notEqual(dependencyKey(before, summaries[REQUESTS]), dependencyKey(buildProjectIndex([summaries[REQUESTS]]), summaries[REQUESTS]), 'alone, the members are unknown');
  const relinted = lintTexts(parsers, edited, RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(at(relinted[REQUESTS]), ['20:KS1102'], 'the copy and the indexed write now use the inline array');
  assert.deepEqual(at(relinted[RETURNED]), []);
  assert.deepEqual(at(relinted[PLAIN]), []);
  // A worker's slice answers as the whole index.
  await assertSlicesAnswerAsIndex(inputs, summaries, before);
});

test('the cached pipeline follows an edit of the header to the file reading its members', async () => {
  const content = Object.fromEntries(inputs.map((i) => [i.path, i.text]));
  const { first, edited } = await editedRun(content, 'cross-file-members/requests.h', arrayData);
  const found = (r: typeof first): string[] => r.results.flatMap((x) => at(x).map((f) => `${x.path.split('/')[1]}:${f}`));
  assert.deepEqual(found(first), ['requests.c:10:KS1102', 'requests.c:20:KS1102', 'requests.c:21:KS1102', 'returned.c:8:KS1102']);
  assert.deepEqual(found(edited), ['requests.c:20:KS1102']);
});
