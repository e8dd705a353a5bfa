/** KS1207 quick fix: initializing the variable where it is declared, by kind of type; the result is clean. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import { applyFixes } from '../helpers-fixes';
import type { Finding } from '../../server/src/engine/rule';

const uninit = async (path: string, text: string): Promise<Finding[]> => (await lintText(path, text)).findings.filter((f) => f.ruleId === 'KS1207');

const body = (decl: string, use: string): string => `typedef struct _H { ULONG V; } H;\nULONG f(BOOLEAN ok, ULONG x)\n{\n    ${decl}\n    if (ok) ${use.split('=')[0].trim()} = x;\n    return ${use.split('=')[1].trim()};\n}\n`;

test('the fix initializes by kind: NULL for pointers, 0 for scalars, { 0 } for structures in C and {} in C++', async () => {
  const cases: [string, string, string, string][] = [
    ['a.c', 'PULONG p;', 'p = *p', 'PULONG p = NULL;'],
    ['b.c', 'ULONG *q;', 'q = *q', 'ULONG *q = NULL;'],
    ['c.c', 'ULONG n;', 'n = n', 'ULONG n = 0;'],
    ['d.c', 'NTSTATUS s;', 's = s', 'NTSTATUS s = 0;'],
    ['e.c', 'H h;', 'h.V = h.V', 'H h = { 0 };'],
    ['f.cpp', 'H h;', 'h.V = h.V', 'H h = {};'],
  ];
  for (const [path, decl, use, fixedDecl] of cases) {
    const text = body(decl, use);
    const [f] = await uninit(path, text);
    assert.ok(f, `${path}: ${decl} is reported`);
    assert.equal(f.fixes[0].safety, 'safe');
    const fixed = applyFixes(text, [f]);
    assert.equal(fixed, text.replace(decl, fixedDecl), path);
    assert.deepEqual(await uninit(path, fixed), [], `${path}: clean after the fix`);
  }
});

test('the fix edits the declarator of the variable read, also in a declaration of several', async () => {
  const text = 'ULONG g(BOOLEAN ok)\n{\n    ULONG a = 1, b;\n    if (ok) b = a;\n    return b;\n}\n';
  const [f] = await uninit('g.c', text);
  assert.equal(applyFixes(text, [f]), text.replace('ULONG a = 1, b;', 'ULONG a = 1, b = 0;'));
});
