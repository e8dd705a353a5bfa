/** In-source suppressions: every directive form, scopes, justifications, and the reports about directives. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import type { Finding } from '../../server/src/engine/rule';

const lines = (fs: readonly Finding[], pred: (f: Finding) => boolean): string[] => fs.filter(pred).map((f) => `${f.range.start.line + 1}:${f.ruleId}`).sort();
const active = (fs: readonly Finding[]) => lines(fs, (f) => !f.suppression);
const suppressed = (fs: readonly Finding[]) => lines(fs, (f) => !!f.suppression);

test('comment directives: next line, same line, file; ids, names and aliases, comma-separated', async () => {
  const src = [
    'void f(char *d, const char *s) {', // 1
    '  // kslint-disable-next-line KS1301, KS1001 -- constant source', // 2
    '  strcpy(d, s);', // 3
    '  strcat(d, s); // kslint-disable-line banned-string-apis -- constant suffix', // 4
    '  strcpy(d, s); /* kslint-disable-line C28719 -- alias */', // 5
    '  strcpy(d, s);', // 6
    '}',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(suppressed(r.findings), ['3:KS1301', '4:KS1301', '5:KS1301']);
  // KS1001 named on line 2 suppressed nothing (KS1301 did): reported as unused for that id only.
  assert.deepEqual(active(r.findings), ['2:KS0002', '6:KS1301']);
  const f3 = r.findings.find((f) => f.range.start.line === 2)!;
  assert.deepEqual(f3.suppression?.kind, 'inSource');
  assert.equal(f3.suppression?.justification, 'constant source');
  assert.equal(f3.suppression?.location?.range.start.line, 1);
  assert.equal(f3.suppression?.location?.file, 'a.c');
});

test('a file-level directive covers the whole file; block comments spanning lines scope to their last line', async () => {
  const src = [
    'void f(char *d, const char *s) {',
    '  strcpy(d, s);',
    '  /* kslint-disable-next-line KS1301',
    '     -- reviewed: both are fixed-size constants */',
    '  strcpy(d, s);',
    '}',
    '/* kslint-disable-file KS1301 -- generated code, see gen.py */',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(suppressed(r.findings), ['2:KS1301', '5:KS1301']);
  assert.deepEqual(active(r.findings), []);
  assert.equal(r.findings.find((f) => f.range.start.line === 4)!.suppression?.justification, 'reviewed: both are fixed-size constants');
});

test('pragmas: warning/prefast suppress and disable, whitespace-tolerant, several ids and clauses, stacked', async () => {
  const src = [
    'void f(char *d, const char *s) {', // 1
    '#pragma warning (suppress:28719) // constant', // 2
    '  strcpy(d, s);', // 3
    '#pragma   prefast( suppress : C28719 , "dst is 64 bytes" )', // 4
    '', // 5
    '  // the call below', // 6
    '  strcpy(d, s);', // 7
    '#pragma warning(disable: 4201; suppress: 4996 28719) // two clauses', // 8
    '#pragma warning(suppress: 6011) // stacked, not ours', // 9
    '  strcpy(d, s);', // 10
    '  strcpy(d, s);', // 11
    '}',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(suppressed(r.findings), ['10:KS1301', '3:KS1301', '7:KS1301']);
  assert.deepEqual(active(r.findings), ['11:KS1301']);
  assert.equal(r.findings.find((f) => f.range.start.line === 6)!.suppression?.justification, 'dst is 64 bytes');
});

test('pragma disable lasts until the closing pop; push/pop nest', async () => {
  const src = [
    '#pragma warning(push)', // 1
    '#pragma prefast(disable: 28719, "legacy")', // 2
    'void a(char *d, const char *s) { strcpy(d, s); }', // 3
    '#pragma warning(push)', // 4
    '#pragma warning(pop)', // 5
    'void b(char *d, const char *s) { strcpy(d, s); }', // 6
    '#pragma warning(pop)', // 7
    'void c(char *d, const char *s) { strcpy(d, s); }', // 8
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(suppressed(r.findings), ['3:KS1301', '6:KS1301']);
  assert.deepEqual(active(r.findings), ['8:KS1301']);
});

test('a pragma without a justification is reported only when it hides a finding, and is never "unused"', async () => {
  const src = [
    'void f(char *d, const char *s, char *q) {',
    '#pragma warning(suppress: 28719)',
    '  strcpy(d, s);',
    '#pragma warning(suppress: 28719)',
    '  RtlZeroMemory(q, 4);',
    '}',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(active(r.findings), ['2:KS0001']);
  assert.deepEqual(suppressed(r.findings), ['3:KS1301']);
  const k = r.findings.find((f) => f.ruleId === 'KS0001')!;
  assert.equal(k.severity, 'warning');
  assert.equal(k.range.end.character - k.range.start.character, '#pragma'.length);
});

test('a pragma suppress skips comments, directives and #ifdef lines to reach the next line of code', async () => {
  const src = [
    'void f(char *d, const char *s) {',
    '#pragma warning(suppress: 28719) // checked',
    '  /* note */',
    '#ifdef DBG',
    '  strcpy(d, s);',
    '#endif',
    '  strcpy(d, s);',
    '}',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(suppressed(r.findings), ['5:KS1301']);
  assert.deepEqual(active(r.findings), ['7:KS1301']);
});

test('reports about directives follow the configuration: off, severity, and rules that are off', async () => {
  const src = ['void f(char *d, const char *s) {', '  // kslint-disable-next-line KS1301', '  strcpy(d, s);', '  // kslint-disable-next-line KS1301 -- nothing here', '  d[0] = 0;', '}'].join('\n');
  const base = await lintText('a.c', src);
  assert.deepEqual(active(base.findings), ['2:KS0001', '4:KS0002']);
  const quiet = await lintText('a.c', src, { rules: { KS0001: { severity: 'off' }, KS0002: { severity: 'error' } } });
  assert.deepEqual(active(quiet.findings), ['4:KS0002']);
  assert.equal(quiet.findings.find((f) => f.ruleId === 'KS0002')!.severity, 'error');
  // With KS1301 off there is nothing it could suppress: no finding about the directive naming it being unused.
  const off = await lintText('a.c', src, { rules: { KS1301: { severity: 'off' } } });
  assert.deepEqual(active(off.findings), ['2:KS0001']);
});

test('prose mentioning a directive, and directive-like text in strings, is not a directive', async () => {
  const src = [
    'void f(char *d, const char *s) {',
    '  // To silence this, write kslint-disable-next-line KS1301 -- reason',
    '  strcpy(d, s);',
    '  DbgPrint("// kslint-disable-line KS1301 -- x"); strcpy(d, s);',
    '}',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(active(r.findings), ['3:KS1301', '4:KS1301']);
});

test("a pragma's reason may be the comment on the lines above it, or above its run of pragmas, and is recorded", async () => {
  const src = [
    'void f(char *d, const char *s) {', // 1
    '  /* both strings are constants', // 2
    '     of the driver */', // 3
    '#pragma warning(push)', // 4
    '#pragma warning(suppress: 28719)', // 5
    '  strcpy(d, s);', // 6
    '#pragma warning(pop)', // 7
    '  // a comment with a blank line after it', // 8
    '', // 9
    '#pragma warning(suppress: 28719) // expect: nothing', // 10
    '  strcpy(d, s);', // 11
    '}',
  ].join('\n');
  const r = await lintText('a.c', src);
  assert.deepEqual(active(r.findings), ['10:KS0001']);
  assert.equal(r.findings.find((f) => f.range.start.line === 5)!.suppression?.justification, 'both strings are constants of the driver');
  assert.equal(r.findings.find((f) => f.range.start.line === 10)!.suppression?.justification, '');
});
