#include <ntddk.h>

typedef struct _SCAN_CONTEXT {
    PDEVICE_OBJECT Device;
    ULONG Flags;
} SCAN_CONTEXT, *PSCAN_CONTEXT;

NTSTATUS CreateScanContext(PDEVICE_OBJECT Device, SIZE_T Size, PSCAN_CONTEXT *Out)
{
    PSCAN_CONTEXT ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, Size, 'nacS');
    ctx->Device = Device;
    ctx->Flags = 0;
    *Out = ctx;
    return STATUS_SUCCESS;
}
