/** A minifilter (`filter.c`: callbacks, a communication port, content read from a file) and `registry.c`. */
import { fnHeader } from './handlers';
import type { DriverModel } from './model';
import type { Rng } from './prng';

export function filterFile(rng: Rng, m: DriverModel, extra: string[]): string {
  const U = m.up;
  const P = m.prefix;
  const h = rng.pick(m.bufferHelpers);
  const probed = rng.chance(m.guardRate);
  const lengthChecked = rng.chance(m.guardRate);
  const lines = [
    `#include "${P.toLowerCase()}.h"`,
    '#include <fltKernel.h>',
    '',
    `static ${U}_DEVICE_CONTEXT g${P}Context;`,
    '',
    `FLT_PREOP_CALLBACK_STATUS ${P}PreCreate(_Inout_ PFLT_CALLBACK_DATA Data, _In_ PCFLT_RELATED_OBJECTS FltObjects, _Flt_CompletionContext_Outptr_ PVOID* CompletionContext);`,
    '',
    'CONST FLT_OPERATION_REGISTRATION Callbacks[] = {',
    `    { IRP_MJ_CREATE, 0, ${P}PreCreate, NULL },`,
    '    { IRP_MJ_OPERATION_END }',
    '};',
    '',
    fnHeader('FLT_PREOP_CALLBACK_STATUS', `${P}PreCreate`, ['_Inout_ PFLT_CALLBACK_DATA Data', '_In_ PCFLT_RELATED_OBJECTS FltObjects', '_Flt_CompletionContext_Outptr_ PVOID* CompletionContext']),
    '{',
    '    UNREFERENCED_PARAMETER(FltObjects);',
    '    *CompletionContext = NULL;',
    '    if (Data->Iopb->Parameters.Create.Options & FILE_DIRECTORY_FILE) {',
    '        return FLT_PREOP_SUCCESS_NO_CALLBACK;',
    '    }',
    '    return FLT_PREOP_SUCCESS_WITH_CALLBACK;',
    '}',
    '',
    fnHeader('NTSTATUS', `${P}MessageNotify`, [
      '_In_opt_ PVOID PortCookie',
      '_In_reads_bytes_opt_(InputBufferLength) PVOID InputBuffer',
      '_In_ ULONG InputBufferLength',
      '_Out_writes_bytes_to_opt_(OutputBufferLength, *ReturnOutputBufferLength) PVOID OutputBuffer',
      '_In_ ULONG OutputBufferLength',
      '_Out_ PULONG ReturnOutputBufferLength',
    ]),
    '{',
    '    ULONG_PTR info = 0;',
    '    NTSTATUS status;',
    '',
    '    UNREFERENCED_PARAMETER(PortCookie);',
    '    *ReturnOutputBufferLength = 0;',
    ...(lengthChecked ? [`    if (InputBuffer == NULL || InputBufferLength < sizeof(${U}_REQUEST)) {`, '        return STATUS_INVALID_PARAMETER;', '    }'] : []),
    ...(probed
      ? ['    __try {', '        ProbeForRead(InputBuffer, InputBufferLength, sizeof(ULONG));', `        status = ${h}(&g${P}Context, InputBuffer, InputBufferLength, &info);`, '    } __except (EXCEPTION_EXECUTE_HANDLER) {', '        return GetExceptionCode();', '    }']
      : [`    status = ${h}(&g${P}Context, InputBuffer, InputBufferLength, &info);`]),
    '    if (OutputBuffer != NULL && OutputBufferLength >= sizeof(ULONG_PTR)) {',
    '        *(PULONG_PTR)OutputBuffer = info;',
    '        *ReturnOutputBufferLength = sizeof(ULONG_PTR);',
    '    }',
    '    return status;',
    '}',
    '',
    fnHeader('NTSTATUS', `${P}LoadContentFile`, ['_In_ PFLT_INSTANCE Instance', '_In_ PFILE_OBJECT FileObject'], 'PASSIVE_LEVEL'),
    '{',
    '    LARGE_INTEGER offset = { 0 };',
    '    ULONG bytesRead = 0;',
    '    NTSTATUS status;',
    `    SIZE_T size = ${rng.pick([4096, 16384, 65536])};`,
    `    PUCHAR data = (PUCHAR)ExAllocatePool2(POOL_FLAG_PAGED, size, ${U}_TAG);`,
    '',
    '    if (data == NULL) {',
    '        return STATUS_INSUFFICIENT_RESOURCES;',
    '    }',
    '    status = FltReadFile(Instance, FileObject, &offset, (ULONG)size, data, FLTFL_IO_OPERATION_NON_CACHED, &bytesRead, NULL, NULL);',
    '    if (NT_SUCCESS(status)) {',
    `        status = ${P}InterpretContent(data, bytesRead, &g${P}Context);`,
    '    }',
    `    ExFreePoolWithTag(data, ${U}_TAG);`,
    '    return status;',
    '}',
    '',
    fnHeader('NTSTATUS', `${P}CreatePort`, ['_In_ PFLT_FILTER Filter', '_In_ PSECURITY_DESCRIPTOR Sd'], 'PASSIVE_LEVEL'),
    '{',
    '    OBJECT_ATTRIBUTES oa;',
    '    UNICODE_STRING name;',
    '',
    `    RtlInitUnicodeString(&name, L"\\\\${P}Port");`,
    '    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, Sd);',
    `    return FltCreateCommunicationPort(Filter, &g${P}Context.ServerPort, &oa, NULL, ${P}Connect, ${P}Disconnect, ${P}MessageNotify, 1);`,
    '}',
    '',
  ];
  return [...lines, ...extra].join('\n');
}

export function registryFile(rng: Rng, m: DriverModel, extra: string[]): string {
  const U = m.up;
  const P = m.prefix;
  const guarded = rng.chance(m.guardRate);
  const safeStrings = rng.chance(m.guardRate);
  const lines = [
    `#include "${P.toLowerCase()}.h"`,
    '',
    fnHeader('NTSTATUS', `${P}ReadSetting`, ['_In_ HANDLE Key', '_In_ PCUNICODE_STRING ValueName', '_Out_writes_bytes_(DestSize) PVOID Dest', '_In_ ULONG DestSize'], 'PASSIVE_LEVEL'),
    '{',
    '    UCHAR buffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + 256];',
    '    PKEY_VALUE_PARTIAL_INFORMATION info = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;',
    '    ULONG resultLength = 0;',
    '    NTSTATUS status;',
    '',
    '    PAGED_CODE();',
    '',
    '    status = ZwQueryValueKey(Key, (PUNICODE_STRING)ValueName, KeyValuePartialInformation, info, sizeof(buffer), &resultLength);',
    '    if (!NT_SUCCESS(status)) {',
    '        return status;',
    '    }',
    ...(guarded ? ['    if (info->DataLength > DestSize) {', '        return STATUS_BUFFER_OVERFLOW;', '    }'] : []),
    '    RtlCopyMemory(Dest, info->Data, info->DataLength);',
    '    return STATUS_SUCCESS;',
    '}',
    '',
    fnHeader('VOID', `${P}FormatName`, ['_Out_writes_(Size) PCHAR Out', '_In_ SIZE_T Size', '_In_z_ PCSTR Name']),
    '{',
    ...(safeStrings
      ? [`    (VOID)RtlStringCbPrintfA(Out, Size, "${P}-%s", Name);`]
      : ['    UNREFERENCED_PARAMETER(Size);', `    strcpy(Out, "${P}-");`, '    strcat(Out, Name);']),
    '}',
    '',
    fnHeader('NTSTATUS', `${P}LoadContent`, [`_Inout_ P${U}_DEVICE_CONTEXT Context`, '_In_ HANDLE File'], 'PASSIVE_LEVEL'),
    '{',
    '    IO_STATUS_BLOCK iosb;',
    '    FILE_STANDARD_INFORMATION fsi;',
    '    NTSTATUS status;',
    '',
    '    status = ZwQueryInformationFile(File, &iosb, &fsi, sizeof(fsi), FileStandardInformation);',
    '    if (!NT_SUCCESS(status)) {',
    '        return status;',
    '    }',
    ...(rng.chance(m.guardRate) ? ['    if (fsi.EndOfFile.QuadPart == 0 || fsi.EndOfFile.QuadPart > 16 * 1024 * 1024) {', '        return STATUS_FILE_TOO_LARGE;', '    }'] : []),
    '    Context->ContentSize = (SIZE_T)fsi.EndOfFile.QuadPart;',
    `    Context->Content = (PUCHAR)ExAllocatePool2(POOL_FLAG_PAGED, Context->ContentSize, ${U}_TAG);`,
    '    if (Context->Content == NULL) {',
    '        return STATUS_INSUFFICIENT_RESOURCES;',
    '    }',
    '    status = ZwReadFile(File, NULL, NULL, NULL, &iosb, Context->Content, (ULONG)Context->ContentSize, NULL, NULL);',
    '    if (NT_SUCCESS(status)) {',
    `        status = ${P}InterpretContent(Context->Content, iosb.Information, Context);`,
    '    }',
    '    return status;',
    '}',
    '',
  ];
  return [...lines, ...extra].join('\n');
}
