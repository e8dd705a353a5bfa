/** Names shared by the files of one generated driver, and the driver's common header. */
import type { Rng } from './prng';

const STEMS = ['Acme', 'Blue', 'Cobalt', 'Delta', 'Ember', 'Flux', 'Gale', 'Helix', 'Iris', 'Jade', 'Krypt', 'Lumen', 'Mica', 'Nova', 'Onyx', 'Pulse', 'Quill', 'Rune', 'Sable', 'Talon', 'Umbra', 'Vex', 'Wisp', 'Xeno', 'Yarrow', 'Zinc'];
const ROLES = ['Sensor', 'Filter', 'Port', 'Bus', 'Hid', 'Net', 'Vol', 'Cam', 'Audio', 'Key', 'Ctl', 'Mon'];
export const NOUNS = ['Entry', 'Record', 'Packet', 'Rule', 'Field', 'Slot', 'Channel', 'Frame', 'Block', 'Event', 'Token', 'Segment', 'Policy', 'Sample', 'Stream', 'Window'];
export const VERBS = ['Parse', 'Apply', 'Load', 'Update', 'Query', 'Validate', 'Decode', 'Scan', 'Match', 'Store', 'Collect', 'Emit', 'Refresh', 'Reset', 'Merge', 'Lookup'];

/** One driver's vocabulary: a prefix for every symbol and the helpers other files call across file boundaries. */
export interface DriverModel {
  readonly prefix: string;
  /** Upper-case prefix for types and macros. */
  readonly up: string;
  readonly tag: string;
  readonly slots: number;
  readonly tableSize: number;
  /** Helpers defined in `handlers.c` taking (buffer, length): called from the WDM, KMDF and filter files. */
  readonly bufferHelpers: string[];
  /** Helpers defined in `handlers.c` taking a value (an index or count). */
  readonly valueHelpers: string[];
  readonly ioctls: string[];
  /** Guarded share: the probability that a generated access is correctly checked. */
  readonly guardRate: number;
}

export function makeModel(rng: Rng, index: number): DriverModel {
  const prefix = `${rng.pick(STEMS)}${rng.pick(ROLES)}${index}`;
  const up = prefix.toUpperCase();
  const nHelpers = rng.int(3, 7);
  const bufferHelpers: string[] = [];
  const valueHelpers: string[] = [];
  const used = new Set<string>();
  while (bufferHelpers.length + valueHelpers.length < nHelpers * 2) {
    const name = `${prefix}${rng.pick(VERBS)}${rng.pick(NOUNS)}`;
    if (used.has(name)) continue;
    used.add(name);
    (bufferHelpers.length < nHelpers ? bufferHelpers : valueHelpers).push(name);
  }
  const ioctls = Array.from({ length: rng.int(3, 8) }, (_, i) => `IOCTL_${up}_${rng.pick(VERBS).toUpperCase()}_${i}`);
  const tag = `'${(prefix.slice(0, 3) + 'x').slice(0, 4)}'`;
  return { prefix, up, tag, slots: rng.pick([16, 20, 21, 32]), tableSize: rng.pick([32, 64, 128, 256]), bufferHelpers, valueHelpers, ioctls, guardRate: 0.6 + rng.next() * 0.3 };
}

export function header(rng: Rng, m: DriverModel): string {
  const U = m.up;
  const out: string[] = [
    '/*++',
    '',
    `Module Name:  ${m.prefix.toLowerCase()}.h`,
    '',
    `Abstract:     Shared definitions for the ${m.prefix} driver.`,
    '',
    'Environment:  Kernel mode',
    '',
    '--*/',
    '',
    '#pragma once',
    '',
    '#include <ntddk.h>',
    '#include <wdf.h>',
    '#include <ntstrsafe.h>',
    '',
    `#define ${U}_TAG ${m.tag}`,
    `#define ${U}_MAX_SLOTS ${m.slots}`,
    `#define ${U}_TABLE_SIZE ${m.tableSize}`,
    `#define ${U}_MAGIC 0x${rng.u32().toString(16).toUpperCase()}`,
    `#define FILE_DEVICE_${U} 0x${(0x8000 + rng.int(0, 0x7ff)).toString(16)}`,
    '',
  ];
  m.ioctls.forEach((name, i) => out.push(`#define ${name} CTL_CODE(FILE_DEVICE_${U}, 0x${(0x800 + i).toString(16)}, METHOD_${rng.pick(['BUFFERED', 'BUFFERED', 'NEITHER', 'IN_DIRECT'])}, FILE_ANY_ACCESS)`));
  out.push(
    '',
    '#include <pshpack1.h>',
    `typedef struct _${U}_REQUEST {`,
    '    ULONG Version;',
    '    ULONG Index;',
    '    ULONG Count;',
    '    ULONG Length;',
    '    ULONG Offset;',
    '    UCHAR Data[ANYSIZE_ARRAY];',
    `} ${U}_REQUEST, *P${U}_REQUEST;`,
    '',
    `typedef struct _${U}_CONTENT_HEADER {`,
    '    ULONG Magic;',
    '    USHORT Version;',
    '    USHORT FieldCount;',
    '    ULONG EntryCount;',
    '    ULONG EntriesOffset;',
    `} ${U}_CONTENT_HEADER, *P${U}_CONTENT_HEADER;`,
    '',
    `typedef struct _${U}_ENTRY {`,
    '    USHORT Kind;',
    '    USHORT Length;',
    '    ULONG FieldIndex;',
    '    ULONG Value;',
    '    UCHAR Payload[16];',
    `} ${U}_ENTRY, *P${U}_ENTRY;`,
    '#include <poppack.h>',
    '',
    `typedef struct _${U}_DEVICE_CONTEXT {`,
    '    WDFQUEUE Queue;',
    '    KSPIN_LOCK Lock;',
    '    LIST_ENTRY Pending;',
    `    ULONG Table[${U}_TABLE_SIZE];`,
    `    ULONG_PTR Inputs[${U}_MAX_SLOTS];`,
    '    PUCHAR Content;',
    '    SIZE_T ContentSize;',
    '    PFLT_FILTER Filter;',
    '    PFLT_PORT ServerPort;',
    `} ${U}_DEVICE_CONTEXT, *P${U}_DEVICE_CONTEXT;`,
    '',
    `WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(${U}_DEVICE_CONTEXT, ${m.prefix}GetContext)`,
    '',
    'DRIVER_INITIALIZE DriverEntry;',
    `DRIVER_DISPATCH ${m.prefix}DispatchDeviceControl;`,
    `EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL ${m.prefix}EvtIoDeviceControl;`,
    '',
  );
  for (const h of m.bufferHelpers) {
    out.push('_IRQL_requires_max_(DISPATCH_LEVEL)', 'NTSTATUS', `${h}(`, `    _In_ P${U}_DEVICE_CONTEXT Context,`, '    _In_reads_bytes_(Length) PVOID Buffer,', '    _In_ ULONG Length,', '    _Out_ PULONG_PTR Information', '    );', '');
  }
  for (const h of m.valueHelpers) {
    out.push('_IRQL_requires_max_(APC_LEVEL)', 'NTSTATUS', `${h}(`, `    _In_ P${U}_DEVICE_CONTEXT Context,`, '    _In_ ULONG Value', '    );', '');
  }
  out.push('#ifdef __cplusplus', 'extern "C" {', '#endif', `NTSTATUS ${m.prefix}InterpretContent(_In_reads_bytes_(Size) const UCHAR* Data, _In_ SIZE_T Size, _Inout_ P${U}_DEVICE_CONTEXT Context);`, '#ifdef __cplusplus', '}', '#endif', '');
  return out.join('\n');
}
