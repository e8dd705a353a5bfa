/**
 * Suppressions of single checks: a rule may declare sub-kinds (the checks Code Analysis numbers separately), and an
 * alias of one hides only that check's findings, while the rule's id or name hides all of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import { RULES } from '../../rules/index.generated';
import { calleeName, callsIn } from '../../server/src/engine/syntax';
import type { Finding, Rule } from '../../server/src/engine/rule';

const lines = (fs: readonly Finding[], pred: (f: Finding) => boolean): string[] => fs.filter(pred).map((f) => `${f.range.start.line + 1}:${f.ruleId}${f.subKind ? `/${f.subKind}` : ''}`).sort();
const active = (fs: readonly Finding[]) => lines(fs, (f) => !f.suppression);
const suppressed = (fs: readonly Finding[]) => lines(fs, (f) => !!f.suppression);

test('a pragma naming one Code Analysis number hides only its check, in the same scope', async () => {
  const src = [
    '#pragma warning(disable: 30030) // NX pool does not exist on Windows 7', // 1
    'PVOID A(SIZE_T n) { return ExAllocatePoolZero(NonPagedPool, n, \'xecA\'); }', // 2
    'PVOID B(SIZE_T n) { return ExAllocatePoolWithTag(PagedPool, n, \' mdW\'); }', // 3
    '#pragma warning(suppress: 28147) // the tag is replaced in the next release', // 4
    'PVOID C(SIZE_T n) { return ExAllocatePoolWithTag(PagedPool, n, \' mdW\'); }', // 5
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(suppressed(r.findings), ['2:KS1201/executable-pool', '5:KS1201/default-pool-tag']);
  assert.deepEqual(active(r.findings), ['3:KS1201/default-pool-tag', '3:KS1201/deprecated-allocator', '5:KS1201/deprecated-allocator']);
});

test('a pragma naming several checks, or the rule, hides all of them', async () => {
  const call = 'PVOID A(SIZE_T n) { return ExAllocatePoolWithTag(NonPagedPool, n, "Tag1"); }';
  for (const names of ['28751 28134', 'C28751 C28134 C30030', 'KS1201', 'pool-api-hygiene', '30030 KS1201']) {
    const r = await lintText('a.c', `#pragma warning(suppress: ${names}) // legacy path\n${call}`);
    assert.deepEqual(active(r.findings), [], names);
    assert.deepEqual(suppressed(r.findings), ['2:KS1201/deprecated-allocator', '2:KS1201/string-pool-tag'], names);
  }
});

test('a pragma whose check finds nothing is neither unjustified (KS0001) nor unused (KS0002)', async () => {
  // Before sub-kinds this pragma hid the deprecated call, and without a reason it was reported as KS0001.
  const src = ['#pragma warning(disable: 30030)', "PVOID A(SIZE_T n) { return ExAllocatePoolWithTag(PagedPool, n, 'dloA'); }"].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(active(r.findings), ['2:KS1201/deprecated-allocator']);
  assert.deepEqual(suppressed(r.findings), []);
});

test('kslint comments: next line, same line and file, by Code Analysis number, CodeQL id or rule/check', async () => {
  const src = [
    'PVOID A(SIZE_T n) {', // 1
    '  // kslint-disable-next-line C28751 -- zeroed by the caller', // 2
    "  PVOID p = ExAllocatePoolWithTag(PagedPool, n, ' mdW');", // 3
    "  PVOID q = ExAllocatePoolWithTag(PagedPool, n, ' mdW'); // kslint-disable-line cpp/drivers/default-pool-tag -- shared tag on purpose", // 4
    "  PVOID r = ExAllocatePoolWithTag(PagedPool, n, ' mdW'); // kslint-disable-line KS1201, C28751 -- the rule wins", // 5
    "  return ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, n, 'tinU');", // 6
    '}',
    '/* kslint-disable-file ks1201/UNINITIALIZED-POOL -- names are case-insensitive */',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(active(r.findings), ['3:KS1201/default-pool-tag', '4:KS1201/deprecated-allocator']);
  assert.deepEqual(suppressed(r.findings), ['3:KS1201/deprecated-allocator', '4:KS1201/default-pool-tag', '5:KS1201/default-pool-tag', '5:KS1201/deprecated-allocator', '6:KS1201/uninitialized-pool']);
});

test('KS0002: a comment naming a check that is not there is unused, and says which check is', async () => {
  const src = [
    'PVOID A(SIZE_T n) {', // 1
    "  PVOID p = ExAllocatePoolWithTag(PagedPool, n, 'dloA'); // kslint-disable-line C30030 -- paged", // 2
    '  // kslint-disable-next-line C28147 -- nothing here', // 3
    "  return ExAllocatePool2(POOL_FLAG_PAGED, n, 'weNA');", // 4
    '}',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(active(r.findings), ['2:KS0002', '2:KS1201/deprecated-allocator', '3:KS0002']);
  const [wrong, none] = r.findings.filter((f) => f.ruleId === 'KS0002');
  assert.match(wrong.message, /^This suppression of C30030 \(KS1201's executable-pool check\) matches no such finding on this line: the KS1201 finding there is of another kind, deprecated-allocator \(C28751\)\. Name that check \(or KS1201\)/);
  assert.match(none.message, /^This suppression of C28147 \(KS1201's default-pool-tag check\) matches no such finding on the next line\. Remove it/);
});

/** Any rule may declare checks; one alias may stand for two of them. */
function toyRule(): Rule {
  const base = RULES.find((r) => r.meta.id === 'KS1301')!;
  const kinds: Record<string, string> = { strcpy: 'copy', strcat: 'append', sprintf: 'format' };
  return {
    ...base,
    meta: { ...base.meta, aliases: ['C28719'], subKinds: [{ id: 'copy', aliases: ['C28726', 'X1'] }, { id: 'append', aliases: ['X1'] }, { id: 'format', aliases: [] }] },
    check(ctx) {
      for (const call of callsIn(ctx.file.root)) {
        const name = calleeName(ctx.file, call) ?? '';
        if (kinds[name]) ctx.report({ node: call, subKind: kinds[name], message: name });
      }
    },
  };
}

test('sub-kinds are declared by the rule: any rule, aliases shared between checks, rule aliases still whole', async () => {
  const rules = [toyRule(), ...RULES.filter((r) => r.meta.id === 'KS0001' || r.meta.id === 'KS0002')];
  const src = [
    'void f(char *d, const char *s) {', // 1
    '  strcpy(d, s); strcat(d, s); sprintf(d, s); // kslint-disable-line X1 -- both', // 2
    '  strcpy(d, s); strcat(d, s); sprintf(d, s); // kslint-disable-line C28726 -- copy only', // 3
    '  strcpy(d, s); strcat(d, s); sprintf(d, s); // kslint-disable-line C28719 -- the rule alias', // 4
    '}',
  ].join('\n');
  const r = await lintText('a.c', src, {}, rules);
  assert.deepEqual(active(r.findings), ['2:KS1301/format', '3:KS1301/append', '3:KS1301/format']);
  assert.equal(suppressed(r.findings).length, 6);
});

test('a Code Analysis number shared by two rules (C6011) hides both, and is unused only when it hides neither', async () => {
  const src = [
    'typedef struct _O { int V; } O, *PO;', // 1
    'int f(PO o) {', // 2
    '  if (o == NULL) { DbgPrint("none"); }', // 3
    '  // kslint-disable-next-line C6011 -- the caller never passes NULL', // 4
    '  int v = o->V;', // 5
    '  PO p = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(O), 0x6b4f6b4f);', // 6
    '  // kslint-disable-next-line 6011 -- allocation cannot fail here', // 7
    '  p->V = v;', // 8
    '  // kslint-disable-next-line C6011 -- nothing to hide', // 9
    '  return v;', // 10
    '}',
  ].join('\n');
  const r = await lintText('shared.c', src);
  assert.deepEqual(suppressed(r.findings), ['5:KS1206', '8:KS1202']);
  assert.deepEqual(active(r.findings), ['9:KS0002']);
  assert.equal(r.findings.filter((f) => f.ruleId === 'KS0002').length, 1, 'one report for the one unused name');
});
