/** Masking: line comments and directives continued with backslashes, with LF and CRLF endings, at the start of a file and later. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskMacros } from '../../server/src/engine/parse/mask';

const CASES: [string, string[]][] = [
  ['// note \\\n _In_ still comment\n_In_ int a;\n', ['_In_@2']],
  ['#define X \\\n  _In_ y\n_Out_ int z;\n', ['_Out_@2']],
  ['#if A /* _In_\n _In_ */\n_In_ int q;\n#endif\n', ['_In_@2']],
  ['int a; // _In_\n#define Y(a) \\\n\\\n _Inout_ a\n_In_reads_(n) int *p;\n', ['_In_reads_@4']],
  ['// trailing comment without newline _In_', []],
  ['#define Z _In_', []],
];

test('continued comments and directives hide their SAL words; the next line is masked again', () => {
  for (const [lf, expected] of CASES) {
    for (const text of [lf, lf.replace(/\n/g, '\r\n')]) {
      const r = maskMacros(text);
      const line = (offset: number): number => (text.slice(0, offset).match(/\n/g) ?? []).length;
      assert.deepEqual(r.annotations.map((a) => `${a.name}@${line(a.start)}`), expected, JSON.stringify(text));
      assert.equal(r.text.length, text.length);
      assert.deepEqual(r.text.match(/\r?\n|\r/g), text.match(/\r?\n|\r/g), 'line breaks are kept');
    }
  }
});
