/** The three-phase project analysis: summaries, the merged index, dependency keys; order never matters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProjectIndex, dependencyKey, summarizeFile } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { parseFile } from '../../server/src/engine/parse/parse';
import { FileAnalysis } from '../../server/src/engine/analysis';
import { getParsers, lintText } from '../helpers';
import { RULES } from '../../rules/index.generated';
import { find, flowOf } from './flow-helpers';

const DISPATCH = `
NTSTATUS DeviceControl(PDEVICE_OBJECT D, PIRP Irp) {
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  if (sp->Parameters.DeviceIoControl.InputBufferLength < sizeof(HDR)) return STATUS_BUFFER_TOO_SMALL;
  return ParseRequest(Irp->AssociatedIrp.SystemBuffer, sp->Parameters.DeviceIoControl.InputBufferLength);
}
NTSTATUS DriverEntry(PDRIVER_OBJECT Driver, PUNICODE_STRING Path) {
  Driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DeviceControl;
  return STATUS_SUCCESS;
}`;
const PARSER = `
static ULONG Table[8];
NTSTATUS ParseRequest(PVOID Buffer, ULONG Length) { return Lookup((PHDR)Buffer); }
static NTSTATUS Lookup(PHDR Hdr) { return Table[Hdr->Index]; }
VOID Unrelated(PHDR Hdr) { Table[Hdr->Index] = 0; }`;
const OTHER_CALLER = `
VOID Reset(VOID) { ParseRequest(NULL, 0); }`;
const KMDF = `
VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutLen, size_t InLen, ULONG Code) { Helper(InLen); }
VOID Helper(size_t n) { use(n); }
VOID Init(WDF_IO_QUEUE_CONFIG *cfg) { cfg->EvtIoDeviceControl = EvtIoDeviceControl; }`;

async function summaries(files: Record<string, string>) {
  const parsers = await getParsers();
  return Object.entries(files).map(([path, text]) => ({ path, parsed: parseFile(parsers, path, text), summary: summarizeFile(parseFile(parsers, path, text), DEFAULT_ENGINE_CONFIG) }));
}

test('taint flows from a dispatch routine into helpers in another file, with the path across files', async () => {
  const s = await summaries({ 'ioctl.c': DISPATCH, 'parse.c': PARSER });
  const index = buildProjectIndex(s.map((x) => x.summary));
  assert.equal(index.entryPoint('DeviceControl'), 'wdm-device-control');
  const seeds = index.paramTaint('ParseRequest', 'parse.c');
  assert.equal(seeds?.get(0)?.kind, 'buffer');
  assert.ok(seeds?.get(0)?.sizeChecked, 'the caller checked InputBufferLength against sizeof(HDR)');
  assert.ok(seeds?.get(1)?.length);
  assert.deepEqual(index.paramTaint('Lookup', 'parse.c')?.get(0)?.tags, ['system-buffer']);
  assert.equal(index.paramTaint('Unrelated', 'parse.c'), undefined);

  const parser = s.find((x) => x.path === 'parse.c')!;
  const analysis = new FileAnalysis(parser.parsed, index, DEFAULT_ENGINE_CONFIG);
  const t = flowOf(analysis, 'Lookup').taint(find(parser.parsed, 'Hdr->Index', 0));
  assert.deepEqual(t?.kinds, ['value']);
  assert.deepEqual(t?.steps.map((x) => `${x.file ?? ''}:${x.label}`), [
    'ioctl.c:request buffer (SystemBuffer)',
    'ioctl.c:passed to ParseRequest() by DeviceControl',
    "parse.c:parameter 'Buffer'",
    'parse.c:passed to Lookup() by ParseRequest',
    ":parameter 'Hdr'",
  ]);
  assert.equal(flowOf(analysis, 'Unrelated').taint(find(parser.parsed, 'Hdr->Index', 1)), undefined);
});

test('a long path across helpers keeps where the data came from as its first step', async () => {
  const hops = Array.from({ length: 9 }, (_, i) => `NTSTATUS Hop${i}(PHDR Hdr) { return Hop${i + 1}(Hdr); }`).join('\n');
  const chain = `NTSTATUS ParseRequest(PVOID Buffer, ULONG Length) { return Hop0((PHDR)Buffer); }\n${hops}\nNTSTATUS Hop9(PHDR Hdr) { return Hdr->Index; }`;
  const s = await summaries({ 'ioctl.c': DISPATCH, 'chain.c': chain });
  const seed = buildProjectIndex(s.map((x) => x.summary)).paramTaint('Hop9', 'chain.c')?.get(0);
  assert.ok(seed?.path && seed.path.length === 12, `a path of 12 steps, not ${seed?.path?.length}`);
  assert.equal(seed.path[0].label, 'request buffer (SystemBuffer)');
  assert.equal(seed.path[seed.path.length - 1].label, 'passed to Hop9() by Hop8');
});

test('a finding in a helper shows the steps in the caller that passed the data', async () => {
  const caller = `
NTSTATUS DeviceControl(PDEVICE_OBJECT D, PIRP Irp) {
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  PHDR Hdr = (PHDR)Irp->AssociatedIrp.SystemBuffer;
  if (sp->Parameters.DeviceIoControl.InputBufferLength < sizeof(HDR)) return STATUS_BUFFER_TOO_SMALL;
  SetSlot(Hdr->Index);
  return STATUS_SUCCESS;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT Driver, PUNICODE_STRING Path) {
  Driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DeviceControl;
  return STATUS_SUCCESS;
}`;
  const helper = `
static UCHAR Slots[8];
VOID SetSlot(ULONG Index) {
  NT_ASSERT(Index < 8);
  Slots[Index] = 1;
}`;
  const s = await summaries({ 'ioctl.c': caller, 'slot.c': helper });
  const result = await lintText('slot.c', helper, {}, RULES, buildProjectIndex(s.map((x) => x.summary)));
  const assertion = result.findings.find((f) => f.ruleId === 'KS1702');
  assert.ok(assertion, result.findings.map((f) => f.ruleId).join(', '));
  assert.ok(assertion.path?.some((p) => p.file === 'ioctl.c'), JSON.stringify(assertion.path));
});

test('KMDF callback length parameters are seeded by role and flow on', async () => {
  const s = await summaries({ 'queue.c': KMDF });
  const index = buildProjectIndex(s.map((x) => x.summary));
  assert.equal(index.entryPoint('EvtIoDeviceControl'), 'kmdf-io-device-control');
  assert.deepEqual(index.paramTaint('Helper')?.get(0)?.tags, ['request-input-length']);
});

test('the index and every dependency key are identical for any file order; single-file keys differ only when facts do', async () => {
  const s = await summaries({ 'ioctl.c': DISPATCH, 'parse.c': PARSER, 'queue.c': KMDF, 'other.c': OTHER_CALLER });
  const fwd = buildProjectIndex(s.map((x) => x.summary));
  const rev = buildProjectIndex(s.map((x) => x.summary).reverse());
  for (const x of s) assert.equal(dependencyKey(fwd, x.summary), dependencyKey(rev, x.summary));
  for (const name of ['ParseRequest', 'Lookup', 'Helper', 'DeviceControl']) {
    assert.deepEqual(JSON.stringify([...(fwd.paramTaint(name) ?? [])]), JSON.stringify([...(rev.paramTaint(name) ?? [])]));
  }
  const alone = (path: string) => buildProjectIndex([s.find((x) => x.path === path)!.summary]);
  const sum = (path: string) => s.find((x) => x.path === path)!.summary;
  assert.equal(dependencyKey(alone('queue.c'), sum('queue.c')), dependencyKey(fwd, sum('queue.c')), 'queue.c needs nothing from other files');
  assert.notEqual(dependencyKey(alone('parse.c'), sum('parse.c')), dependencyKey(fwd, sum('parse.c')), 'parse.c receives taint from ioctl.c');
  // other.c calls ParseRequest, whose parameter is seeded from ioctl.c; a caller's lint never reads its callee's facts.
  assert.ok(fwd.paramTaint('ParseRequest')?.size);
  assert.equal(dependencyKey(alone('other.c'), sum('other.c')), dependencyKey(fwd, sum('other.c')), 'other.c only calls a seeded function');
});

test('summaries are JSON-safe and deterministic', async () => {
  const [a] = await summaries({ 'parse.c': PARSER });
  const [b] = await summaries({ 'parse.c': PARSER });
  assert.equal(JSON.stringify(a.summary), JSON.stringify(JSON.parse(JSON.stringify(b.summary))));
});

test('an argument mixing parameters is explained from the parameter that carried the data, not another one', async () => {
  const mix = `
NTSTATUS ParseRequest(PVOID Buffer, ULONG Length) { return Place(0, ((PHDR)Buffer)->Index); }
NTSTATUS Place(ULONG Hint, ULONG Count) { ULONG first = Hint + Count; return Slot(first); }
NTSTATUS Slot(ULONG Index) { return Index; }`;
  const s = await summaries({ 'ioctl.c': DISPATCH, 'mix.c': mix });
  const seed = buildProjectIndex(s.map((x) => x.summary)).paramTaint('Slot', 'mix.c')?.get(0);
  const labels = seed?.path?.map((p) => p.label) ?? [];
  assert.equal(labels[0], 'request buffer (SystemBuffer)', labels.join(' | '));
  assert.ok(!labels.some((l) => l.includes("'Hint'")), `Hint carried nothing: ${labels.join(' | ')}`);
  assert.ok(labels.includes('passed to Place() by ParseRequest'), labels.join(' | '));
});
