/** Rules see taint that enters in one file and is used in another (lintTexts runs all three phases). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProjectIndex, lintTexts, summarizeFile } from '../../server/src/engine/lint';
import { parseFile } from '../../server/src/engine/parse/parse';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { RULES } from '../../rules/index.generated';
import { actual, expectations, getParsers } from '../helpers';

const dir = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'cross-file');
const inputs = ['dispatch.c', 'records.c'].map((name) => ({ path: `cross-file/${name}`, text: readFileSync(join(dir, name), 'utf8') }));

test('a helper in another file is analysed with the taint its caller passes, and the path crosses files', async () => {
  const parsers = await getParsers();
  const results = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG);
  for (const [i, r] of results.entries()) assert.deepEqual(actual(r), expectations(inputs[i].text), `${r.path}: ${r.findings.map((f) => f.message).join('\n')}`);
  const f = results[1].findings.find((x) => x.ruleId === 'KS1001')!;
  assert.deepEqual([...new Set(f.path.map((s) => s.file))], ['cross-file/dispatch.c', 'cross-file/records.c']);
  assert.equal(f.path[0].label, 'request buffer (SystemBuffer)');
});

test('alone, the helper file has no untrusted input; the order of files does not change results', async () => {
  const parsers = await getParsers();
  const alone = lintTexts(parsers, [inputs[1]], RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(actual(alone[0]), []);
  const fwd = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG);
  const rev = lintTexts(parsers, [...inputs].reverse(), RULES, DEFAULT_ENGINE_CONFIG).reverse();
  assert.equal(JSON.stringify(rev.map((r) => r.findings)), JSON.stringify(fwd.map((r) => r.findings)));
});

test('phase 3 reusing the phase-1 flows gives the same findings as fresh analyses under the same index', async () => {
  const parsers = await getParsers();
  const index = buildProjectIndex(inputs.map((i) => summarizeFile(parseFile(parsers, i.path, i.text), DEFAULT_ENGINE_CONFIG)));
  const fresh = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG, index);
  const reused = lintTexts(parsers, inputs, RULES, DEFAULT_ENGINE_CONFIG);
  assert.equal(JSON.stringify(reused.map((r) => r.findings)), JSON.stringify(fresh.map((r) => r.findings)));
  assert.ok(reused.some((r) => r.findings.length));
});

test('a cursor advanced by a checked length is bounded for a trusted object and unbounded for an untrusted one', async () => {
  const helper = {
    path: 'cursor/ring.c',
    text: `typedef struct _RING { ULONG Head; ULONG Size; UCHAR Data[64]; } RING, *PRING;
void RingAdvance(PRING Ring, ULONG Length) {
    if (Length > 8) Length = 8;
    Ring->Head += Length;
    Ring->Data[Ring->Head] = 0;
}
`,
  };
  const caller = (ring: string): { path: string; text: string } => ({
    path: 'cursor/dispatch.c',
    text: `NTSTATUS Dispatch(PDEVICE_OBJECT D, PIRP Irp) {
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PREQ req = (PREQ)Irp->AssociatedIrp.SystemBuffer;
    RingAdvance(${ring}, req->Length);
    return STATUS_SUCCESS;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING Path) {
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;
    return STATUS_SUCCESS;
}
`,
  });
  const parsers = await getParsers();
  const kernel = lintTexts(parsers, [caller('&((PDEVICE_EXTENSION)D->DeviceExtension)->Ring'), helper], RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(kernel[1].findings.map((f) => f.ruleId), [], 'the ring belongs to the driver; the length is clamped');
  const user = lintTexts(parsers, [caller('(PRING)req'), helper], RULES, DEFAULT_ENGINE_CONFIG);
  assert.deepEqual(user[1].findings.map((f) => `${f.ruleId}:${f.range.start.line + 1}`), ['KS1001:5'], 'a ring inside the request has an untrusted Head');
});
