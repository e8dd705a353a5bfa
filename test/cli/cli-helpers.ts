/** CLI tests spawn the real `bin/kslint.js` on trees written to temporary folders. */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const REPO = join(__dirname, '..', '..', '..');
export const BIN = join(REPO, 'bin', 'kslint.js');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Writes `files` (relative path -> text or bytes) under a new temporary folder and returns it. */
export function makeTree(files: Readonly<Record<string, string | Uint8Array>>, prefix = 'kslint-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

export function removeTree(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: Record<string, string | undefined>;
  /** Called once the process is running (e.g. to send it a signal). */
  readonly started?: (kill: (signal: NodeJS.Signals) => void) => void;
  /** Largest file the process may write, in 512-byte blocks (a shell's `ulimit -f`): writes past it fail with EFBIG. */
  readonly fileSizeLimit?: number;
}

/** Runs `kslint args...` to completion (colour off unless the test asks, no CI variable games). */
export function runCli(args: readonly string[], options: RunOptions): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const [cmd, argv] =
      options.fileSizeLimit === undefined ? [process.execPath, [BIN, ...args]] : ['/bin/sh', ['-c', `ulimit -f ${options.fileSizeLimit} && exec "$0" "$@"`, process.execPath, BIN, ...args]];
    const child = spawn(cmd, argv, { cwd: options.cwd, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    options.started?.((sig) => child.kill(sig));
  });
}

/** A small driver file with two KS1301 findings (warning) on lines 3 and 4. */
export const TWO_WARNINGS = ['#include <ntddk.h>', 'VOID CopyName(char *dst, const char *src) {', '    strcpy(dst, src);', '    strcat(dst, ".sys");', '}', ''].join('\n');

export const CLEAN = ['NTSTATUS Ok(char *dst, size_t cb, const char *src) {', '    return RtlStringCbCopyA(dst, cb, src);', '}', ''].join('\n');

/** A minifilter port registration (port.c) and the message callback it names, defined in another file (message.c). */
export const PORT = `NTSTATUS ScanCreatePort(PFLT_FILTER Filter, POBJECT_ATTRIBUTES Attributes, PFLT_PORT *Port)
{
    return FltCreateCommunicationPort(Filter, Port, Attributes, NULL, ScanConnect, ScanDisconnect, ScanMessageNotify, 1);
}
`;
export const MESSAGE = `NTSTATUS ScanMessageNotify(PVOID PortCookie, PVOID InputBuffer, ULONG InputBufferLength,
                           PVOID OutputBuffer, ULONG OutputBufferLength, PULONG ReturnOutputBufferLength)
{
    PSCAN_COMMAND cmd = (PSCAN_COMMAND)InputBuffer;
    if (InputBufferLength < sizeof(SCAN_COMMAND)) return STATUS_INVALID_PARAMETER;
    return cmd->Kind == 1 ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED;
}
`;

/** An IOCTL buffer parsed in the file that receives it (local.c), and one passed on to another file (dispatch.c to forward.c). */
export const MOVES: Readonly<Record<string, string>> = {
  'local.c': `typedef struct _CMD { ULONG Slot; ULONG Table[2]; } CMD, *PCMD;
static ULONG LocalParse(PUCHAR Buffer)
{
    PCMD cmd = (PCMD)Buffer;
    return cmd->Table[cmd->Slot];
}
NTSTATUS LocalDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    Irp->IoStatus.Information = LocalParse((PUCHAR)Irp->AssociatedIrp.SystemBuffer);
    return STATUS_SUCCESS;
}
VOID LocalInit(PDRIVER_OBJECT DriverObject)
{
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = LocalDispatch;
}
`,
  'dispatch.c': `NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    Irp->IoStatus.Information = ForwardItem((PUCHAR)Irp->AssociatedIrp.SystemBuffer, stack->Parameters.DeviceIoControl.InputBufferLength);
    return STATUS_SUCCESS;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchIoctl;
    return STATUS_SUCCESS;
}
`,
  'forward.c': `typedef struct _ITEM { ULONG Index; ULONG Values[8]; } ITEM, *PITEM;
ULONG ForwardItem(PUCHAR Buffer, ULONG Length)
{
    PITEM item = (PITEM)Buffer;
    return item->Values[item->Index];
}
`,
};

/** A request buffer handed on through three files, and a length checked in the first. */
export const CHAIN: Readonly<Record<string, string>> = {
  'chain/ioctl.c': `NTSTATUS ChainDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG len = sp->Parameters.DeviceIoControl.InputBufferLength;
    PUCHAR data = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;

    Irp->IoStatus.Information = ChainRoute(data, len);
    return STATUS_SUCCESS;
}

NTSTATUS ChainEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ChainDispatch;
    return STATUS_SUCCESS;
}
`,
  'chain/route.c': `ULONG ChainRoute(PUCHAR Data, ULONG Length)
{
    ULONG count = *(PULONG)Data;
    PUCHAR body = Data + sizeof(ULONG);
    return ChainParse(body, count);
}
`,
  'chain/parse.c': `static ULONG Slots[16];
ULONG ChainParse(PUCHAR Body, ULONG Count)
{
    ULONG total = 0;
    for (ULONG i = 0; i < Count; i++) total += Slots[Body[i]];
    RtlCopyMemory(Slots, Body, Count * sizeof(ULONG));
    return total;
}
`,
};
