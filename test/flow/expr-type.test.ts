/** Integer types of expressions (flow/expr-type.ts): what decides whether an addition can wrap, and in how many bits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AstNode, walk } from '../../server/src/engine/ast';
import { collectFunctions } from '../../server/src/engine/index/functions';
import { parseFile, ParsedFile } from '../../server/src/engine/parse/parse';
import { exprIntType, isPointerExpr } from '../../server/src/engine/flow/expr-type';
import { declaredTypes } from '../../server/src/engine/flow/types';
import { getParsers } from '../helpers';

const TEXT = `typedef struct _HDR { ULONG Offset; USHORT Len; ULONG Flags : 4; } HDR, *PHDR;
typedef struct _OTHER { UCHAR Offset; } OTHER;
typedef struct _ITEM { ULONGLONG Start; } ITEM, *PITEM;
void f(PIO_STACK_LOCATION sp, PHDR h, PITEM item, ULONG a, USHORT s, LONG l, SIZE_T z, PUCHAR p, ULONG_PTR u, char *c)
{
    g(a + s, s + s, a + sizeof(HDR), (ULONG64)a + a, l + 1, l + a, 4u, 0x80000000, 10ULL, 2147483648);
    g(sp->Parameters.DeviceIoControl.InputBufferLength, h->Len, h->Offset, h->Flags, item->Start, z + a, x + a);
    g(p, (PUCHAR)u, (ULONG_PTR)p, u, c, item, h);
}`;

async function setup(): Promise<{ file: ParsedFile; type: (t: string) => string; pointer: (t: string) => boolean }> {
  const file = parseFile(await getParsers(), 't.c', TEXT);
  const fn = collectFunctions(file)[0];
  const types = declaredTypes(file.source, fn);
  const find = (text: string): AstNode => {
    let hit: AstNode | undefined;
    walk(fn.body, (n) => {
      if (!hit && n.named && file.source.text.slice(n.start, n.end) === text) hit = n;
      return !hit;
    });
    assert.ok(hit, text);
    return hit;
  };
  const type = (text: string): string => {
    const t = exprIntType(file, types, find(text));
    return t ? `${t.signed ? 'i' : 'u'}${t.width}` : '?';
  };
  return { file, type, pointer: (text) => isPointerExpr(file, types, find(text)) };
}

test('sums take the wider type after promotion; sizeof makes a SIZE_T sum', async () => {
  const { type } = await setup();
  assert.deepEqual(
    ['a + s', 's + s', 'a + sizeof(HDR)', '(ULONG64)a + a', 'l + 1', 'l + a', 'z + a', 'x + a'].map(type),
    ['u32', 'i32', 'upointer', 'u64', 'i32', 'u32', 'upointer', '?'],
  );
});

test('literals: int, unsigned by suffix or by a hexadecimal value past INT_MAX, 64 bits by suffix or size', async () => {
  const { type } = await setup();
  assert.deepEqual(['4u', '0x80000000', '10ULL', '2147483648'].map(type), ['u32', 'u32', 'u64', 'i64']);
});

test('fields: request lengths are ULONG; a field name the file declares with one type, not a bit field or two types', async () => {
  const { type } = await setup();
  assert.deepEqual(
    ['sp->Parameters.DeviceIoControl.InputBufferLength', 'h->Len', 'h->Offset', 'h->Flags', 'item->Start'].map(type),
    ['u32', 'u16', '?', '?', 'u64'],
  );
});

test('pointers: declared with * or a pointer typedef (the headers\' or the file\'s), or cast to one; ULONG_PTR is not', async () => {
  const { pointer } = await setup();
  assert.deepEqual(['p', '(PUCHAR)u', '(ULONG_PTR)p', 'u', 'c', 'item', 'h'].map(pointer), [true, true, false, false, true, true, true]);
});
