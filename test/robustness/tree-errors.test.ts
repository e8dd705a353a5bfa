/**
 * Header grammar choice compares the C and C++ parses on their trees, without building both ASTs: the cursor
 * count of ERROR and MISSING nodes must equal the AST count, and the choice must match a full comparison of the
 * grammars' first parses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateCorpus } from '../../bench/corpus/generate';
import { countErrors } from '../../server/src/engine/ast';
import { maskMacros } from '../../server/src/engine/parse/mask';
import { parseFile, Parsers } from '../../server/src/engine/parse/parse';
import { buildAst, countTreeErrors } from '../../server/src/engine/parse/tree';
import { getParsers } from '../helpers';
import { mutant } from '../fuzz/mutate';

function samples(): string[] {
  const base = [...generateCorpus({ seed: 21, files: 8 })].map((f) => f.text.slice(0, 6000));
  base.push('class C { public: int x; };\ntemplate <typename T> T f(T a) { return a; }\n', 'int f( { return ; \n', '_In_ ULONG x;\nvoid g(void) { if (a) }\n');
  return base.flatMap((text, i) => [text, ...Array.from({ length: 6 }, (_, k) => mutant(text, 77, i * 100 + k))]);
}

test('counting errors on the tree equals counting them on the AST (both back ends, both grammars)', async () => {
  for (const kind of ['native', 'wasm'] as const) {
    const parsers = await getParsers(kind);
    for (const text of samples()) {
      for (const lang of ['c', 'cpp'] as const) {
        const tree = parsers.get(lang).parse(maskMacros(text).text);
        try {
          assert.equal(countTreeErrors(tree), countErrors(buildAst(tree)), `${kind} ${lang}: ${JSON.stringify(text.slice(0, 200))}`);
        } finally {
          tree.delete?.();
        }
      }
    }
  }
});

/** ERROR and MISSING nodes of the grammar's first parse (before macro lines without a `;` are blanked). */
function firstParseErrors(parsers: Parsers, lang: 'c' | 'cpp', text: string): number {
  const tree = parsers.get(lang).parse(maskMacros(text).text);
  try {
    return countTreeErrors(tree);
  } finally {
    tree.delete?.();
  }
}

test('a header gets the grammar whose first parse has fewer errors, C on a tie', async () => {
  const parsers = await getParsers();
  let cpp = 0;
  for (const text of samples()) {
    const asC = parseFile(parsers, 'x.h', text, { headerLanguage: 'c' });
    const asCpp = parseFile(parsers, 'x.h', text, { headerLanguage: 'cpp' });
    const chosen = parseFile(parsers, 'x.h', text);
    const expected = firstParseErrors(parsers, 'cpp', text) < firstParseErrors(parsers, 'c', text) ? 'cpp' : 'c';
    assert.equal(chosen.lang, expected);
    assert.equal(chosen.errorCount, expected === 'c' ? asC.errorCount : asCpp.errorCount);
    if (chosen.lang === 'cpp') cpp++;
    for (const f of [asC, asCpp, chosen]) f.tree.delete?.();
  }
  assert.ok(cpp > 0, 'some samples parse better as C++');
});
