/**
 * Where untrusted data enters kernel code (RULES.md §3 "Untrusted source seeds"): request buffers and lengths
 * recognised by access path, APIs that return or fill untrusted memory, and SAL-annotated parameters.
 */
import type { AstNode } from '../ast';
import type { Annotation } from '../parse/mask';

/** Bit flags for taint kinds. */
export const BUF = 1;
export const USER = 2;
export const VAL = 4;

export type TaintKind = 'buffer' | 'user-pointer' | 'value';

export function kindsToList(k: number): TaintKind[] {
  const out: TaintKind[] = [];
  if (k & BUF) out.push('buffer');
  if (k & USER) out.push('user-pointer');
  if (k & VAL) out.push('value');
  return out;
}

export function kindsFromList(list: readonly TaintKind[]): number {
  let k = 0;
  for (const x of list) k |= x === 'buffer' ? BUF : x === 'user-pointer' ? USER : VAL;
  return k;
}

export interface SourceDesc {
  readonly kind: number;
  /** Short machine tag, e.g. `system-buffer`, `request-length`; rules may test for tags. */
  readonly tag: string;
  /** Human label for the source step of a finding's path. */
  readonly label: string;
  /** The value is the supplied length of an untrusted buffer. */
  readonly length?: boolean;
}

const IOCTL_LENGTH = /\.Parameters\.(DeviceIoControl|FileSystemControl)(\.[A-Za-z]+)?\.(InputBufferLength|OutputBufferLength)$/;
const RW_LENGTH = /\.Parameters\.(Read|Write)\.Length$/;

/** Recognises source access paths (canonical form from `pathOf`). */
export function pathSource(path: string): SourceDesc | undefined {
  if (path.endsWith('.AssociatedIrp.SystemBuffer')) return { kind: BUF, tag: 'system-buffer', label: 'request buffer (SystemBuffer)' };
  if (path.endsWith('.Parameters.DeviceIoControl.Type3InputBuffer')) return { kind: USER, tag: 'type3-input', label: 'METHOD_NEITHER input pointer (Type3InputBuffer)' };
  if (/(^|\.)\w*irp\w*\.UserBuffer$/i.test(path)) return { kind: USER, tag: 'user-buffer', label: "caller's user-mode buffer (UserBuffer)" };
  if (/\.Parameters\.(DeviceIoControl|FileSystemControl)\.Buffered\.SystemBuffer$/.test(path)) return { kind: BUF, tag: 'system-buffer', label: 'request buffer (SystemBuffer)' };
  if (/\.Parameters\.(DeviceIoControl|FileSystemControl)\.Neither\.(InputBuffer|OutputBuffer)$/.test(path)) return { kind: USER, tag: 'type3-input', label: 'METHOD_NEITHER user pointer' };
  const m = IOCTL_LENGTH.exec(path);
  if (m) return { kind: VAL, tag: m[3] === 'InputBufferLength' ? 'request-input-length' : 'request-output-length', label: `request length (${m[3]})`, length: true };
  if (RW_LENGTH.test(path)) return { kind: VAL, tag: 'request-input-length', label: 'request length', length: true };
  return undefined;
}

/**
 * Fields the kernel itself writes into the structure a source fills: `ZwQueryValueKey`'s `DataOffset`,
 * `NameLength`, `Type` are consistent with the returned buffer; only the value data is untrusted.
 */
const TRUSTED_FIELDS: Readonly<Record<string, ReadonlySet<string>>> = {
  'registry-data': new Set(['DataOffset', 'NameLength', 'TitleIndex', 'Type', 'NextEntryOffset']),
};

export function trustedField(src: { text: string }, field: AstNode, base: { tags: readonly string[] }): boolean {
  const f = field.children.find((c) => c.field === 'field');
  if (!f) return false;
  const name = src.text.slice(f.start, f.end);
  return base.tags.length > 0 && base.tags.every((t) => TRUSTED_FIELDS[t]?.has(name));
}

export interface OutParam {
  readonly arg: number;
  readonly source: SourceDesc;
  /** The fact also carries the IOCTL codes the call runs under (`codeGroupsTag`): the buffer's nature depends on their method. */
  readonly byCode?: boolean;
}

export interface CallSourceSpec {
  /** Source of the return value. `mdl`: only when the MDL argument comes from a request or is itself tainted. */
  readonly ret?: SourceDesc & { readonly when?: 'mdl' };
  readonly outs?: readonly OutParam[];
  /** `MinimumRequiredSize` argument: a non-zero value means the returned buffer is at least that large. */
  readonly minSizeArg?: number;
}

const wdfBuf = (tag: string, kind = BUF, byCode = false): CallSourceSpec => ({
  outs: [
    { arg: 2, source: { kind, tag, label: kind === USER ? 'unprobed user buffer from WdfRequestRetrieveUnsafeUser*Buffer' : 'request buffer from WdfRequestRetrieve*Buffer' }, byCode },
    { arg: 3, source: { kind: VAL, tag: 'request-input-length', label: 'request buffer length', length: true } },
  ],
  minSizeArg: 1,
});

const FILE_DATA: SourceDesc = { kind: BUF, tag: 'file-data', label: 'file contents read into the buffer' };
const REG_DATA: SourceDesc = { kind: BUF, tag: 'registry-data', label: 'registry value data read into the buffer' };
const DATA_LEN: SourceDesc = { kind: VAL, tag: 'data-length', label: 'returned data length', length: true };

export const CALL_SOURCES: ReadonlyMap<string, CallSourceSpec> = new Map<string, CallSourceSpec>([
  ['WdfRequestRetrieveInputBuffer', wdfBuf('wdf-input-buffer')],
  // For METHOD_IN_DIRECT and METHOD_OUT_DIRECT codes the output buffer is the mapping of the caller's locked pages.
  ['WdfRequestRetrieveOutputBuffer', wdfBuf('wdf-output-buffer', BUF, true)],
  ['WdfRequestRetrieveUnsafeUserInputBuffer', wdfBuf('unsafe-user-buffer', USER)],
  ['WdfRequestRetrieveUnsafeUserOutputBuffer', wdfBuf('unsafe-user-buffer', USER)],
  ['WdfRequestRetrieveInputMemory', { outs: [{ arg: 1, source: { kind: VAL, tag: 'request-memory', label: 'request memory object' } }] }],
  ['WdfRequestRetrieveOutputMemory', { outs: [{ arg: 1, source: { kind: VAL, tag: 'request-memory', label: 'request memory object' } }] }],
  ['WdfRequestRetrieveInputWdmMdl', { outs: [{ arg: 1, source: { kind: VAL, tag: 'request-mdl', label: 'request MDL' } }] }],
  ['WdfRequestRetrieveOutputWdmMdl', { outs: [{ arg: 1, source: { kind: VAL, tag: 'request-output-mdl', label: 'request MDL' } }] }],
  ['WdfMemoryGetBuffer', { ret: { kind: BUF, tag: 'wdf-memory-buffer', label: 'buffer of a request memory object (WdfMemoryGetBuffer)' }, outs: [{ arg: 1, source: { kind: VAL, tag: 'request-input-length', label: 'memory object size', length: true } }] }],
  ['MmGetSystemAddressForMdlSafe', { ret: { kind: BUF, tag: 'mdl-buffer', label: 'system address of the request MDL', when: 'mdl' } }],
  ['MmGetSystemAddressForMdl', { ret: { kind: BUF, tag: 'mdl-buffer', label: 'system address of the request MDL', when: 'mdl' } }],
  ['MmGetMdlVirtualAddress', { ret: { kind: USER, tag: 'mdl-user-address', label: 'user virtual address of the request MDL', when: 'mdl' } }],
  ['ZwReadFile', { outs: [{ arg: 5, source: FILE_DATA }] }],
  ['NtReadFile', { outs: [{ arg: 5, source: FILE_DATA }] }],
  ['FltReadFile', { outs: [{ arg: 4, source: FILE_DATA }, { arg: 6, source: DATA_LEN }] }],
  ['FltReadFileEx', { outs: [{ arg: 4, source: FILE_DATA }, { arg: 6, source: DATA_LEN }] }],
  ['ZwQueryValueKey', { outs: [{ arg: 3, source: REG_DATA }, { arg: 5, source: DATA_LEN }] }],
  ['ZwEnumerateValueKey', { outs: [{ arg: 3, source: REG_DATA }, { arg: 5, source: DATA_LEN }] }],
  ['NtQueryValueKey', { outs: [{ arg: 3, source: REG_DATA }, { arg: 5, source: DATA_LEN }] }],
  ['NtEnumerateValueKey', { outs: [{ arg: 3, source: REG_DATA }, { arg: 5, source: DATA_LEN }] }],
  ['ZwMapViewOfSection', { outs: [{ arg: 2, source: { kind: BUF, tag: 'mapped-file', label: 'mapped view of a file section' } }] }],
  ['copy_from_user', { outs: [{ arg: 0, source: { kind: BUF, tag: 'user-copy', label: 'data copied from user space' } }] }],
  ['__copy_from_user', { outs: [{ arg: 0, source: { kind: BUF, tag: 'user-copy', label: 'data copied from user space' } }] }],
  ['CopyFromUser', { outs: [{ arg: 0, source: { kind: BUF, tag: 'user-copy', label: 'data copied from user mode' } }] }],
  ['CopyFromMode', { outs: [{ arg: 0, source: { kind: BUF, tag: 'user-copy', label: 'data copied from user mode' } }] }],
]);

/** Memory copies: the destination receives the source's content (`dst`, `src` argument indices). */
export const COPY_CALLS: ReadonlyMap<string, { dst: number; src: number; len: number }> = new Map([
  ['RtlCopyMemory', { dst: 0, src: 1, len: 2 }],
  ['RtlMoveMemory', { dst: 0, src: 1, len: 2 }],
  ['RtlCopyBytes', { dst: 0, src: 1, len: 2 }],
  ['RtlCopyMemoryNonTemporal', { dst: 0, src: 1, len: 2 }],
  ['memcpy', { dst: 0, src: 1, len: 2 }],
  ['memmove', { dst: 0, src: 1, len: 2 }],
  ['memcpy_s', { dst: 0, src: 2, len: 3 }],
  ['memmove_s', { dst: 0, src: 2, len: 3 }],
  ['CopyMemory', { dst: 0, src: 1, len: 2 }],
  ['MoveMemory', { dst: 0, src: 1, len: 2 }],
  ['__builtin_memcpy', { dst: 0, src: 1, len: 2 }],
]);

/** Allocators and the index of their size argument. */
export const ALLOCATION_SIZE_ARGS: ReadonlyMap<string, number> = new Map([
  ['ExAllocatePool2', 1],
  ['ExAllocatePool3', 1],
  ['ExAllocatePoolZero', 1],
  ['ExAllocatePoolUninitialized', 1],
  ['ExAllocatePoolWithTag', 1],
  ['ExAllocatePoolWithQuotaTag', 1],
  ['ExAllocatePoolWithTagPriority', 1],
  ['ExAllocatePool', 1],
  ['MmAllocateNonCachedMemory', 0],
  ['MmAllocateContiguousMemory', 0],
  ['kmalloc', 0],
  ['kzalloc', 0],
  ['vmalloc', 0],
  ['malloc', 0],
]);

/**
 * Every allocator whose size argument KS1203 follows: the table above and allocators that other rules do not size
 * (MDLs, pages for an MDL, WDF memory objects, aligned minifilter pool).
 */
export const SIZED_ALLOCATIONS: ReadonlyMap<string, number> = new Map([
  ...ALLOCATION_SIZE_ARGS,
  ['ExAllocatePoolWithQuota', 1],
  ['MmAllocateContiguousMemorySpecifyCache', 0],
  ['MmAllocateContiguousNodeMemory', 0],
  ['MmAllocatePagesForMdl', 3],
  ['MmAllocatePagesForMdlEx', 3],
  ['IoAllocateMdl', 1],
  ['WdfMemoryCreate', 3],
  ['FltAllocatePoolAlignedWithTag', 2],
]);

/** `min`-like macros: the result is bounded when any operand is trusted. */
export const MIN_CALLS: ReadonlySet<string> = new Set(['min', 'MIN', '__min', 'min_t', 'umin', 'RTL_MIN', 'std::min', 'clamp', 'clamp_t', 'Min']);
export const MAX_CALLS: ReadonlySet<string> = new Set(['max', 'MAX', '__max', 'max_t', 'umax', 'std::max', 'Max']);
/** Pointer adjusters whose result points into the same buffer as their first argument. */
export const POINTER_CALLS: ReadonlySet<string> = new Set(['CONTAINING_RECORD', 'Add2Ptr', 'RtlOffsetToPointer', 'ALIGN_UP_POINTER', 'ALIGN_DOWN_POINTER', 'ALIGN_UP_POINTER_BY', 'ALIGN_DOWN_POINTER_BY', 'PAGE_ALIGN']);

/** User-mode accessors (`usermode_accessors.h`) whose result is a value read from user memory. */
export function isUserReadAccessor(name: string): boolean {
  return /^Read(U?Char|U?Short|U?Long|U?Long64|U?LongPtr|Boolean|Handle|Pointer|SizeT|Struct|U?Int\d+|Byte)?(FromUser|FromMode)(Acquire)?$/.test(name);
}

/** Validation helpers that prove a length or index in range when they succeed. */
export const NTINTSAFE_PREFIXES = ['RtlSizeT', 'RtlULong', 'RtlUInt', 'RtlULongLong', 'RtlUShort', 'RtlLong', 'RtlInt', 'RtlSSizeT', 'RtlUIntPtr', 'RtlULongPtr', 'RtlDWord', 'RtlByte', 'SizeT', 'ULong', 'UInt', 'DWord'];

export function isIntSafeCall(name: string): boolean {
  return NTINTSAFE_PREFIXES.some((p) => name.startsWith(p)) && /(Add|Sub|Mult|To[A-Z][A-Za-z]*)$/.test(name);
}

const SAL_BUFFER = /^(_In_reads_bytes_|_In_reads_bytes_opt_|_In_reads_|_In_reads_opt_|_Inout_updates_bytes_|_Inout_updates_bytes_opt_|_Inout_updates_|_Inout_updates_opt_|_In_reads_bytes_to_|__in_bcount|__in_bcount_opt|__in_ecount|__in_ecount_opt|__inout_bcount|__inout_bcount_opt|__inout_ecount)$/;

/** SAL on a parameter that says it points at caller-supplied input bytes, and the length expression if any. */
export function salInputBuffer(anns: readonly Annotation[]): { size: string | undefined } | undefined {
  for (const a of anns) if (SAL_BUFFER.test(a.name)) return { size: a.args?.split(',')[0]?.trim() };
  return undefined;
}

const OBJECT_TYPES = /^(PDEVICE_OBJECT|PDRIVER_OBJECT|PIRP|PIO_STACK_LOCATION|PFILE_OBJECT|PKSPIN_LOCK|PKEVENT|PKDPC|PKTIMER|PERESOURCE|PFAST_MUTEX|PKMUTEX|PEPROCESS|PETHREAD|PKTHREAD|PKAPC|PIO_WORKITEM|PIO_REMOVE_LOCK|PCFLT_RELATED_OBJECTS|PFLT_[A-Z_]+|WDF[A-Z_]+|NDIS_HANDLE|PNDIS_[A-Z_]+|PNET_BUFFER_LIST|PNET_BUFFER|PSCSI_REQUEST_BLOCK|PSTORAGE_REQUEST_BLOCK|PDEVICE_EXTENSION|PFUNCTIONAL_DEVICE_EXTENSION|PPHYSICAL_DEVICE_EXTENSION|PCOMMON_DEVICE_EXTENSION|PFDO_DEVICE_DATA|PPDO_DEVICE_DATA|PDEVICE_CONTEXT|PKINTERRUPT|PDMA_ADAPTER|PCM_RESOURCE_LIST|PCM_PARTIAL_RESOURCE_DESCRIPTOR|PPOWER_STATE|PLIST_ENTRY|PSLIST_ENTRY|PKLOCK_QUEUE_HANDLE|PDRIVER_EXTENSION|PSECURITY_DESCRIPTOR|PACCESS_STATE|POBJECT_ATTRIBUTES)$/;

/**
 * Parameters of kernel object types (`PDEVICE_OBJECT`, `PIRP`, `WDFREQUEST`, ...) never carry attacker bytes
 * themselves (the request buffers hanging off them are recognised by path), so they get no symbolic label.
 */
export function isObjectParam(typeText: string): boolean {
  const t = typeText.replace(/\b(const|CONST|IN|OUT|OPTIONAL|volatile)\b/g, ' ').trim().split(/\s+/)[0] ?? '';
  return OBJECT_TYPES.test(t);
}
