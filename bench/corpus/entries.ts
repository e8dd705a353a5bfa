/** Driver entry points: a WDM dispatch routine (`ioctl.c`) and a KMDF queue (`queue.c`). */
import { fnHeader } from './handlers';
import type { DriverModel } from './model';
import type { Rng } from './prng';

function inlineCase(rng: Rng, m: DriverModel, ioctl: string): string[] {
  const U = m.up;
  const guarded = rng.chance(m.guardRate);
  if (rng.chance(0.3)) {
    // METHOD_NEITHER style: the user pointer itself, probed inside __try.
    return [
      `    case ${ioctl}:`,
      '        __try {',
      `            ProbeForRead(irpSp->Parameters.DeviceIoControl.Type3InputBuffer, inLen, sizeof(ULONG));`,
      `            ULONG index = *(PULONG)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;`,
      ...(guarded ? [`            if (index < ${U}_TABLE_SIZE) {`, '                ctx->Table[index] = 0;', '            }'] : ['            ctx->Table[index] = 0;']),
      '        } __except (EXCEPTION_EXECUTE_HANDLER) {',
      '            status = GetExceptionCode();',
      '        }',
      '        break;',
    ];
  }
  return [
    `    case ${ioctl}: {`,
    `        P${U}_REQUEST req = (P${U}_REQUEST)buffer;`,
    `        if (inLen < sizeof(${U}_REQUEST)) {`,
    '            status = STATUS_BUFFER_TOO_SMALL;',
    '            break;',
    '        }',
    ...(guarded ? [`        if (req->Index >= RTL_NUMBER_OF(ctx->Inputs)) {`, '            status = STATUS_INVALID_PARAMETER;', '            break;', '        }'] : []),
    '        ctx->Inputs[req->Index] = req->Offset;',
    '        break;',
    '    }',
  ];
}

export function wdmFile(rng: Rng, m: DriverModel, extra: string[]): string {
  const U = m.up;
  const P = m.prefix;
  const cases: string[] = [];
  for (const ioctl of m.ioctls) {
    if (rng.chance(0.6)) {
      const h = rng.pick(m.bufferHelpers);
      cases.push(`    case ${ioctl}:`, `        status = ${h}(ctx, buffer, inLen, &info);`, '        break;');
    } else if (rng.chance(0.3)) {
      const h = rng.pick(m.valueHelpers);
      cases.push(`    case ${ioctl}:`, '        if (inLen < sizeof(ULONG)) {', '            status = STATUS_BUFFER_TOO_SMALL;', '            break;', '        }', `        status = ${h}(ctx, *(PULONG)buffer);`, '        break;');
    } else {
      cases.push(...inlineCase(rng, m, ioctl));
    }
  }
  const dispatch = [
    fnHeader('NTSTATUS', `${P}DispatchDeviceControl`, ['_In_ PDEVICE_OBJECT DeviceObject', '_Inout_ PIRP Irp']),
    '{',
    '    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);',
    '    ULONG inLen = irpSp->Parameters.DeviceIoControl.InputBufferLength;',
    '    PVOID buffer = Irp->AssociatedIrp.SystemBuffer;',
    `    P${U}_DEVICE_CONTEXT ctx = (P${U}_DEVICE_CONTEXT)DeviceObject->DeviceExtension;`,
    '    NTSTATUS status = STATUS_SUCCESS;',
    '    ULONG_PTR info = 0;',
    '',
    '    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {',
    ...cases,
    '    default:',
    '        status = STATUS_INVALID_DEVICE_REQUEST;',
    '        break;',
    '    }',
    '',
    '    Irp->IoStatus.Status = status;',
    '    Irp->IoStatus.Information = info;',
    '    IoCompleteRequest(Irp, IO_NO_INCREMENT);',
    '    return status;',
    '}',
  ].join('\n');
  const entry = [
    fnHeader('NTSTATUS', 'DriverEntry', ['_In_ PDRIVER_OBJECT DriverObject', '_In_ PUNICODE_STRING RegistryPath']),
    '{',
    '    UNICODE_STRING deviceName;',
    '    PDEVICE_OBJECT deviceObject = NULL;',
    '    NTSTATUS status;',
    '',
    '    UNREFERENCED_PARAMETER(RegistryPath);',
    `    RtlInitUnicodeString(&deviceName, L"\\\\Device\\\\${P}");`,
    `    status = IoCreateDevice(DriverObject, sizeof(${U}_DEVICE_CONTEXT), &deviceName, FILE_DEVICE_${U}, FILE_DEVICE_SECURE_OPEN, FALSE, &deviceObject);`,
    '    if (!NT_SUCCESS(status)) {',
    '        return status;',
    '    }',
    `    DriverObject->MajorFunction[IRP_MJ_CREATE] = ${P}DispatchCreateClose;`,
    `    DriverObject->MajorFunction[IRP_MJ_CLOSE] = ${P}DispatchCreateClose;`,
    `    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ${P}DispatchDeviceControl;`,
    `    DriverObject->DriverUnload = ${P}Unload;`,
    '    return STATUS_SUCCESS;',
    '}',
  ].join('\n');
  const createClose = [
    fnHeader('NTSTATUS', `${P}DispatchCreateClose`, ['_In_ PDEVICE_OBJECT DeviceObject', '_Inout_ PIRP Irp']),
    '{',
    '    UNREFERENCED_PARAMETER(DeviceObject);',
    '    Irp->IoStatus.Status = STATUS_SUCCESS;',
    '    Irp->IoStatus.Information = 0;',
    '    IoCompleteRequest(Irp, IO_NO_INCREMENT);',
    '    return STATUS_SUCCESS;',
    '}',
  ].join('\n');
  const pragmas = ['#ifdef ALLOC_PRAGMA', '#pragma alloc_text(INIT, DriverEntry)', `#pragma alloc_text(PAGE, ${P}DispatchCreateClose)`, '#endif'].join('\n');
  return [`#include "${P.toLowerCase()}.h"`, '', `DRIVER_DISPATCH ${P}DispatchCreateClose;`, `DRIVER_UNLOAD ${P}Unload;`, '', pragmas, '', entry, '', createClose, '', dispatch, '', ...extra].join('\n');
}

export function kmdfFile(rng: Rng, m: DriverModel, extra: string[]): string {
  const U = m.up;
  const P = m.prefix;
  const minSize = rng.chance(m.guardRate) ? `sizeof(${U}_REQUEST)` : '0';
  const h = rng.pick(m.bufferHelpers);
  const evt = [
    fnHeader('VOID', `${P}EvtIoDeviceControl`, ['_In_ WDFQUEUE Queue', '_In_ WDFREQUEST Request', '_In_ size_t OutputBufferLength', '_In_ size_t InputBufferLength', '_In_ ULONG IoControlCode']),
    '{',
    '    NTSTATUS status;',
    '    PVOID buffer = NULL;',
    '    size_t length = 0;',
    '    ULONG_PTR info = 0;',
    `    P${U}_DEVICE_CONTEXT ctx = ${P}GetContext(WdfIoQueueGetDevice(Queue));`,
    '',
    '    UNREFERENCED_PARAMETER(OutputBufferLength);',
    '    UNREFERENCED_PARAMETER(InputBufferLength);',
    '',
    `    if (IoControlCode != ${rng.pick(m.ioctls)}) {`,
    '        WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);',
    '        return;',
    '    }',
    `    status = WdfRequestRetrieveInputBuffer(Request, ${minSize}, &buffer, &length);`,
    '    if (!NT_SUCCESS(status)) {',
    '        WdfRequestComplete(Request, status);',
    '        return;',
    '    }',
    `    status = ${h}(ctx, buffer, (ULONG)length, &info);`,
    '    WdfRequestCompleteWithInformation(Request, status, info);',
    '}',
  ].join('\n');
  const add = [
    fnHeader('NTSTATUS', `${P}EvtDeviceAdd`, ['_In_ WDFDRIVER Driver', '_Inout_ PWDFDEVICE_INIT DeviceInit']),
    '{',
    '    WDF_OBJECT_ATTRIBUTES attributes;',
    '    WDF_IO_QUEUE_CONFIG queueConfig;',
    '    WDFDEVICE device;',
    '    NTSTATUS status;',
    '',
    '    UNREFERENCED_PARAMETER(Driver);',
    '    PAGED_CODE();',
    '',
    `    WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&attributes, ${U}_DEVICE_CONTEXT);`,
    '    status = WdfDeviceCreate(&DeviceInit, &attributes, &device);',
    '    if (!NT_SUCCESS(status)) {',
    '        return status;',
    '    }',
    '    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);',
    `    queueConfig.EvtIoDeviceControl = ${P}EvtIoDeviceControl;`,
    `    status = WdfIoQueueCreate(device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &${P}GetContext(device)->Queue);`,
    '    return status;',
    '}',
  ].join('\n');
  return [`#include "${P.toLowerCase()}.h"`, '', `EVT_WDF_DRIVER_DEVICE_ADD ${P}EvtDeviceAdd;`, '', add, '', evt, '', ...extra].join('\n');
}
