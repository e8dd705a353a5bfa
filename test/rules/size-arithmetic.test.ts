/** KS1401: the message and path name the operand that leaves the arithmetic unchecked. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';
import type { Finding } from '../../server/src/engine/rule';

async function ks1401(text: string): Promise<Finding[]> {
  return (await lintText('a.c', text)).findings.filter((f) => f.ruleId === 'KS1401');
}

const CHAIN = `
typedef struct _REQ { ULONG Start; ULONG Count; } REQ, *PREQ;
typedef struct _CHUNK { ULONG64 Offset; } CHUNK, *PCHUNK;
static PMDL Build(PCHUNK c, ULONG64 address, _In_reads_bytes_(length) PVOID data, ULONG length)
{
    ULONG64 start = address - c->Offset;
    ULONG64 end = start + length;
    return IoAllocateMdl(data, (ULONG)(end - start), FALSE, FALSE, NULL);
}
NTSTATUS Ioctl(PDEVICE_OBJECT Dev, PIRP Irp, PCHUNK c, PVOID va)
{
    PREQ req = (PREQ)Irp->AssociatedIrp.SystemBuffer;
    if (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.InputBufferLength < sizeof(REQ)) return STATUS_INVALID_PARAMETER;
    PVOID p = ExAllocatePool2(POOL_FLAG_PAGED, req->Count * 8, 'x');
    Build(c, req->Start, va, 16);
    return STATUS_SUCCESS;
}
`;

test("the origin named is the unchecked operand's, not that of another part of the sink's value", async () => {
  const [sub, mul] = await ks1401(CHAIN);
  // The length of the sink came from the SAL size parameter; the subtraction's own operand from the request.
  assert.match(sub.message, /^'address - c->Offset' can wrap below zero: 'address' comes from untrusted data \(request buffer \(SystemBuffer\)\)/);
  assert.match(sub.message, /the result feeds the MDL length of IoAllocateMdl/);
  assert.equal(sub.severity, 'warning');
  assert.equal(sub.path[0].label, 'request buffer (SystemBuffer)');
  assert.ok(!sub.path.some((s) => s.label.includes("'length'")), sub.path.map((s) => s.label).join(' | '));
  assert.match(mul.message, /^'req->Count \* 8' can overflow: 'req->Count' comes from untrusted data \(request buffer \(SystemBuffer\)\)/);
  assert.match(mul.message, /the result is the allocation size of ExAllocatePool2/);
});

test('a subtraction whose minuend is compared names the subtrahend', async () => {
  const [f] = await ks1401(`
typedef struct _REQ { ULONG Total; ULONG Skip; } REQ, *PREQ;
NTSTATUS Ioctl(PDEVICE_OBJECT Dev, PIRP Irp)
{
    PREQ req = (PREQ)Irp->AssociatedIrp.SystemBuffer;
    if (req->Total < 16) return STATUS_INVALID_PARAMETER;
    PVOID p = ExAllocatePool2(POOL_FLAG_PAGED, req->Total - req->Skip, 'x');
    return p ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}
`);
  assert.match(f.message, /: 'req->Skip' comes from untrusted data/);
});
