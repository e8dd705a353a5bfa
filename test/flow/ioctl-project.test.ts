/**
 * IOCTL methods as project facts: a code defined in a header decides, in another file, whether a request's output
 * buffer is the caller's locked pages, also in the helper it is passed to; dependency keys and slices carry it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildProjectIndex, dependencyKey, lintTexts, summarizeFile } from '../../server/src/engine/lint';
import { DEFAULT_ENGINE_CONFIG } from '../../server/src/engine/config';
import { parseFile } from '../../server/src/engine/parse/parse';
import { sliceIndex, sliceToIndex } from '../../server/src/cli/slice';
import { RULES } from '../../rules/index.generated';
import { getParsers } from '../helpers';

const header = (method: string): { path: string; text: string } => ({
  path: 'inc/codes.h',
  text: `#define IOCTL_LOAD CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, ${method}, FILE_ANY_ACCESS)\n`,
});
const DISPATCH = {
  path: 'sys/dispatch.c',
  text: `VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutLen, size_t InLen, ULONG Code)
{
    PREC rec;
    size_t length;
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    switch (Code) {
    case IOCTL_LOAD:
        status = WdfRequestRetrieveOutputBuffer(Request, sizeof(REC), (PVOID *)&rec, &length);
        if (!NT_SUCCESS(status) || rec->Slot >= 16) break;
        Slots[rec->Slot] = 0;
        status = LoadRecords(rec, length / sizeof(REC));
        break;
    }
    WdfRequestComplete(Request, status);
}
VOID QueueInit(WDF_IO_QUEUE_CONFIG *config) { config->EvtIoDeviceControl = EvtIoDeviceControl; }
`,
};
const HELPER = {
  path: 'sys/records.c',
  text: `NTSTATUS LoadRecords(const REC *recs, size_t count)
{
    size_t i;
    for (i = 0; i < count && i < 16; i++) {
        if (recs[i].Slot >= 16) return STATUS_INVALID_PARAMETER;
        Slots[recs[i].Slot] = 1;
    }
    return STATUS_SUCCESS;
}
`,
};

async function findings(files: { path: string; text: string }[]): Promise<string[]> {
  const results = lintTexts(await getParsers(), files, RULES, DEFAULT_ENGINE_CONFIG);
  return results.flatMap((r) => r.findings.filter((f) => f.ruleId === 'KS1104').map((f) => `${r.path}:${f.range.start.line + 1}`));
}

test('a METHOD_IN_DIRECT code from a header makes the output buffer caller-writable, in the handler and its helper', async () => {
  assert.deepEqual(await findings([header('METHOD_IN_DIRECT'), DISPATCH, HELPER]), ['sys/dispatch.c:10', 'sys/records.c:6']);
  assert.deepEqual(await findings([header('METHOD_OUT_DIRECT'), HELPER, DISPATCH]), ['sys/records.c:6', 'sys/dispatch.c:10']);
});

test('without the definition, with METHOD_BUFFERED, or with two different definitions, the buffer is a kernel copy', async () => {
  assert.deepEqual(await findings([DISPATCH, HELPER]), []);
  assert.deepEqual(await findings([header('METHOD_BUFFERED'), DISPATCH, HELPER]), []);
  const other = { path: 'inc/other.h', text: header('METHOD_BUFFERED').text };
  assert.deepEqual(await findings([header('METHOD_IN_DIRECT'), other, DISPATCH, HELPER]), []);
});

test('the header decides the dependency keys of both files, and the slices answer as the whole index', async () => {
  const parsers = await getParsers();
  const parsed = [DISPATCH, HELPER].map((f) => parseFile(parsers, f.path, f.text));
  const summaries = parsed.map((p) => summarizeFile(p, DEFAULT_ENGINE_CONFIG));
  assert.deepEqual(summaries[0].ioctlRefs, ['IOCTL_LOAD']);
  const indexWith = (method: string) => buildProjectIndex([...summaries, summarizeFile(parseFile(parsers, 'inc/codes.h', header(method).text), DEFAULT_ENGINE_CONFIG)]);
  const direct = indexWith('METHOD_IN_DIRECT');
  const buffered = indexWith('METHOD_BUFFERED');
  for (const s of summaries) assert.notEqual(dependencyKey(direct, s), dependencyKey(buffered, s), s.path);
  for (const [i, s] of summaries.entries()) {
    const slice = sliceToIndex(JSON.parse(JSON.stringify(sliceIndex(direct, s))));
    const whole = lintTexts(parsers, [[DISPATCH, HELPER][i]], RULES, DEFAULT_ENGINE_CONFIG, direct);
    const sliced = lintTexts(parsers, [[DISPATCH, HELPER][i]], RULES, DEFAULT_ENGINE_CONFIG, slice);
    assert.equal(JSON.stringify(sliced[0].findings), JSON.stringify(whole[0].findings));
    assert.equal(dependencyKey(slice, s), dependencyKey(direct, s));
  }
});
