/**
 * Data that only a SAL annotation calls caller-supplied may be a kernel caller's own: the findings built on it are
 * notes that say "may", and the same code reached by a real source (a request buffer) gives the rule's severity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lintText } from '../helpers';

const HELPER = `
typedef struct _CRITERION { ULONG FieldIndex; } CRITERION, *PCRITERION;
ULONG Evaluate(const ULONG *inputs, _In_reads_bytes_(len) PUCHAR blob, ULONG len)
{
    PCRITERION c = (PCRITERION)blob;
    return inputs[c->FieldIndex];
}
`;

const CALLER = `
NTSTATUS Ioctl(PDEVICE_OBJECT Dev, PIRP Irp)
{
    static const ULONG inputs[20] = { 0 };
    PUCHAR blob = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;
    return Evaluate(inputs, blob, IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.InputBufferLength) ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}
`;

test('KS1001: an index read from a buffer only its SAL annotation calls caller-supplied is a note that says may', async () => {
  const found = (await lintText('a.c', HELPER)).findings.filter((f) => f.ruleId === 'KS1001');
  assert.equal(found.length, 1);
  assert.equal(found[0].severity, 'note');
  assert.match(found[0].message, /may come from untrusted data/);
});

test('KS1001: the same helper given a request buffer by its caller is an error', async () => {
  const found = (await lintText('a.c', HELPER + CALLER)).findings.filter((f) => f.ruleId === 'KS1001');
  assert.equal(found.length, 1);
  assert.equal(found[0].severity, 'error');
  assert.match(found[0].message, /comes from untrusted data/);
});
