/** KS1202: which allocations count, what counts as a check, and the NULL-check fix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lintText } from '../helpers';
import type { Finding } from '../../server/src/engine/rule';

function applyFix(text: string, f: Finding): string {
  const edits = [...f.fixes[0].edits].sort((a, b) => b.start - a.start);
  return edits.reduce((t, e) => t.slice(0, e.start) + e.newText + t.slice(e.end), text);
}

async function ks1202(text: string, path = 'a.c'): Promise<Finding[]> {
  return (await lintText(path, text)).findings.filter((f) => f.ruleId === 'KS1202');
}

test('legacy and Linux allocators are covered; reassignment before the use means another value', async () => {
  const found = await ks1202(`
VOID A(SIZE_T n) { PUCHAR p = ExAllocatePoolWithTag(NonPagedPoolNx, n, 'gaT1'); p[0] = 1; }
int B(size_t n) { struct item *it = kzalloc(n, GFP_KERNEL); it->next = NULL; return 0; }
int C(size_t n) { struct item *it = kmalloc(n, GFP_KERNEL | __GFP_NOFAIL); it->next = NULL; return 0; }
VOID D(PCTX c, SIZE_T n) { PUCHAR p = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'gaT1'); p = c->Spare; p[0] = 1; }
VOID E(SIZE_T n) { ((PHDR)ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'gaT1'))->Size = n; }
VOID F(PCTX c, SIZE_T n) { PUCHAR p = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'gaT1'); NT_ASSERT(p != NULL); p[0] = 1; }
`);
  assert.deepEqual(found.map((f) => f.functionName), ['A', 'B', 'E', 'F']);
  assert.match(found[0].message, /'p' comes from 'ExAllocatePoolWithTag'/);
  assert.equal(found[0].path[0].label, "'ExAllocatePoolWithTag' may return NULL");
});

test('the fix inserts a NULL check after the allocation: safe first thing in an NTSTATUS function, unsafe after acquiring', async () => {
  const text = `NTSTATUS Init(PDEV d, SIZE_T n)
{
    PCTX ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'xtcC');
    ctx->Dev = d;
    return STATUS_SUCCESS;
}
NTSTATUS Locked(PDEV d, SIZE_T n)
{
    KIRQL irql;
    KeAcquireSpinLock(&d->Lock, &irql);
    d->Ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'xtcC');
    d->Ctx->Dev = d;
    KeReleaseSpinLock(&d->Lock, irql);
    return STATUS_SUCCESS;
}
VOID NoStatus(PDEV d, SIZE_T n)
{
    PCTX ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'xtcC');
    ctx->Dev = d;
}
`;
  const found = await ks1202(text);
  assert.deepEqual(found.map((f) => [f.functionName, f.fixes.map((x) => x.safety)]), [['Init', ['safe']], ['Locked', ['unsafe']], ['NoStatus', []]]);
  const fixed = applyFix(text, found[0]);
  assert.ok(fixed.includes("    PCTX ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'xtcC');\n    if (ctx == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    ctx->Dev = d;"), fixed);
  assert.deepEqual((await ks1202(fixed)).map((f) => f.functionName), ['Locked', 'NoStatus'], 'the fixed function is clean');
  assert.ok(applyFix(text, found[1]).includes('    if (d->Ctx == NULL) {'));
});

test('a macro defined elsewhere that receives the pointer makes the finding a note that names it, without a fix', async () => {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'KS1202', 'project-macro.c'), 'utf8');
  const found = await ks1202(text, 'project-macro.c');
  const notes = found.filter((f) => f.severity === 'note');
  const marked = text.split('\n').flatMap((l, i) => (/expect: KS1202 \(note\)/.test(l) ? [i] : []));
  assert.deepEqual(notes.map((f) => f.range.start.line), marked);
  assert.match(notes[0].message, /'BAIL_ON_ALLOC_FAILURE_ELSEWHERE' receives it first and may be that check, but its definition is not in this file/);
  assert.deepEqual(notes[0].fixes, []);
  assert.deepEqual(found.filter((f) => f.severity !== 'note').map((f) => f.message.slice(0, 3)), ["'a'", "'b'", "'c'"]);
  // Defined in this file, the same macro is read: a test that leaves silences the use.
  const defined = `#define BAIL_ON_ALLOC_FAILURE_ELSEWHERE(P, S) if ((P) == NULL) { (S) = 1; goto Exit; }\n${text}`;
  assert.deepEqual((await ks1202(defined)).map((f) => f.message.slice(0, 3)), ["'a'", "'b'", "'c'"]);
});
