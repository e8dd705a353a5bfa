/**
 * Odd but real inputs: empty and binary files, NUL bytes, broken or foreign encodings, every line-ending style,
 * truncated files, unbalanced preprocessor blocks and macro soup. Each must lint without a rule throwing, with
 * findings inside the file, and must still find the plain `strcpy` (KS1301) that every sample carries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertSane, keys, lintWith } from './sanity';

const CANARY = 'void Canary(char *d, const char *s)\n{\n    strcpy(d, s);\n}\n';
const canaryLine = (text: string): number => text.slice(0, text.indexOf('strcpy')).split(/\r\n|\r|\n/).length;

async function expectCanary(path: string, text: string): Promise<void> {
  for (const kind of ['native', 'wasm'] as const) {
    const r = await lintWith(kind, path, text);
    assertSane(r, text, `${kind} ${path}`);
    const hits = r.findings.filter((f) => f.ruleId === 'KS1301').map((f) => f.range.start.line + 1);
    assert.ok(hits.includes(canaryLine(text)), `${kind} ${path}: canary strcpy on line ${canaryLine(text)} not found (got ${hits})`);
  }
}

test('empty and whitespace-only files lint to nothing', async () => {
  for (const text of ['', '\n', '\r\n\r\n', '   \t  ', '\uFEFF']) {
    for (const path of ['empty.c', 'empty.cpp', 'empty.h']) {
      const r = await lintWith('auto', path, text);
      assertSane(r, text);
      assert.deepEqual(r.findings, []);
    }
  }
});

test('binary content and NUL bytes never throw, and code after them is still linted', async () => {
  let seed = 12345;
  const bytes = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff));
  for (const text of [bytes.toString('latin1'), bytes.toString('utf8'), '\0'.repeat(1000)]) {
    const r = await lintWith('auto', 'blob.c', text);
    assertSane(r, text);
  }
  await expectCanary('nul.c', 'int x = 1;\0\0\0\n/* \0 */\n' + CANARY + '\0');
  await expectCanary('nul-mid.c', 'struct S { char a\0; };\n' + CANARY);
});

test('invalid UTF-8 (decoded with replacement characters) keeps line numbers right', async () => {
  const bad = Buffer.concat([Buffer.from('// caf'), Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]), Buffer.from('\nconst char *s = "'), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from('";\n'), Buffer.from(CANARY)]);
  await expectCanary('badutf8.c', bad.toString('utf8'));
  await expectCanary('badutf8-latin1.c', bad.toString('latin1'));
});

test('UTF-16 LE/BE with BOM: decoded text lints like UTF-8; mis-decoded bytes never throw', async () => {
  const source = '// Ünïcödé comment\n' + CANARY;
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(source, 'utf16le')]);
  const be = Buffer.from(le);
  be.swap16();
  const plain = await lintWith('auto', 'u.c', source);
  for (const [name, buf, enc] of [['le', le, 'utf-16le'], ['be', be, 'utf-16be']] as const) {
    const decoded = new TextDecoder(enc, { ignoreBOM: true }).decode(buf);
    assert.equal(decoded.charCodeAt(0), 0xfeff);
    await expectCanary(`utf16${name}.c`, decoded);
    const r = await lintWith('auto', `utf16${name}.c`, decoded);
    assert.deepEqual(r.findings.map((f) => `${f.range.start.line}:${f.ruleId}`), plain.findings.map((f) => `${f.range.start.line}:${f.ruleId}`));
    for (const wrong of [buf.toString('utf8'), buf.toString('latin1')]) assertSane(await lintWith('auto', `utf16${name}-raw.c`, wrong), wrong);
  }
});

test('CRLF, CR-only and mixed line endings report the same lines and columns as LF', async () => {
  const lf = 'int a;\nint b;\n\n' + CANARY + 'int c;\n' + CANARY.replace('Canary', 'Canary2');
  const base = keys(await lintWith('auto', 'lf.c', lf));
  assert.equal(base.length, 2);
  const variants = [lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r'), lf.split('\n').map((l, i) => l + ['\r\n', '\n', '\r\n'][i % 3]).join('')];
  for (const text of variants) {
    const r = await lintWith('auto', 'eol.c', text);
    assertSane(r, text);
    assert.deepEqual(keys(r), base, JSON.stringify(text.slice(0, 40)));
  }
});

test('truncated files lint cleanly at every cut point', async () => {
  const fixtures = join(__dirname, '..', '..', '..', 'test', 'fixtures');
  const samples = readdirSync(fixtures).flatMap((d) => readdirSync(join(fixtures, d)).map((f) => join(fixtures, d, f))).slice(0, 4);
  for (const file of samples) {
    const text = readFileSync(file, 'utf8');
    for (let cut = 0; cut <= text.length; cut += Math.max(1, Math.floor(text.length / 40))) {
      const part = text.slice(0, cut);
      assertSane(await lintWith('auto', file, part), part, `${file} cut at ${cut}`);
    }
  }
});

test('unbalanced #if/#else/#endif does not hide the rest of the file', async () => {
  await expectCanary('unbalanced1.c', '#if FOO\nint a;\n#else\nint b;\n' + CANARY);
  await expectCanary('unbalanced2.c', '#endif\n#endif\n#else\n' + CANARY + '#if X\n');
  await expectCanary('unbalanced3.c', '#ifdef A\nvoid f(void) {\n#else\nvoid g(void) {\n#endif\n  int x;\n}\n}\n}\n' + CANARY);
});

test('macro soup: statement macros, token pasting, X-macros, __asm, K&R definitions', async () => {
  const soup = [
    '#define CAT(a, b) a ## b',
    '#define STR(x) #x',
    '#define LIST(X) X(one) X(two) \\',
    '    X(three)',
    '#define DECL(n) int CAT(v_, n);',
    'LIST(DECL)',
    'WDF_DECLARE_CONTEXT_TYPE(DEVICE_CONTEXT)',
    'VOID Soup(VOID)',
    '{',
    '    TraceEvents(TRACE_LEVEL_ERROR, DBG, "%!STATUS!", status)',
    '    do { x++; } WHILE (FALSE)',
    '    __asm { mov eax, 1 }',
    '    DECLSPEC_ALIGN(16) UCHAR buf[16];',
    '    __pragma(warning(suppress: 6001)) y = STR(z);',
    '    _Pragma("once") FOR_EACH_ITEM(list, item) { item->x = 1; }',
    '    #pragma warning(push)',
    '}',
    'int old_style(a, b) int a; char *b; { return a; }',
    '',
  ].join('\n');
  await expectCanary('soup.c', soup + CANARY);
  await expectCanary('soup.cpp', soup + 'template <typename T, int N = (1 << 4)> class Q { T t[N]; };\n' + CANARY);
});
