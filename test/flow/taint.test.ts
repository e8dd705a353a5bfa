/** Taint sources, propagation and guards, queried the way rules do. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calleeName } from '../../server/src/engine/flow/taint';
import { analyse, find, flowOf } from './flow-helpers';

const DISPATCH = `
NTSTATUS Dispatch(PDEVICE_OBJECT D, PIRP Irp) {
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  ULONG inLen = sp->Parameters.DeviceIoControl.InputBufferLength;
  PREQ req = (PREQ)Irp->AssociatedIrp.SystemBuffer;
  ULONG table[16];
  ULONG idx = req->Index;
  a = table[idx];
  if (req->Index >= 16) return STATUS_INVALID_PARAMETER;
  b = table[req->Index];
  c = table[idx];
  ULONG m = req->Other & 0xF;
  d = table[m];
  e = table[min(req->Third, 15)];
  if (req->Slot < 16 && table[req->Slot]) {}
  f = req->Pos < 16 ? table[req->Pos] : 0;
#ifdef CHECKED
  if (req->K >= 16) return 1;
#endif
  g = table[req->K];
  req->K = 3;
  h = table[req->K];
  ULONG local = 0;
  i = table[local];
  return inLen;
}`;

test('request buffers, fields read through them and lengths are untrusted, with source-to-sink steps', async () => {
  const { file, analysis } = await analyse(DISPATCH);
  const flow = flowOf(analysis, 'Dispatch');
  const buf = flow.taint(find(file, '(PREQ)Irp->AssociatedIrp.SystemBuffer'));
  assert.deepEqual(buf?.kinds, ['buffer']);
  assert.deepEqual(buf?.tags, ['system-buffer']);
  const idx = flow.taint(find(file, 'idx', 1));
  assert.deepEqual(idx?.kinds, ['value']);
  assert.ok(idx?.loaded);
  assert.deepEqual(idx?.steps.map((s) => s.label), ['request buffer (SystemBuffer)', "assigned to 'req'", "assigned to 'idx'"]);
  const len = flow.taint(find(file, 'inLen', 1));
  assert.ok(len?.length && len.tags.includes('request-input-length'));
  assert.equal(flow.taint(find(file, 'local', 1)), undefined);
  assert.equal(flow.taint(find(file, 'req->K', 3)), undefined, 'a field overwritten with a constant is clean');
});

test('guards: early return, alias, &&, ?:, mask and min bound a value; #ifdef and unrelated checks do not', async () => {
  const { file, analysis } = await analyse(DISPATCH);
  const flow = flowOf(analysis, 'Dispatch');
  const bounded = (text: string, occ = 0): boolean => flow.isBounded(find(file, text, occ));
  assert.equal(bounded('idx', 1), false, 'before the check');
  assert.equal(bounded('req->Index', 2), true, 'after the early return');
  assert.equal(bounded('idx', 2), true, 'idx is a copy of the checked field');
  assert.equal(bounded('m', 1), true, 'masked');
  assert.equal(bounded('min(req->Third, 15)'), true);
  assert.equal(bounded('req->Slot', 1), true, '&& guards its right operand');
  assert.equal(bounded('req->Pos', 1), true, '?: guards its consequence');
  assert.equal(bounded('req->K', 1), false, 'a check in #ifdef does not guard code after #endif');
  const g = flow.guards(find(file, 'req->Index', 2));
  assert.equal(g.length, 1);
  assert.equal(g[0].rel, 'upper');
  assert.equal(file.source.text.slice(g[0].bound!.start, g[0].bound!.end), '16');
});

test('a guard dies when the value is redefined, and a check in a loop condition guards the body', async () => {
  const { file, analysis } = await analyse(`
void Loop(_In_reads_bytes_(len) PUCHAR p, ULONG len, PULONG out) {
  ULONG n = p[0];
  if (n > 8) return;
  n = p[1];
  out[n] = 1;
  for (ULONG i = p[2]; i < 8; i++) out[i] = 2;
  while (len > 4) { ULONG k = len; out[k] = 3; len -= 4; }
}`);
  const flow = flowOf(analysis, 'Loop');
  assert.equal(flow.isBounded(find(file, 'n', 3)), false);
  assert.equal(flow.isBounded(find(file, 'i', 3)), true);
  assert.equal(flow.isBounded(find(file, 'k', 1)), false, 'len > 4 is a lower bound only');
  const n = flow.taint(find(file, 'n', 3));
  assert.deepEqual(n?.tags, ['annotated-buffer']);
});

test('KMDF retrieve out-parameters, MinimumRequiredSize, copies and registry reads', async () => {
  const { file, analysis } = await analyse(`
VOID Io(WDFREQUEST Request, PVOID pool, HANDLE key) {
  PMY_IN in; size_t len; PVOID loose; MY_HDR copy;
  WdfRequestRetrieveInputBuffer(Request, sizeof(MY_IN), (PVOID*)&in, &len);
  WdfRequestRetrieveInputBuffer(Request, 0, &loose, NULL);
  RtlCopyMemory(&copy, loose, sizeof(copy));
  ZwQueryValueKey(key, &name, KeyValuePartialInformation, pool, 64, &len);
  use(in, loose, copy.Count, pool, len);
}`);
  const flow = flowOf(analysis, 'Io');
  const use = find(file, 'use(in, loose, copy.Count, pool, len)');
  const arg = (t: string) => flow.taint(find(file, t, 0, use));
  assert.ok(arg('in')?.sizeChecked);
  assert.ok(arg('loose')?.has('buffer') && !arg('loose')?.sizeChecked);
  assert.deepEqual(arg('copy.Count')?.kinds, ['value']);
  assert.deepEqual(arg('pool')?.tags, ['registry-data']);
  assert.ok(arg('len')?.length);
});

test('arithmetic on unchecked untrusted values is recorded; checked operands are not', async () => {
  const { file, analysis } = await analyse(`
VOID Alloc(PIRP Irp) {
  PHDR h = Irp->AssociatedIrp.SystemBuffer;
  SIZE_T a = h->Count * sizeof(ENTRY);
  if (h->Other > 100) return;
  SIZE_T b = h->Other * sizeof(ENTRY);
  use(a, b);
}`);
  const flow = flowOf(analysis, 'Alloc');
  const use = find(file, 'use(a, b)');
  const a = flow.taint(find(file, 'a', 0, use));
  assert.equal(file.source.text.slice(a!.arith!.start, a!.arith!.end), 'h->Count * sizeof(ENTRY)');
  assert.equal(flow.taint(find(file, 'b', 0, use))?.arith, undefined);
});

test('validation calls and checked status variables count as guards', async () => {
  const { file, analysis } = await analyse(`
VOID V(PIRP Irp, ULONG *t) {
  PHDR h = Irp->AssociatedIrp.SystemBuffer;
  if (!IsValidIndex(h->A)) return;
  t[h->A] = 1;
  NTSTATUS s = CheckIndex(h->B);
  if (!NT_SUCCESS(s)) return;
  t[h->B] = 2;
  NTSTATUS s2 = CheckIndex(h->C);
  t[h->C] = 3;
}`);
  const flow = flowOf(analysis, 'V');
  assert.equal(flow.isBounded(find(file, 'h->A', 1)), true);
  assert.equal(flow.isBounded(find(file, 'h->B', 1)), true);
  assert.equal(flow.isBounded(find(file, 'h->C', 1)), false, 'a status that is never tested validates nothing');
});

test('the clamp idiom bounds a value, also beside other statements or with an else; a clamp with another value, or a later load in a branch, does not', async () => {
  const { file, analysis } = await analyse(`
void Clamp(_In_reads_bytes_(len) PUCHAR p, ULONG len, PULONG out, ULONG avail) {
  ULONG a = p[0];
  if (a > avail) a = avail;
  out[a] = 1;
  ULONG b = p[1];
  if (b >= 8) { b = 8; }
  out[b] = 2;
  ULONG c = p[2];
  if (c > avail) c = len;
  out[c] = 3;
  ULONG d = p[3];
  if (d > avail) d = avail; else d = p[6];
  out[d] = 4;
  ULONG e = p[4];
  if (e > avail) { e = avail; e = p[5]; }
  out[e] = 5;
  ULONG f = p[7];
  if (f >= avail) { f = avail; s = 0; } else s = 1;
  out[f] = 6;
  ULONG g = p[8];
  if (g >= avail) { s = 0; g = avail; } else g = p[9];
  out[g] = 7;
}`);
  const flow = flowOf(analysis, 'Clamp');
  assert.equal(flow.isBounded(find(file, 'a', 3)), true, 'if (a > avail) a = avail;');
  assert.equal(flow.isBounded(find(file, 'b', 3)), true, 'braced, with >=');
  assert.equal(flow.isBounded(find(file, 'c', 3)), false, 'clamped to a different value');
  assert.equal(flow.isBounded(find(file, 'd', 4)), false, 'an else branch that loads another value');
  assert.equal(flow.isBounded(find(file, 'e', 4)), false, 'reassigned after the clamp');
  assert.equal(flow.isBounded(find(file, 'f', 3)), true, 'a status set beside the clamp, and in an else branch');
  assert.equal(flow.isBounded(find(file, 'g', 4)), false, 'an else branch that loads another value');
});

test('a counted string rebuilt by an Rtl conversion routine is no longer the untrusted value it held', async () => {
  const { file, analysis } = await analyse(`
NTSTATUS Label(PIRP Irp, POEM_STRING Oem) {
  PREQ req = (PREQ)Irp->AssociatedIrp.SystemBuffer;
  UNICODE_STRING u;
  u.Length = req->Length;
  a = u.Length;
  RtlOemStringToCountedUnicodeString(&u, Oem, FALSE);
  b = u.Length;
}`);
  const flow = flowOf(analysis, 'Label');
  assert.ok(flow.taint(find(file, 'u.Length', 1)), 'the copied request field is untrusted');
  assert.equal(flow.taint(find(file, 'u.Length', 2)), undefined, 'the conversion wrote a kernel-computed length');
});

test('a callee is known by the name it ends in, without scope or template arguments, however it is written', async () => {
  const { file } = await analyse(
    'void f(T *p, T o) { a(1); ns::Foo<a::b>::bar<int>(2); p->Method(3); o.get<T>(4); ::Outer::Inner(5); std::min<size_t>(6, 7); (*fp)(8); tbl[1](9); }',
    't.cpp',
  );
  const names = ['a(1)', 'ns::Foo<a::b>::bar<int>(2)', 'p->Method(3)', 'o.get<T>(4)', '::Outer::Inner(5)', 'std::min<size_t>(6, 7)', '(*fp)(8)', 'tbl[1](9)'].map((t) => calleeName(file.source, find(file, t)));
  assert.deepEqual(names, ['a', 'bar', 'Method', 'get', 'Inner', 'min', '', '']);
});
