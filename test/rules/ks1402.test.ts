/** KS1402: severities per check, the x86-only note and `minimumTargetOs`, and the message's room-left form. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../../server/src/engine/rule';
import { lintText } from '../helpers';

const TEXT = `NTSTATUS Handler(PIRP Irp, PIO_STACK_LOCATION sp, PUCHAR p, ULONG n, LONG a, LONG b)
{
    ULONG Size = sp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG Out = sp->Parameters.DeviceIoControl.OutputBufferLength, Extra = 4;
    PVOID user = sp->Parameters.DeviceIoControl.Type3InputBuffer;

    if (p + n < p) return STATUS_INVALID_PARAMETER;
    if (a + b < a) return STATUS_INVALID_PARAMETER;
    if (Size + sizeof(ULONG) > PAGE_SIZE) return STATUS_INVALID_BUFFER_SIZE;
    if (Out + Extra > PAGE_SIZE) return STATUS_INVALID_BUFFER_SIZE;
    return user ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}`;

async function ks1402(minimumTargetOs?: string): Promise<Finding[]> {
  const options = minimumTargetOs ? { minimumTargetOs } : {};
  const r = await lintText('t.c', TEXT, { rules: { KS1402: { options } } });
  return r.findings.filter((f) => f.ruleId === 'KS1402');
}

test('each check has its severity; a SIZE_T sum of the raw length is a note', async () => {
  const f = await ks1402();
  assert.deepEqual(
    f.map((x) => `${x.range.start.line + 1}:${x.subKind}:${x.severity}`),
    ['7:pointer-wrap:error', '8:signed-overflow:warning', '9:wrapping-sum:note', '10:wrapping-sum:warning'],
  );
  assert.match(f[3].message, /'Out > PAGE_SIZE - Extra'/);
  assert.match(f[2].message, /may be defeated/);
});

test('on targets without a 32-bit kernel the SIZE_T sum cannot wrap', async () => {
  const f = await ks1402('win11');
  assert.deepEqual(f.map((x) => `${x.range.start.line + 1}:${x.subKind}`), ['7:pointer-wrap', '8:signed-overflow', '10:wrapping-sum']);
});
