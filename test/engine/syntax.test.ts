/** Shared syntax helpers: flag chains, statements, nearby comments, array objects. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFile, ParsedFile } from '../../server/src/engine/parse/parse';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AstNode, countDescendants, descendants, walk } from '../../server/src/engine/ast';
import { commentsAbout, controllingConditions, flagNames, isArrayObject, isConstantName, isUserModeFile, statementOf } from '../../server/src/engine/syntax';
import { getParsers } from '../helpers';

async function parse(text: string, path = 't.c'): Promise<ParsedFile> {
  return parseFile(await getParsers(), path, text);
}

/** The `n`-th named node (source order) whose text is `text`. */
function at(file: ParsedFile, text: string, n = 0, type?: string): AstNode {
  const hits: AstNode[] = [];
  walk(file.root, (x) => {
    if (x.named && file.source.text.slice(x.start, x.end) === text && (!type || x.type === type)) hits.push(x);
  });
  assert.ok(hits[n], `${text} #${n}`);
  return hits[n];
}

test('flagNames reads |-chains of names and literals, and gives up on anything else', async () => {
  const f = await parse('void f(ULONG v) { g(A | (B | 0x10), v | A, (ULONG)C); }');
  assert.deepEqual([...flagNames(f, at(f, 'A | (B | 0x10)'))!], ['A', 'B']);
  assert.deepEqual([...flagNames(f, at(f, '(ULONG)C'))!], ['C']);
  // `v` is a variable here, but syntactically an identifier too: callers decide which names are flags.
  assert.deepEqual([...flagNames(f, at(f, 'v | A'))!], ['v', 'A']);
  assert.equal(flagNames(f, at(f, 'v | A'), isConstantName), undefined);
  assert.deepEqual([...flagNames(f, at(f, 'A | (B | 0x10)'), isConstantName)!], ['A', 'B']);
  const g = await parse('void f(void) { g(h() | A, x + 1); }');
  assert.equal(flagNames(g, at(g, 'h() | A')), undefined);
  assert.equal(flagNames(g, at(g, 'x + 1')), undefined);
});

test('statementOf finds the statement sitting in a block', async () => {
  const f = await parse('void f(void) {\n  if (a) {\n    x = g(1);\n  }\n  int y = g(2);\n}\n');
  assert.equal(statementOf(at(f, 'g(1)'))?.type, 'expression_statement');
  assert.equal(statementOf(at(f, 'g(2)'))?.type, 'declaration');
  assert.equal(statementOf(at(f, 'a'))?.type, 'if_statement');
});

test('commentsAbout takes comments above (without a gap), trailing and inside, not further away', async () => {
  const text = '// far away\n\nvoid f(void) {\n  // first\n  /* second */\n  x = g(1); // trailing\n  y = 2; // next line\n}\n';
  const f = await parse(text);
  const texts = commentsAbout(f, statementOf(at(f, 'g(1)'))!).map((c) => text.slice(c.start, c.end)).sort();
  assert.deepEqual(texts, ['/* second */', '// first', '// trailing']);
  const gap = await parse('void f(void) {\n  // about something else\n\n  x = g(1);\n}\n');
  assert.deepEqual(commentsAbout(gap, statementOf(at(gap, 'g(1)'))!), []);
});

test('isArrayObject: local and global arrays and array fields, never parameters or pointers', async () => {
  const text = `
typedef struct _S { char Name[16]; char *Ptr; char Mixed[4]; } S;
typedef struct _T { int Mixed; } T;
char g_buf[32];
void f(char p[8], S *s)
{
    char local[8];
    char *ptr = local;
    { char g_buf; use(g_buf); }
    use(local); use(ptr); use(p); use(g_buf); use(s->Name); use(s->Ptr); use(s->Mixed); use(unknown);
}
`;
  const f = await parse(text);
  const arg = (t: string, n = 0): AstNode => at(f, t, n, t.includes('->') ? 'field_expression' : 'identifier');
  assert.equal(isArrayObject(f, arg('local', 2)), true);
  assert.equal(isArrayObject(f, arg('ptr', 1)), false);
  assert.equal(isArrayObject(f, arg('p', 1)), false);
  assert.equal(isArrayObject(f, arg('g_buf', 2)), false, 'shadowed by a block-local char');
  assert.equal(isArrayObject(f, arg('g_buf', 3)), true);
  assert.equal(isArrayObject(f, arg('s->Name')), true);
  assert.equal(isArrayObject(f, arg('s->Ptr')), false);
  assert.equal(isArrayObject(f, arg('s->Mixed')), false, 'a scalar of the same name in another struct');
  assert.equal(isArrayObject(f, arg('unknown')), false);
});

test('controllingConditions lists the tests deciding whether code runs, innermost first', async () => {
  const text = 'void f(int a, int b, int c, int d) {\n  while (a) {\n    switch (b) { case 1: if (c) { g(1); } else g(2); break; }\n  }\n  d && g(3);\n  g(4);\n}\n';
  const f = await parse(text);
  const conds = (t: string): string[] => controllingConditions(at(f, t)).map((c) => text.slice(c.start, c.end));
  assert.deepEqual(conds('g(1)'), ['(c)', '(b)', '(a)']);
  assert.deepEqual(conds('g(2)'), ['(c)', '(b)', '(a)']);
  assert.deepEqual(conds('g(3)'), ['d']);
  assert.deepEqual(conds('g(4)'), []);
  const cpp = await parse('void f(int c) { if (c > 1) { g(1); } }', 't.cpp');
  assert.deepEqual(controllingConditions(at(cpp, 'g(1)')).map((c) => c.type), ['binary_expression']);
});

test('isUserModeFile: entry points, or windows.h without kernel headers', async () => {
  assert.equal(isUserModeFile(await parse('#include <windows.h>\nvoid f(void) {}\n')), true);
  assert.equal(isUserModeFile(await parse('#include "app.h"\nint __cdecl main(int argc, char **argv) { return 0; }\n')), true);
  assert.equal(isUserModeFile(await parse('#include <windows.h>\n#include <wdm.h>\nvoid f(void) {}\n')), false);
  assert.equal(isUserModeFile(await parse('#include "driver.h"\nNTSTATUS DriverEntry(PDRIVER_OBJECT d, PUNICODE_STRING r) { return 0; }\n')), false);
});

test('descendants (and countDescendants) answers, for any node and in any order of questions, what a walk of its subtree finds', async () => {
  const dir = join(__dirname, '..', '..', '..', 'test', 'fixtures');
  const files = readdirSync(dir)
    .flatMap((d) => readdirSync(join(dir, d)).map((name) => join(dir, d, name)))
    .filter((f) => /\.(c|cpp)$/.test(f))
    .sort()
    .slice(0, 40);
  assert.ok(files.length >= 20, 'fixtures not found');
  const types = ['call_expression', 'identifier', 'ERROR', 'function_definition'];
  const set = new Set(['subscript_expression', 'binary_expression', 'compound_statement']);
  const naive = (node: AstNode, match: (t: string) => boolean): AstNode[] => {
    const out: AstNode[] = [];
    walk(node, (n) => {
      if (match(n.type)) out.push(n);
    });
    return out;
  };
  let compared = 0;
  for (const file of files) {
    const f = await parse(readFileSync(file, 'utf8'), file);
    const nodes: AstNode[] = [];
    walk(f.root, (n) => {
      nodes.push(n);
    });
    // Deepest nodes first, so that declarations are indexed from inside before their root is asked about.
    for (const n of [...nodes].reverse()) {
      for (const t of types) {
        const want = naive(n, (x) => x === t);
        assert.deepEqual(descendants(n, t), want);
        assert.equal(countDescendants(n, t), want.length);
      }
      // An equal set built anew is the same question.
      assert.deepEqual(descendants(n, new Set(set)), naive(n, (x) => set.has(x)));
      compared++;
    }
    // A whole-file answer is a list the index keeps: it cannot be changed by a caller.
    const calls = descendants(f.root, 'call_expression');
    assert.deepEqual(calls, naive(f.root, (x) => x === 'call_expression'));
    assert.throws(() => (calls as AstNode[]).push(f.root), TypeError);
  }
  assert.ok(compared > 10_000, `${compared} nodes compared`);
});
