/** The interpreter-shape recogniser behind KS1901: cursors, opcodes read at the cursor, and the evidence flags. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFile } from '../../server/src/engine/parse/parse';
import { collectFunctions } from '../../server/src/engine/index/functions';
import { interpreterDispatches } from '../../server/src/engine/interpreter';
import { getParsers } from '../helpers';

async function shapes(body: string, path = 't.c'): Promise<string[]> {
  const file = parseFile(await getParsers(), path, `void f(const UCHAR *p, const UCHAR *end, ULONG n, REC *recs, HANDLER *table)\n{\n${body}\n}\n`);
  const fn = collectFunctions(file)[0];
  return interpreterDispatches(file, fn.body).map((d) => `${d.kind}:${file.source.text.slice(d.opcode.start, d.opcode.end)}:${d.cases}:${d.variableLength ? 'var' : '-'}:${d.consumesOperands ? 'ops' : '-'}`);
}

test('an opcode read at an advancing cursor is found, with operand consumption', async () => {
  assert.deepEqual(await shapes('while (p < end) { switch (*p++) { case 1: p += 4; break; case 2: break; } }'), ['switch:(*p++):2:-:ops']);
  assert.deepEqual(await shapes('for (ULONG i = 0; i < n; i++) { switch (recs[i].Type) { case 1: break; } }', 't.cpp'), ['switch:recs[i].Type:1:-:-']);
});

test('values and pointers derived from the cursor count; address computations read nothing', async () => {
  assert.deepEqual(await shapes('while (p < end) { const REC *r = (const REC *)p; UCHAR op = r->Op; switch (op) { case 1: break; } p += r->Size; }'), ['switch:(op):1:var:-']);
  assert.deepEqual(await shapes('for (ULONG i = 0; i < n; i++) { REC *r = &recs[i]; switch (r->Type) { case 1: break; } }'), ['switch:(r->Type):1:-:-']);
  assert.deepEqual(await shapes('for (ULONG i = 0; i < n; i++) { switch (i) { case 1: break; } }'), []);
});

test('handler tables indexed by data, and the cursor handed to the handler', async () => {
  assert.deepEqual(await shapes('while (p < end) { table[*p](p + 1); p += 2; }'), ['table:*p:0:-:ops']);
  assert.deepEqual(await shapes('while (p < end) { table[p[0]].Fn(n); p = p + p[1]; }'), ['table:p[0]:0:var:-']);
});

test('skipping a record by its own length inside a case is a descriptor walk, not operand decoding', async () => {
  assert.deepEqual(await shapes('const REC *r = (const REC *)p; while ((const UCHAR *)r < end) { switch (r->Type) { case 1: r = (const REC *)((const UCHAR *)r + r->Size); continue; } break; }'), ['switch:(r->Type):1:var:-']);
});

test('only the cursor the opcode is read through counts as consuming operands', async () => {
  assert.deepEqual(await shapes('ULONG found = 0; for (ULONG i = 0; i < n; i++) { REC *r = Get(recs, i); switch (r->Type) { case 1: found++; break; } }', 't.cpp'), ['switch:r->Type:1:-:-']);
});

test('list chasing, request codes and loops without a cursor are not interpreters', async () => {
  assert.deepEqual(await shapes('REC *e = recs; while (e) { switch (e->Type) { case 1: break; } e = e->Next; }'), ['switch:(e->Type):1:-:-']);
  assert.deepEqual(await shapes('for (ULONG i = 0; i < n; i++) { switch (recs[i].Stack->Parameters.DeviceIoControl.IoControlCode) { case 1: break; } }'), []);
  assert.deepEqual(await shapes('int s = 0; while (s != 3) { switch (s) { case 0: s = 1; break; default: s = 3; } }'), []);
});
