/**
 * Buffer-handling helpers (`handlers.c`) and the generic code around them. Each access is guarded or not by a
 * draw against the driver's guard rate, so data-flow rules fire at a realistic, reproducible rate.
 */
import type { DriverModel } from './model';
import { NOUNS, VERBS } from './model';
import type { Rng } from './prng';

export function fnHeader(ret: string, name: string, params: string[], irql?: string): string {
  const lines: string[] = [];
  if (irql) lines.push(`_IRQL_requires_max_(${irql})`);
  lines.push(ret, `${name}(`);
  if (params.length === 0) lines.push('    VOID');
  params.forEach((p, i) => lines.push(`    ${p}${i < params.length - 1 ? ',' : ''}`));
  lines.push('    )');
  return lines.join('\n');
}

function docComment(rng: Rng, name: string, what: string): string {
  if (!rng.chance(0.7)) return '';
  return ['/*++', '', 'Routine Description:', '', `    ${name} ${what}.`, '', 'Arguments:', '', '    See the declaration.', '', 'Return Value:', '', '    NTSTATUS', '', '--*/'].join('\n') + '\n';
}

/** One access to request data: an index, a copy, an allocation, a loop bound or a pointer offset. */
function requestAccess(rng: Rng, m: DriverModel, guarded: boolean): string[] {
  const U = m.up;
  switch (rng.int(0, 4)) {
    case 0:
      return [
        ...(guarded ? [`    if (req->Index >= ${U}_TABLE_SIZE) {`, '        return STATUS_INVALID_PARAMETER;', '    }'] : []),
        `    Context->Table[req->Index] = req->Count;`,
      ];
    case 1:
      return [
        `    UCHAR local[${rng.pick([32, 64, 128])}];`,
        ...(guarded ? ['    if (req->Length > sizeof(local) || req->Length > Length - FIELD_OFFSET(' + U + '_REQUEST, Data)) {', '        return STATUS_INVALID_BUFFER_SIZE;', '    }'] : []),
        '    RtlCopyMemory(local, req->Data, req->Length);',
        '    *Information = req->Length;',
      ];
    case 2:
      return guarded
        ? [
            '    SIZE_T bytes = 0;',
            `    NTSTATUS status = RtlSizeTMult(req->Count, sizeof(${U}_ENTRY), &bytes);`,
            '    if (!NT_SUCCESS(status)) {',
            '        return status;',
            '    }',
            `    P${U}_ENTRY entries = (P${U}_ENTRY)ExAllocatePool2(POOL_FLAG_NON_PAGED, bytes, ${U}_TAG);`,
            '    if (entries == NULL) {',
            '        return STATUS_INSUFFICIENT_RESOURCES;',
            '    }',
            `    ExFreePoolWithTag(entries, ${U}_TAG);`,
          ]
        : [`    P${U}_ENTRY entries = (P${U}_ENTRY)ExAllocatePoolWithTag(NonPagedPool, req->Count * sizeof(${U}_ENTRY), ${U}_TAG);`, '    RtlZeroMemory(entries, req->Count * sizeof(*entries));', `    ExFreePoolWithTag(entries, ${U}_TAG);`];
    case 3:
      return [
        '    ULONG i;',
        '    ULONG sum = 0;',
        guarded ? `    for (i = 0; i < req->Count && i < RTL_NUMBER_OF(Context->Table); i++) {` : '    for (i = 0; i < req->Count; i++) {',
        '        sum += Context->Table[i];',
        '    }',
        '    *Information = sum;',
      ];
    default:
      return [
        ...(guarded ? ['    if (req->Offset > Length - sizeof(ULONG)) {', '        return STATUS_INVALID_PARAMETER;', '    }'] : []),
        '    ULONG value = *(PULONG)((PUCHAR)Buffer + req->Offset);',
        `    Context->Table[value % ${U}_TABLE_SIZE] += 1;`,
      ];
  }
}

export function bufferHelper(rng: Rng, m: DriverModel, name: string): string {
  const U = m.up;
  const sizeChecked = rng.chance(0.85);
  const body = [
    `    P${U}_REQUEST req = (P${U}_REQUEST)Buffer;`,
    '',
    '    *Information = 0;',
    ...(sizeChecked ? [`    if (Buffer == NULL || Length < sizeof(${U}_REQUEST)) {`, '        return STATUS_BUFFER_TOO_SMALL;', '    }'] : []),
    '',
    ...requestAccess(rng, m, rng.chance(m.guardRate)),
    ...(rng.chance(0.3) ? ['', '#if DBG', `    KdPrint(("${name}: version %lu\\n", req->Version));`, '#endif'] : []),
    '    return STATUS_SUCCESS;',
  ];
  return `${docComment(rng, name, 'handles one request buffer')}${fnHeader('NTSTATUS', name, [`_In_ P${U}_DEVICE_CONTEXT Context`, '_In_reads_bytes_(Length) PVOID Buffer', '_In_ ULONG Length', '_Out_ PULONG_PTR Information'], 'DISPATCH_LEVEL')}\n{\n${body.join('\n')}\n}\n`;
}

export function valueHelper(rng: Rng, m: DriverModel, name: string): string {
  const guarded = rng.chance(m.guardRate);
  const body = [
    '    KIRQL oldIrql;',
    '',
    ...(guarded ? ['    if (Value >= RTL_NUMBER_OF(Context->Inputs)) {', '        return STATUS_INVALID_PARAMETER;', '    }'] : []),
    '    KeAcquireSpinLock(&Context->Lock, &oldIrql);',
    '    Context->Inputs[Value] += 1;',
    '    KeReleaseSpinLock(&Context->Lock, oldIrql);',
    '    return STATUS_SUCCESS;',
  ];
  return `${docComment(rng, name, 'records one value')}${fnHeader('NTSTATUS', name, [`_In_ P${m.up}_DEVICE_CONTEXT Context`, '_In_ ULONG Value'], 'APC_LEVEL')}\n{\n${body.join('\n')}\n}\n`;
}

/** Ordinary driver code with no untrusted data: most of a real driver, and most of the parser's work. */
export function filler(rng: Rng, m: DriverModel, name: string): string {
  const U = m.up;
  const kind = rng.int(0, 4);
  let body: string[];
  if (kind === 0) {
    const states = rng.int(3, 7);
    body = ['    NTSTATUS status = STATUS_SUCCESS;', '', '    PAGED_CODE();', '', '    switch (State) {'];
    for (let s = 0; s < states; s++) {
      body.push(`    case ${s}:`, `        Context->Table[${s}] = ${rng.int(0, 4096)};`, rng.chance(0.5) ? `        status = ${m.prefix}${rng.pick(VERBS)}State(Context, ${s + 1});` : `        Context->ContentSize = 0;`, '        break;');
    }
    body.push('    default:', '        status = STATUS_INVALID_DEVICE_STATE;', '        break;', '    }', '    return status;');
    return `${fnHeader('NTSTATUS', name, [`_In_ P${U}_DEVICE_CONTEXT Context`, '_In_ ULONG State'], 'PASSIVE_LEVEL')}\n{\n${body.join('\n')}\n}\n`;
  }
  if (kind === 1) {
    body = [
      '    PLIST_ENTRY link;',
      '    ULONG count = 0;',
      '    KIRQL oldIrql;',
      '',
      '    KeAcquireSpinLock(&Context->Lock, &oldIrql);',
      '    for (link = Context->Pending.Flink; link != &Context->Pending; link = link->Flink) {',
      '        count++;',
      `        if (count > ${rng.int(100, 10000)}) {`,
      '            break;',
      '        }',
      '    }',
      '    KeReleaseSpinLock(&Context->Lock, oldIrql);',
      '    return count;',
    ];
    return `${fnHeader('ULONG', name, [`_In_ P${U}_DEVICE_CONTEXT Context`], 'DISPATCH_LEVEL')}\n{\n${body.join('\n')}\n}\n`;
  }
  if (kind === 2) {
    const n = rng.int(2, 6);
    body = ['    ULONG hash = 2166136261u;', '    ULONG i;', '', '    for (i = 0; i < RTL_NUMBER_OF(Context->Table); i++) {', '        hash ^= Context->Table[i];', '        hash *= 16777619u;', '    }'];
    for (let k = 0; k < n; k++) body.push(`    hash ^= (hash >> ${rng.int(1, 16)}) & 0x${rng.u32().toString(16)};`);
    body.push('    return hash;');
    return `${fnHeader('ULONG', name, [`_In_ const ${U}_DEVICE_CONTEXT* Context`])}\n{\n${body.join('\n')}\n}\n`;
  }
  if (kind === 3) {
    body = [
      '    UNICODE_STRING name;',
      '    OBJECT_ATTRIBUTES attributes;',
      '    HANDLE handle = NULL;',
      '    NTSTATUS status;',
      '',
      '    PAGED_CODE();',
      '',
      `    RtlInitUnicodeString(&name, L"\\\\Registry\\\\Machine\\\\Software\\\\${m.prefix}\\\\${rng.pick(NOUNS)}");`,
      '    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);',
      '    status = ZwOpenKey(&handle, KEY_READ, &attributes);',
      '    if (NT_SUCCESS(status)) {',
      '        ZwClose(handle);',
      '    }',
      '    return status;',
    ];
    return `${fnHeader('NTSTATUS', name, [], 'PASSIVE_LEVEL')}\n{\n${body.join('\n')}\n}\n`;
  }
  body = [
    '    LARGE_INTEGER timeout;',
    '',
    `    timeout.QuadPart = -${rng.int(1, 100)} * 10 * 1000;`,
    '    if (Context->Content != NULL) {',
    `        ExFreePoolWithTag(Context->Content, ${U}_TAG);`,
    '        Context->Content = NULL;',
    '        Context->ContentSize = 0;',
    '    }',
    '    KeDelayExecutionThread(KernelMode, FALSE, &timeout);',
  ];
  return `${fnHeader('VOID', name, [`_Inout_ P${U}_DEVICE_CONTEXT Context`], 'PASSIVE_LEVEL')}\n{\n${body.join('\n')}\n}\n`;
}

export function fillerName(rng: Rng, m: DriverModel, used: Set<string>): string {
  for (;;) {
    const name = `${m.prefix}${rng.pick(VERBS)}${rng.pick(NOUNS)}${rng.int(0, 999)}`;
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
  }
}
