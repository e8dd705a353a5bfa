/** Macro-body fragments and the user-memory model shared by the KS11xx rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { descendants } from '../../server/src/engine/ast';
import { FileAnalysis } from '../../server/src/engine/analysis';
import { parseFile } from '../../server/src/engine/parse/parse';
import { insideTryBlock, userMemory } from '../../server/src/engine/user-memory';
import { getParsers, lintText } from '../helpers';

async function model(text: string, path = 'm.c') {
  const parsed = parseFile(await getParsers(), path, text);
  const analysis = new FileAnalysis(parsed);
  const at = (name: string) => {
    const fn = analysis.functions.find((f) => f.name === name)!;
    const m = userMemory(analysis, fn);
    return {
      aliases: Object.fromEntries([...m.aliases].map(([k, v]) => [k, v.kind])),
      accesses: m.accesses.map((a) => `${a.kind} ${text.slice(a.node.start, a.node.end)} @${a.location ?? '-'}${insideTryBlock(parsed, a.node) ? ' try' : ''}`),
    };
  };
  return { parsed, at };
}

test('macro bodies parse as fragments whose nodes carry file offsets', async () => {
  const text = '#define IOCTL_A \\\n  CTL_CODE(DEV, 0x800, METHOD_NEITHER, ANY) // trailing\n#define F(x) do { g(x); } while (0)\n';
  const parsed = parseFile(await getParsers(), 'f.h', text);
  const values = descendants(parsed.root, 'preproc_arg');
  assert.equal(values.length, 2);
  const first = parsed.parseFragment!(values[0].start, values[0].end)!;
  assert.equal(first.type, 'fragment');
  const call = descendants(first, 'call_expression')[0];
  assert.equal(text.slice(call.start, call.end), 'CTL_CODE(DEV, 0x800, METHOD_NEITHER, ANY)');
  const method = descendants(call, 'identifier').find((n) => text.slice(n.start, n.end) === 'METHOD_NEITHER')!;
  assert.deepEqual(parsed.source.positionAt(method.start), { line: 1, character: 23 });
  const second = parsed.parseFragment!(values[1].start, values[1].end)!;
  assert.deepEqual(descendants(second, 'call_expression').map((c) => text.slice(c.start, c.end)), ['g(x)']);
  assert.equal(parsed.parseFragment!(values[1].start, values[1].end), second, 'cached per range');
  assert.equal(parsed.parseFragment!(5, 5), undefined);
});

test('user pointers: request fields, aliases through casts and arithmetic, probed and embedded pointers', async () => {
  const { at } = await model(`
NTSTATUS D(PIRP Irp, PIO_STACK_LOCATION s) {
    PREQ in = (PREQ)s->Parameters.DeviceIoControl.Type3InputBuffer;
    PUCHAR tail = (PUCHAR)in + sizeof(REQ);
    PUCHAR out = Irp->UserBuffer;
    PREQ sys = Irp->AssociatedIrp.SystemBuffer;
    __try {
        ProbeForRead(sys->Data, sys->Len, 1);
        n = in->Hdr.Len + in->Arr[2] + *(PULONG)((PUCHAR)in + 4) + tail[0] + in->Next->Len + sys->Data[1];
        RtlCopyMemory(k, in, sizeof(REQ));
    } __except (EXCEPTION_EXECUTE_HANDLER) { return 1; }
    out[0] = sizeof(in->Len);
    x = &in->Len;
    return ReadULongFromUser(&in->Count);
}`);
  const d = at('D');
  assert.deepEqual(d.aliases, { in: 'type3-input-buffer', tail: 'type3-input-buffer', x: 'type3-input-buffer', out: 'irp-user-buffer', 'sys.Data': 'probed-address' });
  assert.deepEqual(d.accesses, [
    'probe ProbeForRead(sys->Data, sys->Len, 1) @- try',
    'read in->Hdr.Len @in.Hdr.Len try',
    'read in->Arr[2] @in.Arr[2] try',
    'read *(PULONG)((PUCHAR)in + 4) @*(in+4) try',
    'read tail[0] @tail[0] try',
    'read in->Next->Len @in.Next.Len try',
    'read in->Next @in.Next try',
    'read sys->Data[1] @sys.Data[1] try',
    'copy-read RtlCopyMemory(k, in, sizeof(REQ)) @- try',
    'write out[0] @out[0]',
    'accessor ReadULongFromUser(&in->Count) @in.Count',
  ]);
});

test('minifilter message buffers are user memory; `try` written as a macro still protects', async () => {
  const { at } = await model(`
NTSTATUS Msg(PVOID Cookie, PVOID InputBuffer, ULONG InLen, PVOID OutputBuffer, ULONG OutLen, PULONG Ret) {
    PMSG m = (PMSG)InputBuffer;
    try {
        cmd = m->Command;
    } except (EXCEPTION_EXECUTE_HANDLER) {
        return 1;
    }
    return m->Command;
}
NTSTATUS NotMsg(PVOID Cookie, PVOID InputBuffer, ULONG InLen, PVOID OutputBuffer, ULONG OutLen, PULONG Ret) {
    return ((PMSG)InputBuffer)->Command;
}
VOID Register(VOID) { FltCreateCommunicationPort(F, &P, &oa, NULL, Connect, Disconnect, Msg, 1); }
`);
  const m = at('Msg');
  assert.deepEqual(m.aliases, { InputBuffer: 'port-message-buffer', OutputBuffer: 'port-message-buffer', m: 'port-message-buffer' });
  assert.deepEqual(m.accesses, ['read m->Command @m.Command try', 'read m->Command @m.Command']);
  assert.deepEqual(at('NotMsg'), { aliases: {}, accesses: [] });
});

test('KS1101 grades uses: unhandled error, probed-only warning, probed and captured or only passed on (to a helper too) note; logged or compared addresses are no use', async () => {
  const text = `
VOID A(PIRP Irp) { PREQ p = Irp->UserBuffer; __try { use(p->Len); } __except (1) { } }
VOID B(PIRP Irp) { PREQ p = Irp->UserBuffer; __try { ProbeForRead(p, 8, 1); use(p->Len); } __except (1) { } }
VOID C(PIRP Irp) { REQ k; PREQ p = Irp->UserBuffer; __try { ProbeForRead(p, 8, 1); RtlCopyMemory(&k, p, 8); } __except (1) { } }
VOID D(PIRP Irp) { REQ k; __try { CopyFromUser(&k, Irp->UserBuffer, 8); } __except (1) { } }
VOID E(PIRP Irp, ULONG n) {
    PMDL mdl = IoAllocateMdl(Irp->UserBuffer, n, FALSE, FALSE, NULL);
    __try { MmProbeAndLockPages(mdl, UserMode, IoReadAccess); } __except (1) { }
}
VOID F(PVOID Context) { PCTX c = Context; use(c->UserBuffer); }
PVOID G(PIRP Irp) { if (Irp->MdlAddress == NULL) return Irp->UserBuffer; return MmGetSystemAddressForMdlSafe(Irp->MdlAddress, 0); }
VOID H(PIRP Irp, PRUN r, ULONG off) { r->Va = Add2Ptr(Irp->UserBuffer, off, PVOID); }
VOID I(PIRP Irp, PRUN r) { r->Va = Irp->UserBuffer; use(((PREQ)Irp->UserBuffer)->Len); }
VOID J(PIRP Irp, ULONG n) { PVOID b = Irp->MdlAddress ? MmGetSystemAddressForMdlSafe(Irp->MdlAddress, 0) : Irp->UserBuffer; if (!b) return; Fill(b, n); }
VOID K(PIRP Irp, ULONG n) { PVOID b = Irp->UserBuffer; Fill(b, n); RtlZeroMemory(b, n); }
VOID L(PIRP Irp) { TRACE_LEAVE("UserBuffer=%p", Irp->UserBuffer); if ((PUCHAR)Irp->UserBuffer >= MM_SYSTEM_RANGE_START) return; }
PVOID M(PIRP Irp, PIO_STACK_LOCATION s, BOOLEAN neither) {
    PVOID b = Irp->AssociatedIrp.SystemBuffer;
    if (neither) b = s->Parameters.DeviceIoControl.Type3InputBuffer;
    if (Irp->RequestorMode != KernelMode && b != Irp->AssociatedIrp.SystemBuffer) { __try { ProbeForRead(b, 8, 1); } __except (1) { b = NULL; } }
    return b;
}
`;
  const result = await lintText('grades.c', text);
  const got = result.findings.filter((f) => f.ruleId === 'KS1101').map((f) => `${f.functionName}:${f.severity}`);
  assert.deepEqual(got, ['A:error', 'B:warning', 'C:note', 'D:note', 'E:note', 'G:note', 'H:note', 'I:error', 'J:note', 'K:error', 'M:note']);
  assert.match(result.findings.find((f) => f.functionName === 'H')!.message, /only passed on/);
  assert.match(result.findings.find((f) => f.functionName === 'J' && f.ruleId === 'KS1101')!.message, /handed to another function/);
  const note = result.findings.find((f) => f.functionName === 'C')!;
  assert.match(note.message, /probed and captured/);
  assert.equal(note.path[0].label, "Irp->UserBuffer (the caller's raw user-mode address)");
});

test('a name reused across switch cases holds a user address only where a user binding reaches', async () => {
  const { at } = await model(`
NTSTATUS Dispatch(PIRP Irp, PIO_STACK_LOCATION s, ULONG code) {
    PUCHAR buf;
    switch (code) {
    case IOCTL_BUFFERED:
        buf = Irp->AssociatedIrp.SystemBuffer;
        buf[0] = 1;
        break;
    case IOCTL_NEITHER:
        buf = Irp->UserBuffer;
        buf[0] = 2;
        break;
    }
    return 0;
}`);
  assert.deepEqual(at('Dispatch').accesses, ['write buf[0] @buf[0]']);
  assert.deepEqual(at('Dispatch').aliases, { buf: 'irp-user-buffer' });
});

test('kernel-mode-only paths: enclosing mode test and early exit for user-mode callers', async () => {
  const text = `
VOID A(PIRP Irp, PIO_STACK_LOCATION s) {
    PULONG p = s->Parameters.DeviceIoControl.Type3InputBuffer;
    if (Irp->RequestorMode == KernelMode) { use(*p); }
}
VOID B(PIRP Irp, PIO_STACK_LOCATION s) {
    PULONG p = s->Parameters.DeviceIoControl.Type3InputBuffer;
    if (Irp->RequestorMode != KernelMode || p == NULL) { return; }
    use(*p);
}
VOID C(PIRP Irp, PIO_STACK_LOCATION s) {
    PULONG p = s->Parameters.DeviceIoControl.Type3InputBuffer;
    if (ExGetPreviousMode() == UserMode) { log(); }
    use(*p);
}`;
  const result = await lintText('modes.c', text);
  assert.deepEqual(result.findings.filter((f) => f.ruleId === 'KS1103').map((f) => f.functionName), ['C']);
});
