/** Parsing layer: macro masking keeps offsets, native and wasm back ends agree, header language choice. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { maskMacros } from '../../server/src/engine/parse/mask';
import { parseFile, Parsers } from '../../server/src/engine/parse/parse';
import { loadBackend } from '../../server/src/engine/parse/backend';
import { walk, AstNode } from '../../server/src/engine/ast';
import { getParsers, lintText } from '../helpers';
import { lintTexts } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { RULES } from '../../rules/index.generated';
import { collectFunctions } from '../../server/src/engine/index/functions';

const WDK_STYLE = `
_IRQL_requires_max_(PASSIVE_LEVEL)
_Must_inspect_result_
NTSTATUS NTAPI
ParseBlob(
    _In_reads_bytes_(Length) PVOID Buffer,
    _In_ ULONG Length,
    IN OUT PULONG Consumed OPTIONAL
    )
{
    UNREFERENCED_PARAMETER(Consumed);
    return Length ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}
DECLSPEC_NOINLINE FORCEINLINE VOID Helper(__in_bcount(n) PUCHAR p, __in ULONG n) { }
`;

test('masking blanks SAL, calling conventions and IN/OUT without moving offsets', () => {
  const r = maskMacros(WDK_STYLE);
  assert.equal(r.text.length, WDK_STYLE.length);
  for (let i = 0; i < WDK_STYLE.length; i++) {
    if (WDK_STYLE[i] === '\n') assert.equal(r.text[i], '\n', `line break moved at ${i}`);
  }
  for (const gone of ['_In_reads_bytes_', 'NTAPI', '_IRQL_requires_max_', ' IN ', 'OPTIONAL', 'DECLSPEC_NOINLINE', 'FORCEINLINE', '__in_bcount', '__in ']) {
    assert.ok(!r.text.includes(gone), `${gone} still present`);
  }
  assert.ok(r.text.includes('PVOID Buffer') && r.text.includes('UNREFERENCED_PARAMETER(Consumed)'));
  const reads = r.annotations.find((a) => a.name === '_In_reads_bytes_');
  assert.equal(reads?.args, 'Length');
  assert.equal(WDK_STYLE.slice(reads!.start, reads!.end), '_In_reads_bytes_(Length)');
});

test('masking leaves comments, strings and preprocessor lines alone', () => {
  const src = '#define _In_ /* x */\nconst char *s = "_In_ NTAPI"; // _Out_ here\nint f(_In_ int a);\n';
  const r = maskMacros(src);
  assert.ok(r.text.startsWith('#define _In_ /* x */\n'));
  assert.ok(r.text.includes('"_In_ NTAPI"') && r.text.includes('// _Out_ here'));
  assert.ok(r.text.includes('int f(     int a);'));
});

test('configured statement macros become empty statements; extra names are masked', () => {
  const src = 'void f(void) {\n  TRACE_ENTER(x)\n  MY_ANNOT(3) int y = 0;\n}\n';
  const r = maskMacros(src, { statement: ['TRACE_ENTER'], mask: ['MY_ANNOT'] });
  assert.equal(r.text, 'void f(void) {\n  ;             \n              int y = 0;\n}\n');
});

test('the <excpt.h> macros become __try/__except/__finally/__leave in place; C++ try/catch and other words stay', async () => {
  const src = [
    'NTSTATUS F(PVOID p, ULONG n)', '{', '    try {', '        ProbeForRead(p, n, 1);', '        if (!n)', '            leave;',
    '    } except (EXCEPTION_EXECUTE_HANDLER) {', '        return GetExceptionCode();', '    }', '    try {', '        Use(p);',
    '    } finally {', '        Done();', '    }', '    leave;', '    return 0;', '}', '',
  ].join('\n');
  const r = maskMacros(src);
  assert.deepEqual(r.text.split('\n').map((l, i) => (l === src.split('\n')[i] ? '' : l)).filter(Boolean), [
    '  __try {', '          __leave;', '    }__except(EXCEPTION_EXECUTE_HANDLER) {', '  __try {', '    }__finally{',
  ]);
  const parsers = await getParsers();
  const parsed = parseFile(parsers, 'seh.c', src);
  assert.equal(parsed.errorCount, 0);
  const types = new Set<string>();
  walk(parsed.root, (n: AstNode) => (types.add(n.type), true));
  for (const t of ['seh_try_statement', 'seh_except_clause', 'seh_finally_clause', 'seh_leave_statement']) assert.ok(types.has(t), t);
  const cpp = 'void g() { try { h(); } catch (...) { } }\n';
  assert.equal(maskMacros(cpp).text, cpp);
});

test('masked WDK-style code parses without errors and keeps parameter annotations', async () => {
  const parsers = await getParsers();
  const parsed = parseFile(parsers, 'blob.c', WDK_STYLE);
  assert.equal(parsed.errorCount, 0);
  const fns = collectFunctions(parsed);
  assert.deepEqual(fns.map((f) => f.name), ['ParseBlob', 'Helper']);
  assert.deepEqual(fns[0].params.map((p) => [p.name, p.annotations.map((a) => a.name)]), [
    ['Buffer', ['_In_reads_bytes_']],
    ['Length', ['_In_']],
    ['Consumed', []],
  ]);
  assert.deepEqual(fns[0].annotations.map((a) => a.name), ['_IRQL_requires_max_', '_Must_inspect_result_']);
  assert.deepEqual(fns[1].params.map((p) => p.annotations.map((a) => a.args)), [['n'], [undefined]]);
});

test('headers: C first, C++ grammar only when it parses better', async () => {
  const parsers = await getParsers();
  assert.equal(parseFile(parsers, 'a.h', 'typedef struct _X { int new; } X;').lang, 'c');
  assert.equal(parseFile(parsers, 'b.h', 'class Parser { public: int Read(int i) const; };').lang, 'cpp');
  assert.equal(parseFile(parsers, 'c.h', 'class X {};', { headerLanguage: 'c' }).lang, 'c');
});

function shape(node: AstNode): string {
  const parts: string[] = [];
  walk(node, (n) => {
    parts.push(`${n.type}${n.field ? ':' + n.field : ''}@${n.start}-${n.end}${n.missing ? '!' : ''}`);
  });
  return parts.join(' ');
}

test('native and wasm back ends give identical trees and findings', async () => {
  const native = await getParsers('native');
  const wasm = await getParsers('wasm');
  assert.equal(native.backend.kind, 'native');
  assert.equal(wasm.backend.kind, 'wasm');
  const root = join(__dirname, '..', '..', '..', 'test', 'fixtures');
  const inputs: { path: string; text: string }[] = [{ path: 'wdk.c', text: WDK_STYLE }];
  for (const dir of readdirSync(root)) {
    for (const name of readdirSync(join(root, dir))) inputs.push({ path: `${dir}/${name}`, text: readFileSync(join(root, dir, name), 'utf8') });
  }
  for (const input of inputs) {
    const a = parseFile(native, input.path, input.text);
    const b = parseFile(wasm, input.path, input.text);
    assert.equal(shape(b.root), shape(a.root), input.path);
    a.tree.delete?.();
    b.tree.delete?.();
  }
  const strip = (rs: ReturnType<typeof lintTexts>) => JSON.stringify(rs.map((r) => r.findings));
  assert.equal(strip(lintTexts(wasm, inputs, RULES, DEFAULT_ENGINE_CONFIG)), strip(lintTexts(native, inputs, RULES, DEFAULT_ENGINE_CONFIG)));
});

test('non-ASCII text keeps UTF-16 columns consistent with the source', async () => {
  const text = '// Größe: ü\nvoid f(char *d, char *s) { strcpy(d, s); }\n';
  const r = await lintText('u.c', text);
  const f = r.findings.find((x) => x.ruleId === 'KS1301');
  assert.ok(f);
  assert.equal(text.slice(f.startOffset, f.endOffset), 'strcpy');
  assert.deepEqual(f.range.start, { line: 1, character: text.split('\n')[1].indexOf('strcpy') });
});

test('deferCpp: a C file parses as soon as the C grammar is loaded; C++ waits for ready()', async () => {
  const backend = await loadBackend({ prefer: 'wasm', deferCpp: true });
  const parsers = new Parsers(backend);
  const c = parseFile(parsers, 'a.c', 'int f(int a) { return a; }\n');
  assert.equal(c.lang, 'c');
  assert.equal(c.errorCount, 0);
  await backend.ready('cpp');
  const cpp = parseFile(parsers, 'a.cpp', 'class A { public: int f() { return 1; } };\n');
  assert.equal(cpp.lang, 'cpp');
  assert.equal(cpp.errorCount, 0);
});
