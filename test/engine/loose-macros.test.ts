/**
 * File-scope macro lines without a semicolon (`DECLARE_XNUM(W)`): blanked when that leaves fewer parse errors, and
 * legitimate constructs next to damaged code parse exactly as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AstNode } from '../../server/src/engine/ast';
import { collectFunctions } from '../../server/src/engine/index/functions';
import { looseMacroCalls } from '../../server/src/engine/parse/loose-macros';
import { maskMacros } from '../../server/src/engine/parse/mask';
import { parseFile, reparseFile } from '../../server/src/engine/parse/parse';
import { buildAst, countTreeErrors } from '../../server/src/engine/parse/tree';
import { getParsers } from '../helpers';

function shape(n: AstNode): string {
  return `(${n.type}${n.field ? ':' + n.field : ''} ${n.start}-${n.end}${n.missing ? '!' : ''}${n.children.map(shape).join('')})`;
}

/** The masked text, its AST without the macro-line step, and the macro lines found in it. */
async function plain(path: string, text: string): Promise<{ masked: string; errors: number; shape: string; found: string[] }> {
  const parsers = await getParsers();
  const masked = maskMacros(text).text;
  const tree = parsers.get(path.endsWith('.c') ? 'c' : 'cpp').parse(masked);
  try {
    const root = buildAst(tree);
    return { masked, errors: countTreeErrors(tree), shape: shape(root), found: looseMacroCalls(root, masked).map((s) => text.slice(s.start, s.end)) };
  } finally {
    tree.delete?.();
  }
}

// Npcap's win_bpf_filter.c: the three lines made error recovery fold both functions into one named DECLARE_XNUM.
const NPCAP = `#define DECLARE_XNUM(_Size) \\\r\nstatic u_int32 xnum_##_Size(PMDL p, u_int32 k, int *err) { return 0; }\r\n
DECLARE_XNUM(W)\r\nDECLARE_XNUM(H) // helpers\r\nDECLARE_XNUM(B)\r\n\r\n#define IS_EXT(_k) ((int)(_k) < 0)\r\n
static int valid_extension_offset(u_int32 k) {\r\n  switch (k) {\r\n    case 1:\r\n      return 1;\r\n  }\r\n  return 0;\r\n}\r\n
_Use_decl_annotations_\r\nu_int bpf_filter(const struct bpf_insn *pc, ULONG insns)\r\n{\r\n  return pc->code;\r\n}\r\n`;

test('file-scope macro lines without a semicolon are blanked in place when that removes parse errors', async () => {
  const parsers = await getParsers();
  const before = await plain('f.c', NPCAP);
  assert.ok(before.errors > 0);
  assert.deepEqual(before.found, ['DECLARE_XNUM(W)', 'DECLARE_XNUM(H)', 'DECLARE_XNUM(B)']);
  const file = parseFile(parsers, 'f.c', NPCAP);
  try {
    assert.equal(file.errorCount, 0);
    assert.deepEqual(collectFunctions(file).map((f) => f.name), ['valid_extension_offset', 'bpf_filter']);
    assert.equal(file.masked.length, NPCAP.length);
    assert.deepEqual([...file.masked].map((c, i) => (c === '\n' || c === '\r' ? i : -1)).filter((i) => i >= 0), [...NPCAP].map((c, i) => (c === '\n' || c === '\r' ? i : -1)).filter((i) => i >= 0));
    assert.equal(file.maskedMacros, maskMacros(NPCAP).masked + 3);
    assert.ok(file.masked.includes(`\r\n${' '.repeat('DECLARE_XNUM(H) '.length)}// helpers\r\n`));
  } finally {
    file.tree.delete?.();
  }
});

const DAMAGE = 'void Broken(void) { if (a) }\n';
/** Macro lines in the other places a file scope has; each one is found. */
const FOUND: [string, string, string, string[]][] = [
  ['extern "C" block', 'x.cpp', 'extern "C" {\nDECLARE_X(W)\nint f(int a)\n{\n  return a;\n}\n}\n', ['DECLARE_X(W)']],
  ['#ifdef block', 'x.c', '#ifdef X\nDECLARE_X(W)\n#endif\nint f(int a) { return a; }\n', ['DECLARE_X(W)']],
  ['last line of the file', 'x.c', 'int f(int a) { return a; }\nWDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CTX, GetCtx)\n', ['WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(CTX, GetCtx)']],
  ['annotation before a definition', 'x.c', `${DAMAGE}MY_ANNOTATION(x)\nNTSTATUS\nFoo(PVOID p)\n{\n  return 0;\n}\n`, ['MY_ANNOTATION(x)']],
];

test('macro lines in extern "C" and #ifdef blocks, at the end of the file and before a definition', async () => {
  const parsers = await getParsers();
  for (const [label, path, text, lines] of FOUND) {
    const before = await plain(path, text);
    assert.deepEqual(before.found, lines, label);
    const file = parseFile(parsers, path, text);
    assert.ok(file.errorCount < before.errors, label);
    file.tree.delete?.();
  }
});

/** Near-misses: constructs that are no macro line, next to damaged code (so the search runs), parse as before. */
const KEPT: [string, string, string][] = [
  ['K&R definition', 'x.c', `${DAMAGE}int\nadd(a, b)\nint a; int b;\n{ return a + b; }\n`],
  ['K&R definition with a function pointer parameter', 'x.c', `${DAMAGE}int\napply(f, x)\nint x;\nint (*f)();\n{ return f(x) + ; }\n`],
  ['K&R definition without its return type', 'x.c', `${DAMAGE}add(a, b)\nint a; int b;\n{ return a + b; }\n`],
  ['damaged K&R definition', 'x.c', `${DAMAGE}int\nadd(a, b)\nint a; int b;\n{ return a + ; }\n`],
  ['return-type macro before the declarator', 'x.c', `${DAMAGE}RETTYPE(int)\nfoo(int a)\n{\n  return a;\n}\n`],
  ['return-type macro before a damaged definition', 'x.c', 'RETTYPE(x)\nfoo(int a)\n{\n  return a + ;\n}\n'],
  ['STDMETHODIMP_ before a member', 'x.cpp', `${DAMAGE}STDMETHODIMP_(ULONG)\nCFoo::Release()\n{\n  return 0 +;\n}\n`],
  ['declarator without a return type', 'x.c', `${DAMAGE}FORCEINLINE\nSave(\n    IN PPOLICY Policy\n    )\n/* note */\n{\n  Policy->Saved = 1;\n}\n`],
  ['macro before a constructor', 'x.cpp', 'int b = ;\nMACRO(x)\nCFoo::CFoo() : m(1)\n{\n}\n'],
  ['macro taking a block of code', 'x.c', `${DAMAGE}DEFINE_HANDLER(OnRead, {\n  return Read(p);\n})\nint y;\n`],
  ['macros with a semicolon', 'x.c', `${DAMAGE}DECLARE_HANDLE(HFOO);\nDEFINE_GUID(GUID_X, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);\nint f(void) { return 0; }\n`],
  ['macro opening a block', 'x.cpp', `${DAMAGE}DECLARE_INTERFACE_(IFoo, IUnknown)\n{\n  STDMETHOD(Bar)(THIS) PURE;\n};\n`],
  ['statement macro in a body', 'x.c', 'void f(int a)\n{\n  TRACE_ENTER(a)\n  int b = a;\n  g(b);\n}\n'],
  ['macro in a class body', 'x.cpp', 'class C {\n  DECLARE_REGISTRY(IDR_X)\n  int x;\n};\n'],
  ['call continuing an expression', 'x.c', `${DAMAGE}int x = 1 +\nf(2)\n+ 3;\n`],
  ['macro after a declaration on its line', 'x.c', `${DAMAGE}int a; FOO(x)\nint b;\n`],
  ['macro before a declaration on its line', 'x.c', `${DAMAGE}DECLSPEC_X(8) int y;\n`],
  ['two macros on one line', 'x.c', 'DECLARE_X(W) DECLARE_X(H)\nint f(int a)\n{\n  return a;\n}\n'],
  ['bare-word macro before a definition', 'x.cpp', `${DAMAGE}PAGED_CODE_SEG\nNTSTATUS\nCopy(\n  _In_ PUNICODE_STRING p\n)\n{\n  return 0;\n}\n`],
];

test('K&R definitions, return-type macros, macros with a semicolon or a block and statement macros parse as before', async () => {
  const parsers = await getParsers();
  for (const [label, path, text] of KEPT) {
    const before = await plain(path, text);
    assert.ok(before.errors > 0, `${label}: the search runs only on damaged files`);
    assert.deepEqual(before.found, [], label);
    const file = parseFile(parsers, path, text);
    assert.equal(file.masked, before.masked, label);
    assert.equal(shape(file.root), before.shape, label);
    file.tree.delete?.();
  }
});

test('a macro line is left in place when blanking it does not reduce the errors', async () => {
  const text = 'FOO(x)\nbar = ;\n';
  const before = await plain('x.c', text);
  assert.deepEqual(before.found, ['FOO(x)']);
  const file = parseFile(await getParsers(), 'x.c', text);
  assert.equal(file.masked, before.masked);
  assert.equal(shape(file.root), before.shape);
  file.tree.delete?.();
});

test('editor re-parses blank the same macro lines a full parse blanks', async () => {
  for (const kind of ['native', 'wasm'] as const) {
    const parsers = await getParsers(kind);
    let current = parseFile(parsers, 'f.c', NPCAP);
    // Inside the interpreter, on a macro line, a semicolon that makes a line legitimate, then back.
    for (const [find, insert, remove] of [['return pc->code', 'pc++; ', 0], ['DECLARE_XNUM(H)', 'X', 0], ['DECLARE_XNUM(B)', 'int y;\r\n', 0], ['int y;\r\n', '', 8]] as const) {
      const at = current.source.text.indexOf(find);
      const text = current.source.text.slice(0, at) + insert + current.source.text.slice(at + remove);
      const next = reparseFile(parsers, current, text);
      current.tree.delete?.();
      current = next;
      const full = parseFile(parsers, 'f.c', text);
      assert.equal(current.masked, full.masked, `${kind} ${find}`);
      assert.equal(shape(current.root), shape(full.root), `${kind} ${find}`);
      assert.equal(current.errorCount, full.errorCount, `${kind} ${find}`);
      full.tree.delete?.();
    }
    current.tree.delete?.();
  }
});
